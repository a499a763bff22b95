"""The static files of a page: its scripts and stylesheets, and nothing else of its folder.

A page's HTML sits in the same folder as its assets, but is served only by its own route,
with its content security policy and the other headers; served as a plain file it would come
without them (no ``frame-ancestors``, so it could be framed). The folder's licences and
notes are not the page's either.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["PageAssets"]

# What a page loads from its folder: scripts and stylesheets (no page has fonts or images
# of its own; GraphiQL's are data URLs inside its stylesheet).
_SERVED_SUFFIXES = frozenset({".js", ".css"})


class PageAssets(StaticFiles):
    """A folder's scripts and stylesheets; any other file in it answers 404."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if PurePosixPath(path).suffix.lower() not in _SERVED_SUFFIXES:
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        # A script is run only as a script, whatever a proxy or the file claims it is.
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
