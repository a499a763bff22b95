"""Alert profiles: a subscriber sets, replaces or clears what they want to be sent.

The email address and webhook URL stay outside the hash chain, in ``alert_contacts`` (the
event carries the row's id), so that erasing them later breaks nothing.
"""

from __future__ import annotations

import uuid

from ledger.domain import alerts, raters
from ledger.domain.commands import ClearAlertProfile, SetAlertProfile
from ledger.domain.events import DisciplineRegistered
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.runner import Decision, Runner, no_ids
from ledger.use_cases.vocabulary import read_vocabulary

__all__ = ["clear_alert_profile", "set_alert_profile"]


async def set_alert_profile(
    runner: Runner, command: SetAlertProfile, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    contact = alerts.check_contact(command.email, command.webhook_url)

    async def plan(tx: LedgerTransaction) -> Decision:
        stream = alerts.subscriber_stream_id(command.subscriber_id)
        history = await tx.read_stream(stream)
        vocabulary = await read_vocabulary(runner, tx, [])
        contact_id = uuid.uuid4().hex
        decided = alerts.decide_set_profile(
            actor.role,
            command.subscriber_id,
            disciplines=command.disciplines,
            relevance_cutoff=command.relevance_cutoff,
            newsworthiness_cutoff=command.newsworthiness_cutoff,
            topics=command.topics,
            study_types=command.study_types,
            delivery=command.delivery,
            contact=contact,
            contact_id=contact_id,
            registered_disciplines=await _registered(runner, tx, command.disciplines),
            known_study_types={t.casefold(): t for t in vocabulary.study_types},
        )
        if contact:
            await runner.views.record_contact(
                tx, contact_id, command.subscriber_id, contact.email, contact.webhook_url
            )
        return Decision(stream, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=no_ids)


async def clear_alert_profile(
    runner: Runner, command: ClearAlertProfile, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    async def plan(tx: LedgerTransaction) -> Decision:
        stream = alerts.subscriber_stream_id(command.subscriber_id)
        history = await tx.read_stream(stream)
        profile = alerts.fold_profile(runner.decode(history))
        decided = alerts.decide_clear_profile(actor.role, command.subscriber_id, profile)
        return Decision(stream, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=no_ids)


async def _registered(runner: Runner, tx: LedgerTransaction, names: object) -> dict[str, str]:
    """Of the requested disciplines, those registered: case-folded name -> registered one."""
    found: dict[str, str] = {}
    listed = names if isinstance(names, list | tuple) else []
    for name in (n for n in listed if isinstance(n, str) and n.strip()):
        history = await tx.read_stream(raters.discipline_stream_id(name))
        for event in runner.decode(history):
            if isinstance(event, DisciplineRegistered):
                found[name.strip().casefold()] = event.name
    return found
