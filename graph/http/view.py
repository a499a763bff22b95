"""GraphQL over HTTP, as its specification describes, on Strawberry's Starlette view.

- Media types as ``media_types`` negotiates them; 406 when the client accepts neither.
- A request that is not a well-formed GraphQL-over-HTTP request (not JSON, a parameter of
  the wrong type, no query) is a 400. A document that does not parse or validate, or whose
  variables do not coerce, is a 400 without ``data`` for
  ``application/graphql-response+json`` and a 200 with ``errors`` for ``application/json``,
  as the specification's compatibility rules ask.
- CSRF prevention as ``csrf`` does it; GET is only for queries.
- Every refusal is a GraphQL error body with a stable ``extensions.code`` (``refusals``).
- A query's answer is kept with the facts it read and served again, without parsing or
  executing, while they hold (``response_cache``); cacheable answers carry an ETag and
  ``Cache-Control`` and a matching ``If-None-Match`` gets a 304 (``conditional``).
- Apollo's automatic persisted queries (``persisted_queries``), by GET or POST.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from graph.http.auth import PrincipalUser
from graph.http.caching import CachedRequest
from graph.http.csrf import refuse_forgery
from graph.http.guards import is_unexpected
from graph.http.json_body import parse_request_json
from graph.http.limits import count_tokens
from graph.http.media_types import GRAPHQL_RESPONSE, JSON, negotiate
from graph.http.pages import answer_known_operation, encode_answer, is_known_page
from graph.http.persisted_queries import PersistedQueries, requested_hash
from graph.http.refusals import Refusal, as_refusal, error_body
from graph.http.repeats import Repeats, request_bytes
from graph.http.response_cache import ResponseCache
from graph.schema.context import Context
from graph.settings import Settings
from ledger.use_cases.tokens import Principal

__all__ = ["EvidenceGraphQL"]


class SubResponse(Response):
    """What the operation decided about its HTTP answer, besides the body."""

    def __init__(self, media_type: str) -> None:
        super().__init__()
        # None until something decides a status: 200 is the default, not a decision.
        self.status_code = None  # type: ignore[assignment]
        del self.headers["content-length"]
        self.answer_type = media_type
        self.request_error = False
        self.errors = True  # until an answer without errors is made


def _is_request_error(result: ExecutionResult) -> bool:
    """No execution happened: a parse, validation, variable, cost or rate refusal."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None and not is_unexpected(error) for error in result.errors or ())
    )


class _Adapter(StarletteRequestAdapter):
    """Strawberry's view of the request, through which the operation read ahead is found."""

    @property
    def starlette_request(self) -> Request:
        return self._request


def _principal(request: Request) -> Principal | None:
    user = request.user
    return user.principal if isinstance(user, PrincipalUser) else None


class EvidenceGraphQL(GraphQL[Context, None]):
    request_adapter_class = _Adapter

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.response_cache = ResponseCache(settings.response_cache_bytes)
        self.persisted_queries = PersistedQueries()
        self.repeats = Repeats()  # requests answered early next time (graph.http.repeats)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media_type = negotiate(request.headers.get("accept"))
        try:
            if media_type is None and not self._renders_ide(request):
                raise Refusal(
                    406,
                    "NOT_ACCEPTABLE",
                    f"This API answers {GRAPHQL_RESPONSE} or {JSON}: accept one of them.",
                )
            if request.method in ("GET", "POST") and not self._renders_ide(request):
                refuse_forgery(request)
            request.state.media_type = media_type or JSON
            response = await self._answer(request)
        except HTTPException as error:
            response = self._refusal_response(as_refusal(error), media_type or JSON)
        await response(scope, receive, send)

    # -- the response cache ------------------------------------------------------------------

    async def _answer(self, request: Request) -> Response:
        operation = await self._single_operation(request)
        if operation is None:
            return await self.run(request)
        cached = CachedRequest.of(
            self.response_cache, operation, _principal(request), request.state.media_type
        )
        response = await self._cached_answer(request, operation, cached)
        # The same bytes without credentials come to the same key: answered early next time
        # (``graph.http.repeats``). The body was read already (cached by the request).
        if cached.principal is None and cached.is_kept:
            body = await request.body() if request.method == "POST" else b""
            self.repeats.remember(
                request_bytes(request.scope, body),
                cached.role_key,
                requested_hash(operation.extensions),
            )
        return response

    async def _cached_answer(
        self, request: Request, operation: GraphQLRequestData, cached: CachedRequest
    ) -> Response:
        kept = await cached.kept_answer(request)
        if kept is not None:
            return kept
        # A known page is answered from one read; anything else by the executor.
        known = await self._known_page(request, operation, cached)
        if known is not None:
            return known
        response = await self.run(request)
        sub_response: SubResponse = request.state.sub_response
        # An answer with errors, or one the operation gave a status or headers of its
        # own, is not kept.
        plain = not (
            sub_response.errors
            or response.status_code != 200
            or sub_response.status_code
            or sub_response.headers.raw
        )
        return cached.keep(request, response, plain)

    async def _single_operation(self, request: Request) -> GraphQLRequestData | None:
        """The request's one operation, read ahead of the executor (which reads it from
        here again); None for what is not one query to look up (a batch, the IDE)."""
        if request.method == "GET":
            params = request.query_params
            if "query" not in params and "extensions" not in params:
                return None
        elif request.method != "POST":
            return None
        if self._renders_ide(request):
            return None
        data = await self.parse_http_body(self.request_adapter_class(request))
        request.state.operation = data
        return data if isinstance(data, GraphQLRequestData) else None

    async def _known_page(
        self, request: Request, operation: GraphQLRequestData, cached: CachedRequest
    ) -> Response | None:
        """A known page's answer read without the executor (``graph.http.pages``), kept with
        the position learnt before its read and the articles it read."""
        assert operation.query is not None  # a request without one was refused
        if not is_known_page(request.app, operation.query):
            return None  # nothing learnt: a document yet to be refused reaches no database
        position: int | None = getattr(request.state, "cache_position", None)
        if position is None:
            changes = request.app.state.services.changes
            position = await changes.current(at_least=getattr(request.state, "ledger_position", 0))
        response = await answer_known_operation(
            request,
            request.state.media_type,
            operation.query,
            operation.variables,
            operation.operation_name,
        )
        if response is None:
            return None
        return cached.keep_read(request, response, position, request.state.articles_read)

    def encode_json(self, data: object) -> bytes:
        return encode_answer(data)

    def _renders_ide(self, request: Request) -> bool:
        return self.should_render_graphql_ide(self.request_adapter_class(request))

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming its document by a persisted query's hash has no `query`: it is an
        # operation, not a browser's visit.
        if request.method == "GET" and "extensions" in request.query_params:
            return False
        return super().should_render_graphql_ide(request)

    def _refusal_response(self, refusal: Refusal, media_type: str) -> Response:
        status = refusal.status
        if status is None:
            status = 200 if media_type == JSON else 400
        return Response(
            error_body(refusal.code, refusal.reason),
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
            headers=refusal.headers,
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        context = Context(request, response, request.app.state.services, _principal(request))
        # Not a batch, nor a request the cache did not read: the answer may be kept, at the
        # position learnt when a kept one was checked, if one was. Not one read from a
        # replica (``request.state.read_database``): its snapshot may be older than any
        # position this process learnt, so no position could be told for it.
        single = isinstance(getattr(request.state, "operation", None), GraphQLRequestData)
        if single and getattr(request.state, "read_database", None) is None:
            context.facts.want(getattr(request.state, "cache_position", None))
        return context

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        media_type = getattr(request.state, "media_type", JSON)
        request.state.sub_response = SubResponse(media_type)
        return request.state.sub_response  # type: ignore[no-any-return]

    # -- the request's parameters ------------------------------------------------------------

    def parse_json(self, data: str | bytes) -> Any:
        return parse_request_json(data)

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                try:
                    parsed[name] = json.loads(parsed[name])
                except (ValueError, RecursionError):
                    raise Refusal(400, "BAD_REQUEST", f"`{name}` must be a JSON object.") from None
        return parsed

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if isinstance(request, _Adapter):
            read_ahead = getattr(request.starlette_request.state, "operation", None)
            if read_ahead is not None:
                return read_ahead  # type: ignore[no-any-return]
        if request.method == "GET":
            data: Any = self.parse_query_params(request.query_params)
        else:
            content_type = (request.content_type or "").split(";")
            essence = content_type[0].strip().lower()
            charset = next(
                (
                    value.strip().strip('"').lower()
                    for name, _, value in (param.partition("=") for param in content_type[1:])
                    if name.strip().lower() == "charset"
                ),
                "utf-8",
            )
            if essence != JSON or charset not in ("utf-8", "utf8"):
                raise Refusal(
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "Send the operation as JSON: content-type: application/json.",
                )
            body = await request.get_body()
            if not body.strip():
                raise Refusal(400, "BAD_REQUEST", 'The request body is empty: send {"query": ...}.')
            data = self.parse_json(body)
        if isinstance(data, list):
            limit = self.settings.limits.max_batch
            if limit == 0:
                raise Refusal(
                    400, "BATCHING_DISABLED", "Send one operation per request, not a list."
                )
            if len(data) > limit or not data:
                raise Refusal(400, "BATCH_TOO_LARGE", f"A batch holds 1 to {limit} operations.")
            return [self._operation(item) for item in data]
        return self._operation(data)

    def _operation(self, data: Any) -> GraphQLRequestData:
        if not isinstance(data, dict):
            raise Refusal(400, "BAD_REQUEST", 'The request must be a JSON object: {"query": ...}.')
        query, variables, name, extensions = (
            data.get(key) for key in ("query", "variables", "operationName", "extensions")
        )
        for value, kind, label in (
            (query, str, "`query` must be a string"),
            (variables, dict, "`variables` must be an object"),
            (name, str, "`operationName` must be a string"),
            (extensions, dict, "`extensions` must be an object"),
        ):
            if value is not None and not isinstance(value, kind):
                raise Refusal(400, "BAD_REQUEST", f"{label}.")
        query = self.persisted_queries.document(query, extensions)
        if query is None:
            raise Refusal(400, "BAD_REQUEST", "The request has no `query`.")
        limit = self.settings.limits.max_document_chars
        if len(query) > limit:
            raise Refusal(
                None,
                "DOCUMENT_TOO_LARGE",
                f"The document has {len(query)} characters; the limit is {limit}.",
            )
        # A document over the token limit is refused without the cost of parsing it. (No
        # token is shorter than a character: a short document needs no counting.)
        tokens = self.settings.limits.max_tokens
        if len(query) > tokens and count_tokens(query) > tokens:
            raise Refusal(
                None,
                "TOKEN_LIMIT_EXCEEDED",
                f"The document has more than {self.settings.limits.max_tokens} tokens.",
            )
        self.persisted_queries.keep(query, extensions)
        return GraphQLRequestData(
            query=query, variables=variables, operation_name=name, extensions=extensions
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        request.state.graphql_context = context
        self.response_cache.stats.executions += 1
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, InvalidOperationTypeError):
                if cause.operation_type is OperationType.MUTATION:
                    raise Refusal(
                        405,
                        "METHOD_NOT_ALLOWED",
                        "Mutations are only taken over POST.",
                        {"Allow": "POST"},
                    ) from None
                raise Refusal(400, "OPERATION_NOT_SUPPORTED", error.reason) from None
            if isinstance(cause, CannotGetOperationTypeError):
                raise Refusal(400, "OPERATION_RESOLUTION_FAILURE", error.reason) from None
            raise

    # -- the answer --------------------------------------------------------------------------

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = process_result(result)
        request.state.sub_response.errors = bool(result.errors)
        if _is_request_error(result):
            # Nothing was executed, so there is no `data` to give, not even null.
            response.pop("data", None)
            request.state.sub_response.request_error = True
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        assert isinstance(sub_response, SubResponse)
        media_type = sub_response.answer_type
        status = 200
        # A batch is answered 200: each of its operations says in its own errors what failed.
        if isinstance(response_data, dict):
            if sub_response.status_code:
                status = sub_response.status_code
            elif sub_response.request_error and media_type == GRAPHQL_RESPONSE:
                status = 400
        response = Response(
            self.encode_json(response_data),
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response
