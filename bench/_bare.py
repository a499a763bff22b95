"""The limit of the HTTP stack: a bare Starlette route answering stored bytes under the same
uvicorn as ``serve`` (uvloop, httptools, no access log), for ``bench.http``.

    python -m bench._bare PORT BODY_FILE

It reads the request's body (as the API does) and answers BODY_FILE's bytes as
``application/json``, the API's answer to the same request taken beforehand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def app_answering(body: bytes) -> Starlette:
    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json; charset=utf-8")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)]
    )


def main() -> int:
    port, body_file = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(
        app_answering(body_file.read_bytes()),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
