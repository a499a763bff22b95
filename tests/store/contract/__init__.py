"""The event store's contract: one suite, run against every store (``test_*_store.py``).

As the ``eventsourcing`` library tests its recorders: the tests live in abstract classes
(not collected by themselves), and each kind of store subclasses them with a ``harness``
fixture that makes a fresh, empty store of its kind.
"""

from __future__ import annotations

from tests.store.contract.appends import AppendContract
from tests.store.contract.races import RaceContract
from tests.store.contract.reads import ReadContract

__all__ = ["EventStoreContract"]


class EventStoreContract(AppendContract, ReadContract, RaceContract):
    """Everything an ``EventStore`` promises, whatever keeps its events."""
