"""What the ledger knows the words of: study types and how it spells topics (no I/O).

Study types come from the reference list and one stream of those editors added; topics are
reused as the ledger already spells them. Articles are registered and corrected against a
``Vocabulary`` the use case reads in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ledger.domain.errors import AlreadyExists, ValidationFailed
from ledger.domain.events import DomainEvent, StudyTypeRegistered
from ledger.domain.validation import check_text

__all__ = [
    "DEFAULT_STUDY_TYPES",
    "REFERENCE_VOCABULARY",
    "STUDY_TYPES_STREAM",
    "Vocabulary",
    "decide_register_study_type",
    "known_spellings",
    "study_types",
    "topic_key",
]

# The reference service's study types; editors add more (``StudyTypeRegistered``).
DEFAULT_STUDY_TYPES = (
    "Systematic review",
    "Meta-analysis",
    "Randomized controlled trial",
    "Cohort",
    "Case-control",
    "Case series",
    "Cross-sectional",
    "Diagnostic accuracy",
    "Economic evaluation",
    "Qualitative",
    "Guideline",
)
# One stream holds every study type added, so the whole vocabulary is one indexed read.
STUDY_TYPES_STREAM = "vocabulary:study-types"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def topic_key(name: str) -> str:
    """What makes two topics the same: the text, trimmed, with ASCII letters in lower case.
    (Only ASCII: SQLite's lower() and the PostgreSQL expression of it agree on exactly that.)"""
    return name.strip().translate(_ASCII_LOWER)


def known_spellings(names: Iterable[str], held: Iterable[str]) -> dict[str, str]:
    """By ``topic_key``: how the ledger spells each of ``names``' topics, among the spellings
    it ``held``. Where it holds several spellings of one topic, the first by code point is
    the one, so every store and backend chooses the same."""
    wanted = {topic_key(name) for name in names}
    spellings: dict[str, str] = {}
    for topic in sorted(set(held)):
        key = topic_key(topic)
        if key in wanted:
            spellings.setdefault(key, topic)
    return spellings


@dataclass(frozen=True)
class Vocabulary:
    """What the ledger already knows when an article's study type and topics are decided."""

    study_types: tuple[str, ...] = DEFAULT_STUDY_TYPES
    # The spelling the ledger uses for each topic, by ``topic_key``.
    topics: Mapping[str, str] = field(default_factory=dict)

    def spelled_as_known(self, topics: object) -> object:
        """The topics, each as the ledger already spells it ("back pain" -> "Back Pain")."""
        if not isinstance(topics, list | tuple):
            return topics  # refused by the topics check, with its own message
        return [self.topics.get(topic_key(t), t) if isinstance(t, str) else t for t in topics]

    def study_type(self, value: object) -> str:
        """The study type as the vocabulary spells it; anything else is refused."""
        checked = check_text("study_type", value, limit=100)
        for known in self.study_types:
            if known.casefold() == checked.casefold():
                return known
        raise ValidationFailed(
            "study_type", f"must be one of the study types: {', '.join(self.study_types)}"
        )


def decide_register_study_type(known: tuple[str, ...], name: object) -> list[DomainEvent]:
    """Add a study type to the vocabulary; one already in it (in any case) is refused."""
    checked = check_text("name", name, limit=100)
    if any(t.casefold() == checked.casefold() for t in known):
        raise AlreadyExists("study type", checked)
    return [StudyTypeRegistered(checked)]


def study_types(history: Iterable[DomainEvent]) -> tuple[str, ...]:
    """The study types articles may have: the reference list, then those editors added."""
    added = tuple(e.name for e in history if isinstance(e, StudyTypeRegistered))
    return DEFAULT_STUDY_TYPES + added


# What a ledger knows before any article or study type is added.
REFERENCE_VOCABULARY = Vocabulary()
