"""The in-memory store is the store without a database: loading it, or the commands and the
memory views over it, loads no database library, so tests of the rules on it start in
milliseconds."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "modules",
    [
        "ledger.store.memory",
        "ledger.store.memory, ledger.projections.memory, ledger.use_cases.service",
    ],
)
def test_loading_the_ledger_without_a_database_loads_no_database_library(modules: str) -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {modules}; "
            "print(sorted(m for m in ('sqlalchemy', 'aiosqlite', 'asyncpg') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
