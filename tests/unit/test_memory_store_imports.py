"""The in-memory store is the store without a database: loading it loads no database library,
so tests of the rules on it start in milliseconds."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_memory_store_loads_no_database_library() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ledger.store.memory; "
            "print(sorted(m for m in ('sqlalchemy', 'aiosqlite', 'asyncpg') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
