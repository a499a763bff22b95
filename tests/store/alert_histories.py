"""Random histories with alert profiles, and the alerts they make due worked out the plain
way: from the whole event list, recomputing each article's state from scratch at every
event (no incremental state, no book), for the property tests to compare with.

The histories are those of ``tests.store.commands`` plus ``profile`` (a subscriber sets or
replaces their profile) and ``clear``; three subscribers under each test's prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ledger.domain.commands import ClearAlertProfile, SetAlertProfile
from ledger.domain.scores import ScorePolicy
from ledger.store.records import Actor, RecordedEvent
from tests.store.commands import DISCIPLINES, Histories, run

__all__ = ["ALERT_HISTORIES", "expected_alerts", "first_profiles", "log_of", "run_with_profiles"]

# Nine raters (three per discipline, the minimum for a score to count), ratings and
# profile changes weighted up; retraction rare, as it ends an article's rating.
ALERT_HISTORIES = Histories(
    articles=3,
    raters=9,
    kinds=["submit"] * 14
    + ["profile"] * 3
    + ["revise"] * 3
    + ["withdraw"] * 2
    + ["clear", "topics", "correct", "correct_with_topics", "register", "retract", "assign"],
    article_weights=[0, 0, 0, 1, 1, 2],
    min_size=40,
    max_size=100,
)
SUBSCRIBERS = 3
_STUDY_TYPE_CHOICES: list[list[str]] = [[], [], ["Cohort"], ["Randomized controlled trial"]]


def subscriber(prefix: str, number: int) -> str:
    return f"{prefix}-s{number % SUBSCRIBERS}"


async def run_with_profiles(ledger: Any, prefix: str, command: tuple[Any, ...]) -> None:
    """One command of ``ALERT_HISTORIES``; a refusal raises the use case's DomainError."""
    kind, _, number, relevance, newsworthiness, words, pick, topic_set = command
    if kind not in ("profile", "clear"):
        await run(ledger, prefix, ALERT_HISTORIES, command)
        return
    subscriber_id = subscriber(prefix, number)
    actor = Actor(subscriber_id, "subscriber")
    if kind == "clear":
        await ledger.execute(ClearAlertProfile(subscriber_id), actor=actor)
        return
    disciplines = [DISCIPLINES[pick % 3]] + ([DISCIPLINES[(pick + 1) % 3]] if pick > 3 else [])
    profile = SetAlertProfile(
        subscriber_id,
        disciplines=disciplines,
        # Low cut-offs mostly, so that random ratings meet some.
        relevance_cutoff=1 + relevance // 2,
        newsworthiness_cutoff=1 + newsworthiness // 3,
        topics=sorted(topic_set) if words is None else [],
        study_types=_STUDY_TYPE_CHOICES[pick % len(_STUDY_TYPE_CHOICES)],
        delivery="none",
    )
    await ledger.execute(profile, actor=actor)


async def first_profiles(ledger: Any, prefix: str) -> None:
    """Profiles before the history starts (which changes them): a broad one and a narrow one."""
    for number, disciplines, cutoffs, topics in (
        (0, DISCIPLINES, (4, 3), []),
        (1, DISCIPLINES[:1], (2, 2), ["A"]),
    ):
        subscriber_id = subscriber(prefix, number)
        profile = SetAlertProfile(
            subscriber_id, disciplines, *cutoffs, topics=topics, delivery="none"
        )
        await ledger.execute(profile, actor=Actor(subscriber_id, "subscriber"))


async def log_of(store: Any, prefix: str) -> list[RecordedEvent]:
    """The events of the test's own streams (its articles and subscribers), in order."""
    found: list[RecordedEvent] = []
    after = 0
    while page := await store.read_all(after, 1000):
        found += [e for e in page if e.stream_id.split(":", 1)[1].startswith(f"{prefix}-")]
        after = page[-1].position
    return found


@dataclass
class _Article:
    study_type: str
    topics: list[str]
    retracted: bool = False
    ratings: dict[str, tuple[str, int | None, int | None]] = field(default_factory=dict)
    assigned: list[str] | None = None  # the disciplines it is rated in (None: any)


def _article_at(events: Sequence[RecordedEvent]) -> _Article | None:
    """An article's facts after ``events`` (its stream up to some point), from scratch."""
    article = None
    for e in events:
        p = e.payload
        if e.type == "ArticleRegistered":
            article = _Article(p["study_type"], list(p["topics"]))
        elif article is None:
            continue
        elif e.type in ("RatingSubmitted", "RatingRevised"):
            article.ratings[p["rating_id"]] = (p["discipline"], p["relevance"], p["newsworthiness"])
        elif e.type == "RatingWithdrawn":
            del article.ratings[p["rating_id"]]
        elif e.type == "ArticleTopicsChanged":
            article.topics = list(p["topics"])
        elif e.type == "ArticleCorrected" and "study_type" in p["changes"]:
            article.study_type = p["changes"]["study_type"]
        elif e.type == "ArticleRetracted":
            article.retracted = True
        elif e.type == "ArticleDisciplinesAssigned":
            article.assigned = list(p["disciplines"])
    return article


def _meets(profile: dict[str, Any], article: _Article | None, minimum: int) -> str | None:
    if article is None or article.retracted:
        return None
    if profile["topics"] and not {t.lower() for t in profile["topics"]} & {
        t.lower() for t in article.topics
    }:
        return None
    if profile["study_types"] and article.study_type not in profile["study_types"]:
        return None
    for discipline in profile["disciplines"]:
        if article.assigned is not None and discipline not in article.assigned:
            continue  # its score does not show
        # Each mean over its own ratings, each needing the minimum.
        rs = [r for d, r, _ in article.ratings.values() if d == discipline and r is not None]
        ns = [n for d, _, n in article.ratings.values() if d == discipline and n is not None]
        if min(len(rs), len(ns)) < max(1, minimum):
            continue
        relevance = Fraction(sum(rs), len(rs))
        newsworthiness = Fraction(sum(ns), len(ns))
        if (
            relevance >= profile["relevance_cutoff"]
            and newsworthiness >= profile["newsworthiness_cutoff"]
        ):
            return str(discipline)
    return None


def expected_alerts(
    log: Sequence[RecordedEvent], policy: ScorePolicy | None = None
) -> list[tuple[str, str, str, str | None, int]]:
    """(subscriber, article, kind, discipline, position) of every alert due, in order."""
    minimum = (policy or ScorePolicy()).min_ratings_for_threshold
    profiles: dict[str, dict[str, Any]] = {}
    due: list[tuple[str, str, str, str | None, int]] = []
    for index, e in enumerate(log):
        if e.type == "AlertProfileSet":
            profiles[e.payload["subscriber_id"]] = dict(e.payload)
            continue
        if e.type == "AlertProfileCleared":
            profiles.pop(e.payload["subscriber_id"], None)
            continue
        article_id = e.payload.get("article_id")
        if article_id is None:
            continue
        stream = [x for x in log[: index + 1] if x.stream_id == e.stream_id]
        before, after = _article_at(stream[:-1]), _article_at(stream)
        sent = {(s, kind) for s, a, kind, _, _ in due if a == article_id}
        if e.type == "ArticleRetracted":
            for s in sorted(s for s, kind in sent if kind == "article"):
                due.append((s, article_id, "retraction", None, e.position))
            continue
        for s, profile in sorted(profiles.items()):
            met = _meets(profile, after, minimum)
            if (s, "article") in sent or met is None:
                continue
            if _meets(profile, before, minimum) is None:
                due.append((s, article_id, "article", met, e.position))
    return due
