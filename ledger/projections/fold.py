"""How each event changes the read models, as plain rows in memory (no I/O).

The projector loads the rows a batch of events touches into a ``WorkingSet``, folds the
events into it here, and writes back what changed. Live appends and rebuilds run this same
code, so a rebuild can only ever agree with what live projection would have produced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from ledger.domain.citation import CITATION_FIELDS
from ledger.domain.events import (
    AlertProfileCleared,
    AlertProfileSet,
    ArticleCorrected,
    ArticleRegistered,
    ArticleRetracted,
    ArticleTopicsChanged,
    CommentHidden,
    CommentPosted,
    CommentRestored,
    DisciplineRegistered,
    DomainEvent,
    RaterEnrolled,
    RaterProfileSet,
    RaterRequestsPaused,
    RaterRequestsResumed,
    RatingRevised,
    RatingSubmitted,
    RatingWithdrawn,
    StudyTypeRegistered,
)
from ledger.domain.raters import discipline_key
from ledger.domain.ratings import newsworthiness_absence
from ledger.domain.search_text import search_text

__all__ = ["Fact", "Keys", "Rows", "WorkingSet", "apply", "keys_of"]

Row = dict[str, Any]


class Fact(NamedTuple):
    """An event with the ledger's facts about it that the views show. (A named tuple: a
    replay makes one per event, and a frozen dataclass takes several times longer to make.)"""

    event: DomainEvent
    position: int
    stream_version: int
    # When it was recorded, as the views hold it: an aware UTC datetime; or, in a replay on
    # SQLite, the very text SQLite stores for one ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC),
    # which the view rows carry to the tables unchanged (``UTCDateTime``'s own form).
    recorded_at: datetime | str


@dataclass
class Rows:
    """Rows of one table by key, as the projector knows them.

    ``rows`` holds each known row, ``None`` marking a row known to be absent (or deleted);
    ``changed`` the keys whose row differs from the table; ``stored`` the keys the table holds
    a row for, as of the last write. A key the projector never loaded is new to the table:
    the fold reads only keys that were loaded (``keys_of``), and creates rows only under keys
    the domain makes new (an article, a rating or comment id, a rater, a discipline, a log
    position). So a new row is a plain INSERT, and only a stored one needs an upsert.
    """

    rows: dict[Any, Row | None] = field(default_factory=dict)
    changed: set[Any] = field(default_factory=set)
    stored: set[Any] = field(default_factory=set)

    def get(self, key: Any) -> Row | None:
        return self.rows.get(key)

    def put(self, key: Any, row: Row | None) -> None:
        self.rows[key] = row
        self.changed.add(key)

    def change(self, key: Any) -> Row:
        """The row of ``key``, to be changed in place (it must exist)."""
        row = self.rows.get(key)
        assert row is not None, f"no row {key!r} to change"
        self.changed.add(key)
        return row

    def loaded(self, key: Any, row: Row | None) -> None:
        """Record what the table holds under ``key`` (``None``: nothing)."""
        self.rows[key] = row
        if row is not None:
            self.stored.add(key)

    def take(self, keys: Iterable[Any], into: Rows | None = None) -> Rows:
        """Move these keys, with what is known of them, out (``into`` other rows)."""
        out = Rows() if into is None else into
        keys = set(keys)
        rows, pop = self.rows, self.rows.pop
        out.rows.update((key, pop(key)) for key in keys if key in rows)
        for mine, theirs in ((self.changed, out.changed), (self.stored, out.stored)):
            moved = mine & keys
            mine -= moved
            theirs |= moved
        return out

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class WorkingSet:
    articles: Rows = field(default_factory=Rows)
    # By article id: {"topics": tuple}. Never loaded: an article's topics are only replaced,
    # so ``stored`` (set when the article is loaded) is all a write needs to know.
    topics: Rows = field(default_factory=Rows)
    # By (article id, discipline); always loaded with the article, all of its disciplines.
    scores: Rows = field(default_factory=Rows)
    ratings: Rows = field(default_factory=Rows)  # by rating id
    comments: Rows = field(default_factory=Rows)  # by comment id
    raters: Rows = field(default_factory=Rows)
    disciplines: Rows = field(default_factory=Rows)
    rating_versions: Rows = field(default_factory=Rows)  # by position


@dataclass
class Keys:
    """The keys of the rows a batch of events reads, so they can be loaded in one go."""

    articles: set[str] = field(default_factory=set)
    ratings: set[str] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.articles or self.ratings or self.comments)


def keys_of(facts: Iterable[Fact]) -> Keys:
    """The keys to load before folding ``facts``. Rows an event creates are new by the domain
    (a registration creates its article, a submission its rating id, a post its comment id),
    so neither they nor what later events of the batch read of them are looked up."""
    keys = Keys()
    created: set[str] = set()
    for fact in facts:
        event = fact.event
        if isinstance(event, ArticleRegistered):
            created.add(event.article_id)
            continue
        article_id = getattr(event, "article_id", None)
        if article_id is not None and article_id not in created:
            keys.articles.add(article_id)
        if isinstance(event, RatingSubmitted):
            created.add(event.rating_id)
        elif isinstance(event, RatingRevised | RatingWithdrawn) and event.rating_id not in created:
            keys.ratings.add(event.rating_id)
        elif isinstance(event, CommentPosted):
            created.add(event.comment_id)
        elif isinstance(event, CommentHidden | CommentRestored) and event.comment_id not in created:
            keys.comments.add(event.comment_id)
    return keys


def apply(ws: WorkingSet, fact: Fact) -> None:
    event = fact.event
    if isinstance(event, RaterEnrolled):
        ws.raters.put(
            event.rater_id,
            {
                "rater_id": event.rater_id,
                "person_id": event.person_id,
                "discipline": event.discipline,
                "enrolled_at": fact.recorded_at,
            },
        )
        return
    if isinstance(event, DisciplineRegistered):
        key = discipline_key(event.name)
        row = {"discipline_key": key, "name": event.name, "registered_position": fact.position}
        ws.disciplines.put(key, row)
        return
    if isinstance(event, StudyTypeRegistered):
        return  # the vocabulary is read from its own stream: no view holds it
    if isinstance(event, AlertProfileSet | AlertProfileCleared):
        return  # the alerts projection's own (``ledger.projections.alerts``)
    if isinstance(event, RaterProfileSet | RaterRequestsPaused | RaterRequestsResumed):
        return  # the requests projection's own (``ledger.projections.requests``)
    article_id: str = getattr(event, "article_id")  # noqa: B009 - every other event has one
    if isinstance(event, ArticleRegistered):
        _register(ws, fact, event)
        return
    article = ws.articles.rows.get(article_id)
    assert article is not None, f"{event.type_name} for unknown article {article_id}"
    # Rows belong to the working set alone, so they are changed in place: every event
    # touches its article, and copying a row of some twenty columns each time would cost
    # more than the rest of the fold.
    article["version"] = fact.stream_version
    article["updated_at"] = fact.recorded_at
    ws.articles.changed.add(article_id)
    _apply_to_article(ws, fact, event, article_id, article)


def _register(ws: WorkingSet, fact: Fact, event: ArticleRegistered) -> None:
    row: Row = {name: getattr(event, name) for name in CITATION_FIELDS}
    row["authors"] = json.dumps(list(event.authors), ensure_ascii=False)
    row |= {
        "article_id": event.article_id,
        "retracted": False,
        "version": fact.stream_version,
        "registered_position": fact.position,
        "registered_at": fact.recorded_at,
        "updated_at": fact.recorded_at,
    }
    row["search_text"] = search_text(row)
    ws.articles.put(event.article_id, row)
    ws.topics.put(event.article_id, {"topics": event.topics})


def _apply_to_article(
    ws: WorkingSet, fact: Fact, event: DomainEvent, article_id: str, article: Row
) -> None:
    match event:
        case RatingSubmitted() | RatingRevised():
            _rate(ws, fact, event)
        case RatingWithdrawn(rating_id=rating_id):
            previous = ws.ratings.get(rating_id)
            assert previous is not None, f"withdrawal of unknown rating {rating_id}"
            _add_score(ws, previous, sign=-1)
            ws.ratings.put(rating_id, None)
            _keep_version(ws, fact, previous, "withdrawn")
        case CommentPosted():
            ws.comments.put(
                event.comment_id,
                {
                    "comment_id": event.comment_id,
                    "article_id": article_id,
                    "author_id": event.author_id,
                    "body": event.body,
                    "hidden": False,
                    "posted_position": fact.position,
                    "posted_at": fact.recorded_at,
                },
            )
        case CommentHidden(comment_id=comment_id) | CommentRestored(comment_id=comment_id):
            ws.comments.change(comment_id)["hidden"] = isinstance(event, CommentHidden)
        case ArticleCorrected(changes=changes):
            corrected = dict(changes)
            if "authors" in corrected:
                corrected["authors"] = json.dumps(list(corrected["authors"]), ensure_ascii=False)
            article.update(corrected)
            article["search_text"] = search_text(article)
        case ArticleTopicsChanged(topics=topics):
            ws.topics.put(article_id, {"topics": topics})
        case ArticleRetracted():
            article["retracted"] = True


def _rate(ws: WorkingSet, fact: Fact, event: RatingSubmitted | RatingRevised) -> None:
    ratings = ws.ratings
    previous = ratings.rows.get(event.rating_id)
    if previous is not None:
        _add_score(ws, previous, sign=-1)
    row = {
        "rating_id": event.rating_id,
        "article_id": event.article_id,
        "rater_id": event.rater_id,
        "discipline": event.discipline,
        "relevance": event.relevance,
        "newsworthiness": event.newsworthiness,
        "newsworthiness_absent": newsworthiness_absence(
            event.newsworthiness, event.newsworthiness_unknown, event.beyond_expertise
        ),
        "comment": event.comment,
        "submitted_position": (
            previous["submitted_position"] if previous is not None else fact.position
        ),
        "rated_at": fact.recorded_at,
    }
    ratings.put(event.rating_id, row)
    _add_score(ws, row, sign=1)
    _keep_version(ws, fact, row, "submitted" if isinstance(event, RatingSubmitted) else "revised")


def _keep_version(ws: WorkingSet, fact: Fact, rating: Row, kind: str) -> None:
    withdrawn = kind == "withdrawn"
    ws.rating_versions.put(
        fact.position,
        {
            "position": fact.position,
            "rating_id": rating["rating_id"],
            "rater_id": rating["rater_id"],
            "article_id": rating["article_id"],
            "kind": kind,
            "relevance": None if withdrawn else rating["relevance"],
            "newsworthiness": None if withdrawn else rating["newsworthiness"],
            "newsworthiness_absent": None if withdrawn else rating["newsworthiness_absent"],
            "comment": None if withdrawn else rating["comment"],
            "recorded_at": fact.recorded_at,
        },
    )


def _add_score(ws: WorkingSet, rating: Row, *, sign: int) -> None:
    relevance, newsworthiness = rating["relevance"], rating["newsworthiness"]
    if relevance is None:
        return  # beyond the rater's expertise: an answer that counts as no rating
    key = (rating["article_id"], rating["discipline"])
    scores = ws.scores
    score = scores.rows.get(key)
    if score is None:
        score = {
            "article_id": key[0],
            "discipline": key[1],
            "relevance_sum": 0,
            "newsworthiness_sum": 0,
            "rating_count": 0,
            "newsworthiness_count": 0,
        }
    score["relevance_sum"] += sign * relevance
    if newsworthiness is not None:
        score["newsworthiness_sum"] += sign * newsworthiness
        score["newsworthiness_count"] += sign
    count = score["rating_count"] = score["rating_count"] + sign
    # A discipline whose last rating is withdrawn has no score row at all, as in a replay.
    scores.put(key, score if count > 0 else None)
