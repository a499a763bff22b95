"""How each event changes the requests projection's rows, in memory (no I/O): the requests
with their state, the raters' profiles, the disciplines assigned to articles.

The SQL projector (``ledger.projections.requests``) loads the rows a batch can read, folds
the batch here and writes back what changed; the in-memory views fold into rows that hold
everything. A replay runs this same code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.domain.events import (
    ArticleDisciplinesAssigned,
    DomainEvent,
    RaterProfileSet,
    RaterRequestsPaused,
    RaterRequestsResumed,
    RatingRequestCancelled,
    RatingRequested,
    RatingRequestExpired,
    RatingSubmitted,
)
from ledger.domain.requests import DEFAULT_MONTHLY_LIMIT
from ledger.projections.fold import Fact, Row, Rows

__all__ = ["PROFILE_EVENTS", "RequestRows", "apply_request", "concerns_requests", "json_list"]

PROFILE_EVENTS = (RaterProfileSet, RaterRequestsPaused, RaterRequestsResumed)


def json_list(values: Iterable[str]) -> str:
    """One text for one list, so a replay's rows equal the live ones byte for byte."""
    return json.dumps(list(values), separators=(",", ":"), ensure_ascii=False)


@dataclass
class RequestRows:
    requests: Rows = field(default_factory=Rows)  # by request id
    profiles: Rows = field(default_factory=Rows)  # by rater id
    assignments: Rows = field(default_factory=Rows)  # by article id
    # The open request of each (article, rater), among the rows held: what a rating answers.
    open_of: dict[tuple[str, str], str] = field(default_factory=dict)

    def hold_request(self, row: Row) -> None:
        self.requests.loaded(row["request_id"], row)
        if row["status"] == "open":
            self.open_of[(row["article_id"], row["rater_id"])] = row["request_id"]


# What each event that closes an open request makes of it.
_CLOSED_AS: dict[type[DomainEvent], str] = {
    RatingRequestExpired: "expired",
    RatingRequestCancelled: "cancelled",
    RatingSubmitted: "answered",
}


def apply_request(rows: RequestRows, fact: Fact) -> None:
    """Fold one event into the rows (events of no concern to requests change nothing)."""
    event = fact.event
    if isinstance(event, RatingRequested):
        rows.requests.put(
            event.request_id,
            {
                "request_id": event.request_id,
                "article_id": event.article_id,
                "rater_id": event.rater_id,
                "discipline": event.discipline,
                "requested_at": event.requested_at,
                "due": event.due,
                "status": "open",
                "requested_position": fact.position,
                "closed_position": None,
            },
        )
        rows.open_of[(event.article_id, event.rater_id)] = event.request_id
    elif isinstance(event, RatingRequestExpired | RatingRequestCancelled | RatingSubmitted):
        request_id = rows.open_of.pop((event.article_id, event.rater_id), None)
        if request_id is not None:
            row = rows.requests.change(request_id)
            row["status"] = _CLOSED_AS[type(event)]
            row["closed_position"] = fact.position
    elif isinstance(event, ArticleDisciplinesAssigned):
        rows.assignments.put(
            event.article_id,
            {
                "article_id": event.article_id,
                "disciplines": json_list(event.disciplines),
                "populations": json_list(event.populations),
            },
        )
    elif isinstance(event, PROFILE_EVENTS):
        _apply_profile(rows, event)


def _apply_profile(
    rows: RequestRows, event: RaterProfileSet | RaterRequestsPaused | RaterRequestsResumed
) -> None:
    row = rows.profiles.get(event.rater_id) or {
        "rater_id": event.rater_id,
        "populations": "[]",
        "monthly_limit": DEFAULT_MONTHLY_LIMIT,
        "paused": False,
    }
    if isinstance(event, RaterProfileSet):
        row = {
            **row,
            "populations": json_list(event.populations),
            "monthly_limit": event.monthly_limit,
        }
    else:
        row = {**row, "paused": isinstance(event, RaterRequestsPaused)}
    rows.profiles.put(event.rater_id, row)


def concerns_requests(fact: Fact) -> bool:
    return isinstance(
        fact.event,
        RatingRequested
        | RatingRequestExpired
        | RatingRequestCancelled
        | RatingSubmitted
        | ArticleDisciplinesAssigned
        | RaterProfileSet
        | RaterRequestsPaused
        | RaterRequestsResumed,
    )
