"""The service's start, through the lifespan as uvicorn drives it: a start that fails because
the database cannot be reached is reported in one line, once; any other failure keeps
Starlette's trace; a start that succeeds, and its stop, pass through untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import Message

from graph.http.unavailable import StartWithoutDatabase
from ledger.store.event_store import TransactionLost

DATABASE = "postgresql://reader:secret@db.example.org/ledger?ssl=require"


def _app(failure: Exception | None) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if failure is not None:
            raise failure
        yield

    return Starlette(
        lifespan=lifespan, middleware=[Middleware(StartWithoutDatabase, database=DATABASE)]
    )


async def _lifespan(app: Starlette) -> tuple[list[Message], BaseException | None]:
    """What the app sends through a start and a stop, and what it raises."""
    asked = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[Message] = []

    async def receive() -> Message:
        return next(asked)

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    except BaseException as error:
        return sent, error
    return sent, None


async def test_a_start_without_the_database_is_reported_in_one_line_once() -> None:
    sent, raised = await _lifespan(_app(TransactionLost()))

    assert isinstance(raised, TransactionLost)  # uvicorn still sees the start fail
    [failed] = sent
    assert failed["type"] == "lifespan.startup.failed"
    # The database named as its user wrote it, without its password.
    assert failed["message"] == (
        "the service cannot start: the database at "
        "postgresql://reader:***@db.example.org/ledger?sslmode=require cannot be reached "
        "(database error: the connection to the database ended before the transaction's "
        "commit: nothing of it was written); start it again once the database answers"
    )


async def test_any_other_failed_start_keeps_its_trace() -> None:
    sent, raised = await _lifespan(_app(ValueError("a fault of the code")))

    assert isinstance(raised, ValueError)
    [failed] = sent
    assert failed["type"] == "lifespan.startup.failed"
    assert failed["message"].startswith("Traceback (most recent call last):")
    assert failed["message"].rstrip().endswith("ValueError: a fault of the code")


async def test_a_start_and_a_stop_pass_through() -> None:
    sent, raised = await _lifespan(_app(None))

    assert raised is None
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
