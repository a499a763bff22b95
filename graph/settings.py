"""What a deployment decides, passed into ``create_app``; only entry points read the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ledger.delivery.settings import DeliverySettings
from ledger.domain.requests import RequestPolicy
from ledger.domain.scores import ScorePolicy
from ledger.read.replica import RETRY_SECONDS
from ledger.store.db import DEFAULT_DATABASE_URL

__all__ = ["Limits", "Settings"]


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the service; the defaults are at least graphql-armor's.

    Every limit is checked before any resolver runs. ``0`` turns a rate limit off.
    """

    max_depth: int = 8
    max_aliases: int = 15
    max_directives: int = 50
    max_tokens: int = 1000
    max_document_chars: int = 15_000
    # Selections once every fragment is spread: a tiny document can expand exponentially.
    max_expanded_selections: int = 2_000
    # Each field costs 1, multiplied by the page sizes (``first``) of the lists it sits in.
    max_cost: int = 5000
    # 0: a JSON array of operations is refused; N: at most N operations per request.
    max_batch: int = 0
    max_body_bytes: int = 64 * 1024
    # Lists and objects inside lists and objects in a request's variables: no input of the
    # schema nests nearly this deep, and every walk over them stays shallow.
    max_variables_depth: int = 20
    # Mutations per minute, per bearer token and per client address.
    mutations_per_minute_per_token: int = 60
    mutations_per_minute_per_address: int = 600
    # Slow and idle clients. A request's head (request line and headers) must arrive whole
    # within ``request_head_seconds`` of the connection or of the response before it, its
    # body within ``request_body_seconds`` of the head (408); a connection idle after a
    # response is closed after ``keep_alive_seconds``. Past ``max_concurrency`` open
    # connections, a request is answered 503 at once.
    request_head_seconds: float = 10.0
    request_body_seconds: float = 30.0
    keep_alive_seconds: int = 5
    max_concurrency: int = 1000


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    score_policy: ScorePolicy = field(default_factory=ScorePolicy)
    # Migrate on start, and load the sample article into an empty ledger.
    migrate_on_start: bool = True
    load_sample_when_empty: bool = True
    # Production hides GraphiQL and introspection.
    production: bool = False
    max_page_size: int = 100
    default_page_size: int = 20
    limits: Limits = field(default_factory=Limits)
    # Origins whose pages may open a WebSocket to the API (same-origin is always allowed).
    allowed_origins: tuple[str, ...] = ()
    # Origins whose pages may call the API from a browser (CORS); none by default. Each is
    # checked when the app is made (``graph.web.cors``): ``*`` or a malformed one is refused.
    cors_origins: tuple[str, ...] = ()
    # A PostgreSQL streaming replica of ``database_url`` that queries read from once it has
    # replayed the position the client sent (``Ledger-Position``); None: all on the primary.
    replica_url: str | None = None
    # Seconds a replica that could not be reached is left alone (every read on the primary)
    # before it is asked again (``ledger.read.replica``).
    replica_retry_seconds: float = RETRY_SECONDS
    # The response cache's bound: answers kept, least recently used out; 0 keeps none.
    response_cache_bytes: int = 64 * 1024 * 1024
    # Alert delivery: links, SMTP (none: email off), the unsubscribe secret, retries.
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    # A deliverer running in the app's background (``ledger.delivery``); `serve` turns it on.
    deliver_in_background: bool = False
    # Wake-ups (appends it follows) a live subscription may see while one message of it
    # waits to be sent, before it counts as a slow consumer and its WebSocket is closed
    # (graph.http.websocket).
    live_send_patience: int = 64
    # Rating requests: raters asked per discipline at a time, days a request stays open, and
    # whether a rater of an assigned discipline may rate an article without being asked.
    requests_per_discipline: int = 4
    request_days: int = 14
    rating_without_request: bool = False

    def request_policy(self) -> RequestPolicy:
        """The requests' policy; a discipline is short while below either minimum of the
        score policy (its score's and its threshold's)."""
        policy = self.score_policy
        return RequestPolicy(
            per_discipline=self.requests_per_discipline,
            minimum=max(policy.min_ratings_for_score, policy.min_ratings_for_threshold),
            due_after=timedelta(days=self.request_days),
            rating_without_request=self.rating_without_request,
        )
