"""Rating requests: which raters are asked to rate an article, decided without I/O.

An editor assigns an article the disciplines it is to be rated in (and, optionally, the
patient populations it concerns); requests then go to raters of each discipline, chosen by
one rule (``choose_raters``): raters of the discipline who are not paused, are not among the
article's authors (the editor names those enrolled, with the disciplines), were never asked
about this article (but by a cancelled request), have not rated it and are under their
monthly limit; those whose populations match the article's first, then those asked least
this month, ties by rater id.
While a discipline is short of the minimum ratings, more requests go out, up to ``N`` open
at a time. A request unanswered by its due time expires, and another rater is asked; one
whose discipline a new assignment drops, or whose rater it names an author, is cancelled.

The times (``requested_at``, ``due``) are decided by the command's clock and kept in the
events, so a replay decides nothing and reads no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ledger.domain.articles import Article, check_open, evolve, existing
from ledger.domain.errors import NotFound, ValidationFailed, WrongPauseState
from ledger.domain.events import (
    ArticleDisciplinesAssigned,
    DomainEvent,
    RaterEnrolled,
    RaterProfileSet,
    RaterRequestsPaused,
    RaterRequestsResumed,
    RatingRequestCancelled,
    RatingRequested,
    RatingRequestExpired,
)
from ledger.domain.validation import check_texts

__all__ = [
    "DEFAULT_MONTHLY_LIMIT",
    "MAX_MONTHLY_LIMIT",
    "PoolRater",
    "RaterProfile",
    "RequestPolicy",
    "check_author_raters",
    "choose_raters",
    "decide_assign_disciplines",
    "decide_expire_requests",
    "decide_pause",
    "decide_requests",
    "decide_resume",
    "decide_set_profile",
    "fold_profile",
    "from_instant",
    "instant",
    "month_start",
    "populations_match",
    "wanted_requests",
]

DEFAULT_MONTHLY_LIMIT = 4
_INSTANT = "%Y-%m-%dT%H:%M:%SZ"
MAX_MONTHLY_LIMIT = 99


@dataclass(frozen=True)
class RequestPolicy:
    """What a deployment decides about requests: ``per_discipline`` raters asked at a time,
    ``minimum`` ratings a discipline needs (the score policy's), a request's time to answer,
    and whether a rater may rate an article with assigned disciplines unasked."""

    per_discipline: int = 4
    minimum: int = 3
    due_after: timedelta = timedelta(days=14)
    rating_without_request: bool = False


@dataclass(frozen=True)
class RaterProfile:
    rater_id: str
    discipline: str
    populations: tuple[str, ...] = ()
    monthly_limit: int = DEFAULT_MONTHLY_LIMIT
    paused: bool = False


@dataclass(frozen=True)
class PoolRater:
    """A rater as the assignment rule sees them, with the requests they got this month."""

    rater_id: str
    discipline: str
    populations: tuple[str, ...] = ()
    monthly_limit: int = DEFAULT_MONTHLY_LIMIT
    paused: bool = False
    requests_this_month: int = 0


def instant(moment: datetime) -> str:
    """A moment as the events keep it: UTC to the second, one width, so texts sort as times."""
    return moment.astimezone(UTC).strftime(_INSTANT)


def from_instant(text: str) -> datetime:
    """The moment an ``instant`` text names."""
    return datetime.strptime(text, _INSTANT).replace(tzinfo=UTC)


def month_start(moment: datetime) -> str:
    """The first instant of ``moment``'s calendar month, UTC: where "this month" starts."""
    utc = moment.astimezone(UTC)
    return instant(utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


# -- the rater's profile ----------------------------------------------------------------


def fold_profile(events: Iterable[DomainEvent]) -> RaterProfile | None:
    """The rater's profile from their stream (None: not enrolled)."""
    profile: RaterProfile | None = None
    for event in events:
        if isinstance(event, RaterEnrolled):
            profile = RaterProfile(event.rater_id, event.discipline)
        elif profile is None:
            continue
        elif isinstance(event, RaterProfileSet):
            profile = replace(
                profile, populations=event.populations, monthly_limit=event.monthly_limit
            )
        elif isinstance(event, RaterRequestsPaused | RaterRequestsResumed):
            profile = replace(profile, paused=isinstance(event, RaterRequestsPaused))
    return profile


def decide_set_profile(
    profile: RaterProfile | None, rater_id: str, populations: object, monthly_limit: object
) -> list[DomainEvent]:
    """``populations`` or ``monthly_limit`` None: kept as they are."""
    if profile is None:
        raise NotFound("rater", rater_id)
    checked = profile.populations if populations is None else _check_populations(populations)
    monthly_limit = profile.monthly_limit if monthly_limit is None else monthly_limit
    if (
        isinstance(monthly_limit, bool)
        or not isinstance(monthly_limit, int)
        or not 1 <= monthly_limit <= MAX_MONTHLY_LIMIT
    ):
        raise ValidationFailed(
            "monthly_limit", f"must be a whole number from 1 to {MAX_MONTHLY_LIMIT}"
        )
    if (checked, monthly_limit) == (profile.populations, profile.monthly_limit):
        raise ValidationFailed("profile", "is already the rater's")
    return [RaterProfileSet(rater_id, checked, monthly_limit)]


def decide_pause(profile: RaterProfile | None, rater_id: str) -> list[DomainEvent]:
    if profile is None:
        raise NotFound("rater", rater_id)
    if profile.paused:
        raise WrongPauseState(rater_id, paused=True)
    return [RaterRequestsPaused(rater_id)]


def decide_resume(profile: RaterProfile | None, rater_id: str) -> list[DomainEvent]:
    if profile is None:
        raise NotFound("rater", rater_id)
    if not profile.paused:
        raise WrongPauseState(rater_id, paused=False)
    return [RaterRequestsResumed(rater_id)]


def _check_populations(populations: object) -> tuple[str, ...]:
    checked = check_texts("populations", populations, limit=100, most=20)
    folded = [p.casefold() for p in checked]
    if len(set(folded)) != len(folded):
        raise ValidationFailed("populations", "name each population once")
    return checked


def check_author_raters(author_raters: object) -> tuple[str, ...]:
    """The rater ids an editor names among an article's authors: at most 20, each once
    (ids are compared exactly: they are case-sensitive)."""
    checked = check_texts("author_raters", author_raters, limit=64, most=20, distinct=False)
    if len(set(checked)) != len(checked):
        raise ValidationFailed("author_raters", "must not repeat an entry")
    return checked


def populations_match(article: Sequence[str], rater: Sequence[str]) -> bool:
    """A rater matches an article that names no population, or shares one with it."""
    if not article:
        return True
    return bool({p.casefold() for p in article} & {p.casefold() for p in rater})


# -- the assignment rule ------------------------------------------------------------------


def wanted_requests(article: Article, policy: RequestPolicy) -> dict[str, int]:
    """By assigned discipline short of ``policy.minimum`` ratings, in the article's order:
    how many more requests bring its open ones up to ``policy.per_discipline``. Empty:
    nobody is to be asked, so there is no pool to read."""
    wanted: dict[str, int] = {}
    for discipline in article.disciplines:
        ratings = sum(
            1
            for rating in article.ratings.values()
            if rating.discipline == discipline and rating.relevance is not None
        )
        open_now = sum(
            1
            for r in article.requests.values()
            if r.discipline == discipline and r.status == "open"
        )
        if ratings < policy.minimum and open_now < policy.per_discipline:
            wanted[discipline] = policy.per_discipline - open_now
    return wanted


def choose_raters(
    article: Article, pool: Sequence[PoolRater], policy: RequestPolicy
) -> list[PoolRater]:
    """The raters to ask now, discipline by discipline in the article's order: for each
    assigned discipline short of ``policy.minimum`` ratings, as many as bring its open
    requests up to ``policy.per_discipline``. Never a rater the editor named among the
    article's authors. The one assignment rule: pure and stable, so the same state and pool
    always choose the same raters."""
    # A cancelled request does not count: its rater may be asked again if its discipline is.
    asked = {r.rater_id for r in article.requests.values() if r.status != "cancelled"}
    authors = set(article.author_raters)
    chosen: list[PoolRater] = []
    for discipline, wanted in wanted_requests(article, policy).items():
        eligible = [
            rater
            for rater in pool
            if rater.discipline == discipline
            and not rater.paused
            and rater.rater_id not in asked
            and rater.rater_id not in authors
            and rater.rater_id not in article.ratings
            and rater.requests_this_month < rater.monthly_limit
        ]
        eligible.sort(
            key=lambda r: (
                not populations_match(article.populations, r.populations),
                r.requests_this_month,
                r.rater_id,
            )
        )
        chosen += eligible[:wanted]
    return chosen


def decide_requests(
    article: Article, pool: Sequence[PoolRater], policy: RequestPolicy, now: datetime
) -> list[DomainEvent]:
    """The requests the rule chooses, as events; their ids follow the stream's versions, so
    a replayed command decides the very same ids."""
    due = instant(now + policy.due_after)
    return [
        RatingRequested(
            article.article_id,
            f"{article.article_id}.q{article.version + 1 + index}",
            rater.rater_id,
            rater.discipline,
            instant(now),
            due,
        )
        for index, rater in enumerate(choose_raters(article, pool, policy))
    ]


def decide_assign_disciplines(
    state: Article | None,
    article_id: str,
    disciplines: Mapping[str, str | None],
    populations: object,
    pool: Sequence[PoolRater],
    policy: RequestPolicy,
    now: datetime,
    author_raters: Mapping[str, bool] | None = None,
) -> list[DomainEvent]:
    """Assign the disciplines (``disciplines``: each requested name -> its registered
    spelling, None when unknown) and request raters of each, never one of the article's
    author raters (``author_raters``: each rater id, checked by ``check_author_raters`` ->
    whether that rater is enrolled; None: the article's are kept). Assigning replaces the
    last assignment whole; an open request stays open unless the assignment drops its discipline
    or names its rater among the authors: then it is cancelled (the rater could not answer,
    or should not)."""
    article = check_open(existing(state, article_id))
    if not disciplines:
        raise ValidationFailed("disciplines", "name at least one discipline")
    for requested, registered in disciplines.items():
        if registered is None:
            raise NotFound("discipline", requested)
    for rater_id, enrolled in (author_raters or {}).items():
        if not enrolled:
            raise NotFound("rater", rater_id)
    authors = article.author_raters if author_raters is None else tuple(author_raters)
    names = tuple(dict.fromkeys(d for d in disciplines.values() if d is not None))
    checked = _check_populations(populations)
    given = (names, checked, authors)
    if given == (article.disciplines, article.populations, article.author_raters):
        raise ValidationFailed("disciplines", "are already the article's")
    assigned = ArticleDisciplinesAssigned(article_id, names, checked, authors)
    decided: list[DomainEvent] = [assigned]
    decided += [
        RatingRequestCancelled(article_id, r.request_id, r.rater_id, r.discipline)
        for r in sorted(article.requests.values(), key=lambda r: r.request_id)
        if r.status == "open" and (r.discipline not in names or r.rater_id in authors)
    ]
    for event in decided:
        article = evolve(article, event)
    return [*decided, *decide_requests(article, pool, policy, now)]


def decide_expire_requests(
    state: Article | None,
    article_id: str,
    pool: Sequence[PoolRater],
    policy: RequestPolicy,
    now: datetime,
    due_by: datetime | None = None,
) -> list[DomainEvent]:
    """Expire the article's open requests due by ``due_by`` (else ``now``) and ask others
    in their place, as of ``now`` (none for a retracted article). Nothing due: no events."""
    article = existing(state, article_id)
    moment = instant(due_by or now)
    expired: list[DomainEvent] = [
        RatingRequestExpired(
            article_id, r.request_id, r.rater_id, r.discipline, r.requested_at, r.due
        )
        for r in sorted(article.requests.values(), key=lambda r: (r.due, r.request_id))
        if r.status == "open" and r.due <= moment
    ]
    if not expired or article.retracted:
        return expired
    for event in expired:
        article = evolve(article, event)
    return [*expired, *decide_requests(article, pool, policy, now)]
