"""A subscriber's alert profile: what they want to be sent, decided without I/O.

A profile names registered disciplines, a relevance and a newsworthiness cut-off (1 to 7,
applied to that discipline's means), optionally topics and study types the article must
have one of, and how alerts are delivered. It lives on the subscriber's own stream
(``subscriber:<id>``): set whole, replaced whole, or cleared. The email address and the
webhook URL are contact details, kept outside the hashed events as names are (the events
carry the id of their row); which alerts are due is decided by ``ledger.domain.alert_rule``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.domain.errors import NotASubscriber, NotFound, ValidationFailed
from ledger.domain.events import AlertProfileCleared, AlertProfileSet, DomainEvent
from ledger.domain.raters import MAX_EMAIL
from ledger.domain.validation import check_optional_text, check_texts

__all__ = [
    "DELIVERIES",
    "MAX_PROFILE_ENTRIES",
    "MAX_WEBHOOK_URL",
    "AlertProfile",
    "Contact",
    "check_contact",
    "decide_clear_profile",
    "decide_set_profile",
    "fold_profile",
    "subscriber_stream_id",
]

# Immediately, in a daily or a weekly digest, or never (those who only follow live).
DELIVERIES = ("immediate", "daily", "weekly", "none")
MAX_PROFILE_ENTRIES = 50
MAX_WEBHOOK_URL = 2000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WEBHOOK = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


@dataclass(frozen=True)
class AlertProfile:
    """What a subscriber wants: an article meeting the cut-offs in one of ``disciplines``,
    with one of ``topics`` and one of ``study_types`` (empty: any)."""

    subscriber_id: str
    disciplines: tuple[str, ...]
    relevance_cutoff: int
    newsworthiness_cutoff: int
    topics: tuple[str, ...] = ()
    study_types: tuple[str, ...] = ()
    delivery: str = "immediate"
    contact_id: str | None = None

    @classmethod
    def of(cls, event: AlertProfileSet) -> AlertProfile:
        return cls(
            event.subscriber_id,
            tuple(event.disciplines),
            event.relevance_cutoff,
            event.newsworthiness_cutoff,
            tuple(event.topics),
            tuple(event.study_types),
            event.delivery,
            event.contact_id,
        )


@dataclass(frozen=True)
class Contact:
    """Where alerts go: outside the chain, so that erasing it later breaks nothing."""

    email: str | None
    webhook_url: str | None

    def __bool__(self) -> bool:
        return self.email is not None or self.webhook_url is not None


def subscriber_stream_id(subscriber_id: str) -> str:
    return f"subscriber:{subscriber_id}"


def fold_profile(events: Iterable[DomainEvent]) -> AlertProfile | None:
    """The profile in force after ``events`` (a subscriber's stream), None when cleared."""
    profile = None
    for event in events:
        if isinstance(event, AlertProfileSet):
            profile = AlertProfile.of(event)
        elif isinstance(event, AlertProfileCleared):
            profile = None
    return profile


def check_contact(email: object, webhook_url: object) -> Contact:
    """The contact as it will be stored (trimmed; blank is none), or refused."""
    address = check_optional_text("email", email, limit=MAX_EMAIL)
    if address is not None and not _EMAIL.fullmatch(address):
        raise ValidationFailed("email", "must be an email address, e.g. name@example.org")
    url = check_optional_text("webhook_url", webhook_url, limit=MAX_WEBHOOK_URL)
    if url is not None and not _WEBHOOK.fullmatch(url):
        raise ValidationFailed("webhook_url", "must be an http:// or https:// URL")
    return Contact(address, url)


def _check_cutoff(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 7:
        raise ValidationFailed(field, "must be a whole number from 1 to 7")
    return value


def _registered(kind: str, requested: Sequence[str], known: Mapping[str, str]) -> tuple[str, ...]:
    """Each requested name as registered (``known``: by case-folded name), in the given
    order; one not registered is refused, naming it."""
    spelled: list[str] = []
    for name in requested:
        found = known.get(name.casefold())
        if found is None:
            raise NotFound(kind, name)
        if found not in spelled:
            spelled.append(found)
    return tuple(spelled)


def decide_set_profile(
    role: str,
    subscriber_id: str,
    *,
    disciplines: object,
    relevance_cutoff: object,
    newsworthiness_cutoff: object,
    topics: object,
    study_types: object,
    delivery: object,
    contact: Contact,
    contact_id: str | None,
    registered_disciplines: Mapping[str, str],
    known_study_types: Mapping[str, str],
) -> list[DomainEvent]:
    """Set (or replace) a subscriber's profile. ``registered_disciplines`` and
    ``known_study_types`` map case-folded names to their registered spelling."""
    if role != "subscriber":
        raise NotASubscriber(role)
    wanted = check_texts("disciplines", disciplines, limit=100, most=MAX_PROFILE_ENTRIES)
    if not wanted:
        raise ValidationFailed("disciplines", "must name at least one discipline")
    relevance = _check_cutoff("relevance_cutoff", relevance_cutoff)
    newsworthiness = _check_cutoff("newsworthiness_cutoff", newsworthiness_cutoff)
    topic_names = check_texts("topics", topics or (), limit=100, most=MAX_PROFILE_ENTRIES)
    types = check_texts("study_types", study_types or (), limit=100, most=MAX_PROFILE_ENTRIES)
    if delivery not in DELIVERIES:
        raise ValidationFailed("delivery", f"must be one of {', '.join(DELIVERIES)}")
    if delivery != "none" and not contact:
        raise ValidationFailed("delivery", "needs an email address or a webhook URL")
    unknown = [t for t in types if t.casefold() not in known_study_types]
    if unknown:
        raise ValidationFailed("study_types", f"{unknown[0]!r} is not a known study type")
    return [
        AlertProfileSet(
            subscriber_id=subscriber_id,
            disciplines=_registered("discipline", wanted, registered_disciplines),
            relevance_cutoff=relevance,
            newsworthiness_cutoff=newsworthiness,
            topics=topic_names,
            study_types=tuple(known_study_types[t.casefold()] for t in types),
            delivery=str(delivery),
            contact_id=contact_id if contact else None,
        )
    ]


def decide_clear_profile(
    role: str, subscriber_id: str, profile: AlertProfile | None
) -> list[DomainEvent]:
    """Clear the profile: no alert is due from then on (those already due stay due)."""
    if role != "subscriber":
        raise NotASubscriber(role)
    if profile is None:
        raise NotFound("alert profile", subscriber_id)
    return [AlertProfileCleared(subscriber_id)]
