"""Every refusal changes nothing and every request retried is answered once, for every use
case, on the in-memory store and views (the SQL stores run a share of them, in
tests/store/test_service.py)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from ledger.domain.commands import EnrolRater, RegisterDiscipline
from ledger.domain.errors import DomainError
from ledger.projections.memory import MemoryViews
from ledger.store.records import Actor
from ledger.use_cases.service import EvidenceLedger
from tests.store.ledgers import DISCIPLINES, EDITOR, rater, subscriber
from tests.use_cases.requests import NURSES, PHYSICIANS, REFUSALS, REQUESTS, Call, World, populate

# Everyone the requests act as: a refused request must have used up none of their keys.
CALLERS = [
    EDITOR,
    *(rater(r) for r in [*PHYSICIANS, *NURSES, "nobody"]),
    *(subscriber(s) for s in ("s1", "s2", "s9")),
]


@dataclasses.dataclass
class Ledger:
    ledger: EvidenceLedger
    store: Any
    views: MemoryViews
    world: World

    async def snapshot(self) -> tuple[Any, ...]:
        """Everything a request could change: the log, the views' rows, the people."""
        log = [(e.position, e.hash) for e in await self.store.read_all(0, 10_000)]
        rows = {name: dict(rows.rows) for name, rows in vars(self.views.rows).items()}
        return log, copy.deepcopy(rows), self.views.checkpoint, dict(self.views.people)

    async def keys_used(self, key: str) -> list[Actor]:
        return [a for a in CALLERS if await self.store.find_append(key, actor=a) is not None]


@pytest.fixture
async def built(event_store: Any) -> Ledger:
    store = event_store
    views = MemoryViews(store)
    ledger = EvidenceLedger(store, views=views)
    for name in DISCIPLINES:
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR)
    for rater_id, discipline in {**PHYSICIANS, **NURSES}.items():
        await ledger.execute(EnrolRater(rater_id=rater_id, discipline=discipline), actor=EDITOR)
    return Ledger(ledger, store, views, await populate(ledger))


@pytest.mark.parametrize(("case", "call", "error"), REFUSALS, ids=[case for case, _, _ in REFUSALS])
async def test_every_refusal_changes_nothing(
    built: Ledger, case: str, call: Call, error: type[DomainError]
) -> None:
    before = await built.snapshot()

    with pytest.raises(error):
        await call(built.ledger, built.world, "refused-request")

    assert await built.snapshot() == before
    assert await built.keys_used("refused-request") == []  # a refusal uses up no key


@pytest.mark.parametrize(("name", "call"), REQUESTS, ids=[name for name, _ in REQUESTS])
async def test_the_same_request_twice_returns_the_first_result_and_appends_nothing(
    built: Ledger, name: str, call: Call
) -> None:
    first = await call(built.ledger, built.world, f"{name}-1")
    before = await built.snapshot()

    second = await call(built.ledger, built.world, f"{name}-1")

    assert not first.replayed
    assert second.replayed
    assert dataclasses.replace(second, replayed=False) == first
    assert await built.snapshot() == before
