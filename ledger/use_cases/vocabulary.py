"""The vocabulary's commands and reads: study types editors add, topics as the ledger spells
them."""

from __future__ import annotations

from ledger.domain import vocabulary
from ledger.domain.commands import RegisterStudyType
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.runner import Decision, Runner, no_ids

__all__ = ["read_vocabulary", "register_study_type", "study_types"]


async def register_study_type(
    runner: Runner, command: RegisterStudyType, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    """Add a study type to the vocabulary articles are registered and corrected with."""

    async def plan(tx: LedgerTransaction) -> Decision:
        history = await tx.read_stream(vocabulary.STUDY_TYPES_STREAM)
        known = vocabulary.study_types(runner.decode(history))
        decided = vocabulary.decide_register_study_type(known, command.name)
        return Decision(vocabulary.STUDY_TYPES_STREAM, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=no_ids)


async def study_types(runner: Runner) -> tuple[str, ...]:
    """The study types articles may have: the reference list, then those editors added."""
    history = await runner.store.read_stream(vocabulary.STUDY_TYPES_STREAM)
    return vocabulary.study_types(runner.decode(history))


async def read_vocabulary(
    runner: Runner, tx: LedgerTransaction, topics: object
) -> vocabulary.Vocabulary:
    """The study types, and how the ledger spells these topics, as this transaction sees them."""
    history = await tx.read_stream(vocabulary.STUDY_TYPES_STREAM)
    listed = topics if isinstance(topics, list | tuple) else []
    names = [t for t in listed if isinstance(t, str)]
    return vocabulary.Vocabulary(
        study_types=vocabulary.study_types(runner.decode(history)),
        topics=await runner.views.topic_spellings(tx, names),
    )
