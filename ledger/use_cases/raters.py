"""Disciplines and raters: an editor registers a discipline and enrols a rater in one.

A rater's name and email stay outside the hash chain, in the people table, so that erasing
a person later breaks nothing.
"""

from __future__ import annotations

import uuid

from ledger.domain import raters
from ledger.domain.commands import EnrolRater, RegisterDiscipline
from ledger.domain.errors import NotFound
from ledger.domain.events import DisciplineRegistered, RaterEnrolled
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.runner import Decision, DomainIds, Runner, named_by, no_ids

__all__ = ["enrol_rater", "enrolment", "register_discipline", "registered_discipline"]


async def register_discipline(
    runner: Runner, command: RegisterDiscipline, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    async def plan(tx: LedgerTransaction) -> Decision:
        stream = raters.discipline_stream_id(str(command.name))
        history = await tx.read_stream(stream)
        decided = raters.decide_register_discipline(bool(history), command.name)
        return Decision(stream, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=no_ids)


async def enrol_rater(
    runner: Runner, command: EnrolRater, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    """Enrol a rater in one discipline; their name and email stay outside the chain."""
    display_name, email = raters.check_person(command.display_name, command.email)
    rater_id = command.rater_id or uuid.uuid4().hex[:16]

    async def plan(tx: LedgerTransaction) -> Decision:
        registered = await registered_discipline(runner, tx, command.discipline)
        stream = raters.rater_stream_id(rater_id)
        history = await tx.read_stream(stream)
        enrolment = raters.fold_enrolment(runner.decode(history))
        person_id = uuid.uuid4().hex
        decided = raters.decide_enrol(
            enrolment, rater_id, person_id, registered, command.discipline
        )
        await runner.views.record_person(tx, person_id, display_name, email)
        return Decision(stream, len(history), decided)

    # Named from the event: a retry without a rater id made a new one, not the first's.
    enrolled = named_by(RaterEnrolled, lambda e: DomainIds(rater_id=e.rater_id))
    return await runner.run(command, plan, actor, idempotency_key, ids=enrolled)


async def enrolment(runner: Runner, rater_id: str) -> raters.Enrolment:
    """A rater's enrolment, folded from their stream."""
    history = await runner.store.read_stream(raters.rater_stream_id(rater_id))
    found = raters.fold_enrolment(runner.decode(history))
    if found is None:
        raise NotFound("rater", rater_id)
    return found


async def registered_discipline(runner: Runner, tx: LedgerTransaction, name: str) -> str | None:
    """The registered spelling of a discipline, or None when it is not registered."""
    history = await tx.read_stream(raters.discipline_stream_id(str(name)))
    for event in runner.decode(history):
        if isinstance(event, DisciplineRegistered):
            return event.name
    return None
