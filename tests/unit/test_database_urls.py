"""Database URLs as operators are handed them: libpq's ``sslmode`` reaches asyncpg as its
``ssl`` keyword through SQLAlchemy, and as ``sslmode`` in the DSN asyncpg parses itself."""

from __future__ import annotations

import pytest

from ledger.read.listened import asyncpg_dsn
from ledger.store.db import async_url, create_engine


@pytest.mark.parametrize("mode", ["disable", "require", "verify-full"])
def test_a_libpq_tls_mode_is_kept_under_each_drivers_name(mode: str) -> None:
    given = f"postgresql://reader:secret@db.example.org:5432/ledger?sslmode={mode}"

    engine_url = async_url(given)
    assert engine_url.drivername == "postgresql+asyncpg"
    assert dict(engine_url.query) == {"ssl": mode}

    engine = create_engine(given)  # opens no connection
    assert asyncpg_dsn(engine) == (
        f"postgresql://reader:secret@db.example.org:5432/ledger?sslmode={mode}"
    )


def test_a_url_without_a_tls_mode_is_left_as_it_is() -> None:
    assert dict(async_url("postgresql://db.example.org/ledger?application_name=x").query) == {
        "application_name": "x"
    }
    assert async_url("sqlite:///ledger.db").drivername == "sqlite+aiosqlite"
