"""Each database's own ways are chosen in one place per layer: its backend modules
(``sqlite.py``, ``postgres.py``, ``sqlite_writer.py``) and the layer's ``backends`` table,
looked up by dialect name. No other module compares a dialect's name. (A URL's backend name,
read before any engine exists, is not a dialect's.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND_MODULES = frozenset({"sqlite.py", "postgres.py", "sqlite_writer.py", "backends.py"})
_COMPARED = re.compile(
    r"""dialect(?:_name|\.name)\s*(?:==|!=|\bin\b)"""
    r"""|\.name\s*(?:==|!=)\s*["'](?:postgresql|sqlite)["']"""
)


def comparisons(source: str) -> list[tuple[int, str]]:
    return [
        (number, line.strip())
        for number, line in enumerate(source.splitlines(), 1)
        if _COMPARED.search(line)
    ]


def test_the_pattern_finds_a_dialects_name_compared() -> None:
    assert comparisons('if conn.dialect.name == "postgresql":\n    pass') == [
        (1, 'if conn.dialect.name == "postgresql":')
    ]
    assert comparisons("if self.name != 'sqlite':") == [(1, "if self.name != 'sqlite':")]
    assert comparisons("backend = _BACKENDS[conn.dialect.name]") == []


def test_no_module_outside_the_backends_compares_a_dialects_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line}"
        for layer in ("ledger", "graph")
        for path in sorted((ROOT / layer).rglob("*.py"))
        if path.name not in BACKEND_MODULES
        for number, line in comparisons(path.read_text())
    ]
    assert found == []
