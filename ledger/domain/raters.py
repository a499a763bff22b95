"""Rater enrolment and the discipline registry, decided and folded without I/O.

A rater's stream holds their enrolment, which fixes their discipline; a discipline's stream
holds its registration. Commands elsewhere take the discipline from the enrolment, never
from their input.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.domain.errors import AlreadyExists, NotFound
from ledger.domain.events import DisciplineRegistered, DomainEvent, RaterEnrolled
from ledger.domain.validation import check_identifier, check_optional_text, check_text

__all__ = [
    "MAX_DISPLAY_NAME",
    "MAX_EMAIL",
    "REFERENCE_DISCIPLINES",
    "Enrolment",
    "check_person",
    "decide_enrol",
    "decide_register_discipline",
    "discipline_key",
    "discipline_stream_id",
    "fold_enrolment",
    "rater_stream_id",
]

# The disciplines of the reference service's raters; loaded as data, not hard-wired rules.
REFERENCE_DISCIPLINES = (
    "Physician",
    "Nurse",
    "Physiotherapist",
    "Occupational therapist",
    "Psychologist",
    "Pharmacist",
    "Dietitian",
    "Social worker",
)


# What identifies a rater lives in the people table, whose columns hold at most this much
# (PostgreSQL enforces the lengths, SQLite would not): checked here, so both refuse alike.
MAX_DISPLAY_NAME = 300
MAX_EMAIL = 320  # the longest address SMTP allows


@dataclass(frozen=True)
class Enrolment:
    rater_id: str
    person_id: str
    discipline: str


def rater_stream_id(rater_id: str) -> str:
    return f"rater:{rater_id}"


def discipline_key(name: str) -> str:
    """The stream identifier of a discipline: its name, case-folded, spaces as dashes.

    A name that is not plain ASCII letters and digits gets a digest of its normalised form,
    so "Врач" and "Медсестра" never share a key (and a key is always a valid identifier).
    """
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if slug and folded.isascii():
        return slug[:64]
    digest = hashlib.sha256(folded.encode()).hexdigest()[:16]
    return f"{slug[:40]}-{digest}" if slug else f"x-{digest}"


def discipline_stream_id(name: str) -> str:
    return f"discipline:{discipline_key(name)}"


def fold_enrolment(events: Iterable[DomainEvent]) -> Enrolment | None:
    enrolment = None
    for event in events:
        if isinstance(event, RaterEnrolled):
            enrolment = Enrolment(event.rater_id, event.person_id, event.discipline)
    return enrolment


def decide_register_discipline(exists: bool, name: object) -> list[DomainEvent]:
    checked = check_text("name", name, limit=100)
    if exists:
        raise AlreadyExists("discipline", checked)
    return [DisciplineRegistered(checked)]


def decide_enrol(
    enrolment: Enrolment | None,
    rater_id: str,
    person_id: str,
    discipline: str | None,
    requested_discipline: object,
) -> list[DomainEvent]:
    """``discipline`` is the registered spelling of the requested one, or None if unknown."""
    check_identifier("rater_id", rater_id)
    if enrolment is not None:
        raise AlreadyExists("rater", rater_id)
    if discipline is None:
        raise NotFound("discipline", str(requested_discipline))
    return [RaterEnrolled(rater_id, person_id, discipline)]


def check_person(display_name: object, email: object) -> tuple[str | None, str | None]:
    """A rater's name and email as they will be stored (trimmed; blank is none), refused
    when longer than the people table holds or not storable."""
    return (
        check_optional_text("display_name", display_name, limit=MAX_DISPLAY_NAME),
        check_optional_text("email", email, limit=MAX_EMAIL),
    )
