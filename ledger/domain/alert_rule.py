"""The alert rule, decided once: which alerts each event of the log makes due (no I/O).

An article is due to a subscriber when an event on the article makes it meet the profile
in force at that position: in one of the profile's disciplines both means are at or above
the profile's cut-offs, each mean over its own count (a rating without newsworthiness
counts toward the relevance mean only, one beyond the rater's expertise toward neither)
and each count at least the score policy's minimum for the threshold, the article has one
of the profile's topics and study types (when the profile names any), and it is not
retracted. Once an article has assigned disciplines only those count, as only their scores
show (an assignment that adds a discipline may make the article meet a profile then).
The event must bring the article to meet it: an article that already met a
profile set or changed later is not sent for that (a profile applies from then on, not to
the past), only when a later event makes it meet the profile anew. An alert is due once
per article and subscriber, whatever happens after; when an alerted article is retracted,
a retraction notice is due to each subscriber it was sent to, once.

The cut-offs are applied to the unrounded means, exactly, as the inclusion threshold is
(``ScorePolicy``): a cut-off of 6 needs a mean of 6 or more, so a relevance mean of 5.67,
shown as a score of 6, does not meet it. (The displayed score rounds relevance only;
newsworthiness has no displayed score, and one rule must serve both.)

Live projection, rebuild and the in-memory views all fold the log through ``AlertBook``;
the SQL projection loads into it only the rows an event can read (``Interest``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.domain.alerts import AlertProfile
from ledger.domain.events import (
    AlertProfileCleared,
    AlertProfileSet,
    ArticleCorrected,
    ArticleDisciplinesAssigned,
    ArticleRegistered,
    ArticleRetracted,
    ArticleTopicsChanged,
    DomainEvent,
    RatingRevised,
    RatingSubmitted,
    RatingWithdrawn,
)
from ledger.domain.scores import rated_in
from ledger.domain.vocabulary import topic_key

__all__ = [
    "ARTICLE",
    "ARTICLE_FACTS",
    "KINDS",
    "RETRACTION",
    "AlertBook",
    "ArticleFacts",
    "DueAlert",
    "Sums",
    "alert_id",
    "meeting_discipline",
]

ARTICLE = "article"  # the article newly meets the subscriber's profile
RETRACTION = "retraction"  # an article the subscriber was sent is retracted
KINDS = (ARTICLE, RETRACTION)

# The events on an article that change what the rule reads of it (``ArticleFacts``); the
# others (comments, requests, hidings) concern no alert, and the projection loads nothing
# for them.
ARTICLE_FACTS = (
    ArticleRegistered,
    ArticleRetracted,
    ArticleCorrected,
    ArticleTopicsChanged,
    ArticleDisciplinesAssigned,
    RatingSubmitted,
    RatingRevised,
    RatingWithdrawn,
)

# A rating as the rule counts it: discipline, relevance, newsworthiness (None: the rating
# has none: newsworthiness not asked or not known, or neither scale, beyond expertise).
Rating = tuple[str, int | None, int | None]


@dataclass
class ArticleFacts:
    """What the rule reads of an article: its study type, topics, retraction, active
    ratings by rating id, and the disciplines it was assigned (None: never any)."""

    study_type: str
    topics: tuple[str, ...]
    retracted: bool = False
    ratings: dict[str, Rating] = field(default_factory=dict)
    assigned: tuple[str, ...] | None = None

    def copy(self) -> ArticleFacts:
        return ArticleFacts(
            self.study_type, self.topics, self.retracted, dict(self.ratings), self.assigned
        )

    def disciplines(self) -> set[str]:
        return {rating[0] for rating in self.ratings.values()}

    def sums(self, discipline: str) -> Sums:
        """The discipline's sums and counts of each scale over its active ratings; none
        in a discipline the article is not rated in (its score does not show)."""
        sums = Sums()
        if not rated_in(self.assigned, discipline):
            return sums
        for rating_discipline, relevance, newsworthiness in self.ratings.values():
            if rating_discipline == discipline:
                sums.add(relevance, newsworthiness)
        return sums


@dataclass
class Sums:
    """Each mean over its own count: a rating without newsworthiness counts toward the
    relevance mean only, one beyond the rater's expertise toward neither."""

    relevance_count: int = 0
    relevance: int = 0
    newsworthiness_count: int = 0
    newsworthiness: int = 0

    def add(self, relevance: int | None, newsworthiness: int | None) -> None:
        if relevance is not None:
            self.relevance_count += 1
            self.relevance += relevance
        if newsworthiness is not None:
            self.newsworthiness_count += 1
            self.newsworthiness += newsworthiness


@dataclass(frozen=True)
class DueAlert:
    """An alert due to a subscriber, with an id that is the same however often (and on
    whichever backend) the log is replayed: what a delivery outbox keys on."""

    alert_id: str
    subscriber_id: str
    article_id: str
    kind: str
    discipline: str | None  # the discipline that met the profile (None: a retraction notice)
    position: int  # the event that made it due


def alert_id(subscriber_id: str, article_id: str, kind: str) -> str:
    """A stable id: the same subscriber, article and kind always give the same one."""
    text = "\x1f".join((kind, subscriber_id, article_id))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def meeting_discipline(profile: AlertProfile, article: ArticleFacts, minimum: int) -> str | None:
    """The first of the profile's disciplines in which the article meets it, or None."""
    if article.retracted:
        return None
    if profile.topics:
        wanted = {topic_key(t) for t in profile.topics}
        if not any(topic_key(t) in wanted for t in article.topics):
            return None
    if profile.study_types and article.study_type.casefold() not in {
        t.casefold() for t in profile.study_types
    }:
        return None
    least = max(1, minimum)
    for discipline in profile.disciplines:
        sums = article.sums(discipline)
        # Each mean over its own count, which must reach the minimum (as the inclusion
        # threshold's); mean >= cut-off, exactly: sum >= cut-off x count (no float).
        if (
            sums.relevance_count >= least
            and sums.newsworthiness_count >= least
            and sums.relevance >= profile.relevance_cutoff * sums.relevance_count
            and sums.newsworthiness >= profile.newsworthiness_cutoff * sums.newsworthiness_count
        ):
            return discipline
    return None


@dataclass
class AlertBook:
    """What the rule knows as it folds the log: the profiles in force, the articles' facts,
    and what was already made due (by article: subscriber and kind). A book may hold only
    part of it (the SQL projection loads what a batch of events can read)."""

    minimum: int
    profiles: dict[str, AlertProfile] = field(default_factory=dict)
    articles: dict[str, ArticleFacts] = field(default_factory=dict)
    sent: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # Subscribers by discipline of their profile: who an article's discipline concerns.
    interested: dict[str, set[str]] = field(default_factory=dict)

    def set_profile(self, profile: AlertProfile) -> None:
        self.clear_profile(profile.subscriber_id)
        self.profiles[profile.subscriber_id] = profile
        for discipline in profile.disciplines:
            self.interested.setdefault(discipline, set()).add(profile.subscriber_id)

    def clear_profile(self, subscriber_id: str) -> None:
        old = self.profiles.pop(subscriber_id, None)
        for discipline in old.disciplines if old is not None else ():
            self.interested.get(discipline, set()).discard(subscriber_id)

    def mark_sent(self, alert: DueAlert) -> None:
        self.sent.setdefault(alert.article_id, set()).add((alert.subscriber_id, alert.kind))

    def apply(self, event: DomainEvent, position: int) -> list[DueAlert]:
        """Fold one event in; returns the alerts it makes due, in subscriber order."""
        if isinstance(event, AlertProfileSet):
            self.set_profile(AlertProfile.of(event))
            return []
        if isinstance(event, AlertProfileCleared):
            self.clear_profile(event.subscriber_id)
            return []
        if isinstance(event, ArticleRegistered):
            # No rating yet, so no discipline meets any profile: nothing is due.
            self.articles[event.article_id] = ArticleFacts(event.study_type, tuple(event.topics))
            return []
        if not isinstance(event, ARTICLE_FACTS):
            return []  # comments, requests and the like: nothing the rule reads
        article_id = event.article_id
        article = self.articles.get(article_id)
        assert article is not None, f"{event.type_name} of an article the book does not hold"
        if isinstance(event, ArticleRetracted):
            article.retracted = True
            return self._notices(article_id, position)
        before = article.copy()
        changed = _change(article, event)
        if not changed:
            return []
        return self._crossings(article_id, before, article, changed, position)

    def _crossings(
        self,
        article_id: str,
        before: ArticleFacts,
        after: ArticleFacts,
        disciplines: Iterable[str],
        position: int,
    ) -> list[DueAlert]:
        """The alerts due to the subscribers of ``disciplines`` for whom the article meets
        their profile after the event and did not before it."""
        sent = self.sent.get(article_id, set())
        concerned = set().union(*(self.interested.get(d, set()) for d in disciplines))
        due: list[DueAlert] = []
        for subscriber_id in sorted(concerned):
            if (subscriber_id, ARTICLE) in sent:
                continue  # once per article and subscriber, whatever happens after
            profile = self.profiles[subscriber_id]
            met = meeting_discipline(profile, after, self.minimum)
            if met is None or meeting_discipline(profile, before, self.minimum) is not None:
                continue
            due.append(
                DueAlert(
                    alert_id(subscriber_id, article_id, ARTICLE),
                    subscriber_id,
                    article_id,
                    ARTICLE,
                    met,
                    position,
                )
            )
        for alert in due:
            self.mark_sent(alert)
        return due

    def _notices(self, article_id: str, position: int) -> list[DueAlert]:
        """A retraction notice to each subscriber the article was sent to, once."""
        sent = self.sent.get(article_id, set())
        alerted = sorted(s for s, kind in sent if kind == ARTICLE)
        due = [
            DueAlert(alert_id(s, article_id, RETRACTION), s, article_id, RETRACTION, None, position)
            for s in alerted
            if (s, RETRACTION) not in sent
        ]
        for alert in due:
            self.mark_sent(alert)
        return due


def _change(article: ArticleFacts, event: DomainEvent) -> set[str]:
    """Apply ``event`` to the article's facts; returns the disciplines whose standing
    against a profile it may have changed."""
    if isinstance(event, RatingSubmitted | RatingRevised):
        article.ratings[event.rating_id] = (event.discipline, event.relevance, event.newsworthiness)
        return {event.discipline}
    if isinstance(event, RatingWithdrawn):
        article.ratings.pop(event.rating_id, None)
        return {event.discipline}
    if isinstance(event, ArticleTopicsChanged):
        article.topics = tuple(event.topics)
        return article.disciplines()
    if isinstance(event, ArticleDisciplinesAssigned):
        if not event.limits_alerts:
            return set()  # stored before assignments limited the alerts: as it was decided
        article.assigned = tuple(event.disciplines)
        return article.disciplines()
    if isinstance(event, ArticleCorrected):
        changes = dict(event.changes)
        if "study_type" not in changes:
            return set()
        article.study_type = str(changes["study_type"])
        return article.disciplines()
    return set()
