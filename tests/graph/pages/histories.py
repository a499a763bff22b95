"""Random histories of articles (rated, commented, hidden, retracted, corrected, topics
changed), written through the use cases beside the sample article, and a caller of each role."""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Any

from sqlalchemy import insert

from ledger.domain.commands import EnrolRater, RegisterDiscipline
from ledger.domain.errors import DomainError
from ledger.store.tables import people
from tests.graph.conftest import Api
from tests.store.commands import DISCIPLINES, EDITOR, READER, Histories, run
from tests.store.commands import _register as register_article

__all__ = ["HISTORIES", "ROLES", "tokens", "written"]

HISTORIES = Histories(
    articles=3,
    raters=6,
    kinds=["submit"] * 5
    + ["revise"] * 2
    + ["withdraw", "comment", "comment", "hide", "restore", "topics", "correct"]
    + ["correct_with_topics", "register", "retract", "assign"],
    article_weights=[0, 1, 0, 1, 2],
    min_size=5,
    max_size=30,
)
ROLES = ("subscriber", "rater", "editor", "auditor")


async def tokens(api: Api, rater_id: str) -> list[str | None]:
    """No token, and one of each role (the rater's rated these articles, maybe)."""
    return [None, *[await api.token(role, rater_id if role == "rater" else None) for role in ROLES]]


async def _name_the_reader(api: Api) -> None:
    async with api.services.engine.begin() as conn:
        await conn.execute(
            insert(people), [{"person_id": READER.id, "display_name": "Sam Subscriber"}]
        )


async def _prepare(api: Api, prefix: str) -> None:
    """As ``tests.store.commands.prepare``, beside the sample article's disciplines."""
    ledger = api.services.ledger
    for name in DISCIPLINES:
        with suppress(DomainError):  # registered before
            await ledger.execute(RegisterDiscipline(name=name), actor=EDITOR)
    for number in range(HISTORIES.raters):
        await ledger.execute(
            EnrolRater(
                rater_id=f"{prefix}-r{number}", discipline=DISCIPLINES[number % len(DISCIPLINES)]
            ),
            actor=EDITOR,
        )
    for number in range(HISTORIES.articles - 1):
        await register_article(ledger, f"{prefix}-a{number}", number, ["A", "B"])


async def _reader_named(api: Api) -> bool:
    async with api.services.engine.connect() as conn:
        found = await conn.scalar(people.select().where(people.c.person_id == READER.id))
    return found is not None


async def written(api: Api, history: list[tuple[Any, ...]]) -> list[str]:
    """``history`` run on articles of its own; their ids (some may not be registered)."""
    prefix = uuid.uuid4().hex[:8]  # each example writes its own articles and raters
    await _prepare(api, prefix)
    for command in history:
        with suppress(DomainError):  # a refused command changes nothing
            await run(api.services.ledger, prefix, HISTORIES, command)
    if not await _reader_named(api):
        await _name_the_reader(api)
    return [f"{prefix}-a{n}" for n in range(HISTORIES.articles)]
