"""The response cache on the request's way: a kept answer served before anything runs, and
a fresh one kept after it ran (``response_cache`` keeps them, ``conditional`` answers)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData

from graph.http.conditional import conditional_answer
from graph.http.persisted_queries import document_hash
from graph.http.response_cache import CacheEntry, ResponseCache, entity_tag, request_key
from graph.schema.context import Context
from ledger.use_cases.tokens import Principal

__all__ = ["CachedRequest"]


@dataclass(frozen=True)
class CachedRequest:
    """One query request as the cache knows it: its role's key and the caller."""

    cache: ResponseCache
    role_key: str
    principal: Principal | None
    media_type: str

    @classmethod
    def of(
        cls,
        cache: ResponseCache,
        operation: GraphQLRequestData,
        principal: Principal | None,
        media_type: str,
    ) -> CachedRequest:
        assert operation.query is not None  # a request without one was refused
        role_key = request_key(
            document_hash(operation.query),
            operation.variables,
            operation.operation_name,
            media_type,
            principal.role if principal is not None else "public",
        )
        return cls(cache, role_key, principal, media_type)

    @property
    def _principal_id(self) -> str | None:
        return self.principal.id if self.principal is not None else None

    @property
    def is_kept(self) -> bool:
        """Whether the cache holds an answer for this caller now (fresh or not)."""
        return self.cache.peek(self.cache.key_for(self.role_key, self._principal_id)) is not None

    async def kept_answer(self, request: Request) -> Response | None:
        """The kept answer (or a 304), if there is one and its facts have not moved."""
        entry = self.cache.get(self.cache.key_for(self.role_key, self._principal_id))
        if entry is None:
            self.cache.stats.misses += 1
            return None
        changes = request.app.state.services.changes
        # Learnt before executing (at least up to the position the client says it wrote
        # at, if it sent one): the position a fresh answer is kept at if this one no
        # longer holds. Otherwise the request's reader learns it before its first read.
        sent = getattr(request.state, "ledger_position", 0)
        request.state.cache_position = await changes.current(at_least=sent)
        if changes.changed_since(entry.position, entry.articles):
            self.cache.stats.misses += 1
            return None
        self.cache.stats.hits += 1
        return conditional_answer(
            request, entry.body, entry.media_type, entry.etag, self.principal is not None
        )

    def keep(self, request: Request, response: Response, cacheable: bool) -> Response:
        """Keeps a fresh answer the executor gave without errors, when it may be kept (a
        query of known fields whose facts were recorded); tagged, or a 304."""
        context: Context | None = getattr(request.state, "graphql_context", None)
        if context is None or not cacheable or not context.facts.cacheable:
            return response
        facts = context.facts
        assert facts.position is not None  # a cacheable answer's position is known
        return self._kept(request, response, facts.position, facts.articles, facts.personal)

    def keep_read(
        self,
        request: Request,
        response: Response,
        position: int,
        articles: frozenset[str] | None,
    ) -> Response:
        """Keeps a known page's answer, read without the executor (``graph.http.pages``) on
        the primary after ``position`` was learnt: the same for everyone of the role."""
        return self._kept(request, response, position, articles, personal=False)

    def _kept(
        self,
        request: Request,
        response: Response,
        position: int,
        articles: frozenset[str] | None,
        personal: bool,
    ) -> Response:
        body = bytes(response.body)
        etag = entity_tag(body, self.media_type)
        entry = CacheEntry(body, self.media_type, etag, position, articles)
        self.cache.put(self.role_key, self._principal_id, personal, entry)
        return conditional_answer(request, body, self.media_type, etag, self.principal is not None)
