"""Each database's own ways are chosen in one place per layer: its backend modules
(``sqlite.py``, ``postgres.py``, ``sqlite_writer.py``) and the layer's ``backends`` table,
looked up by dialect name. No other module compares a dialect's name or matches on it. (A
URL's backend name, read before any engine exists, is not a dialect's.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND_MODULES = frozenset({"sqlite.py", "postgres.py", "sqlite_writer.py", "backends.py"})
DIALECT_NAMES = frozenset({"postgresql", "sqlite"})


def _names_a_dialect(node: ast.expr) -> bool:
    """``<anything>.dialect.name``, ``dialect.name``, ``dialect_name`` or ``<x>.dialect_name``,
    or a dialect's name spelled out ("postgresql", "sqlite")."""
    if isinstance(node, ast.Attribute):
        if node.attr == "dialect_name":
            return True
        inner = node.value
        return node.attr == "name" and (
            (isinstance(inner, ast.Attribute) and inner.attr == "dialect")
            or (isinstance(inner, ast.Name) and inner.id == "dialect")
        )
    if isinstance(node, ast.Name):
        return node.id == "dialect_name"
    return isinstance(node, ast.Constant) and node.value in DIALECT_NAMES


def _is_a_name(node: ast.expr) -> bool:
    return _names_a_dialect(node) and not isinstance(node, ast.Constant)


def comparisons(source: str) -> list[int]:
    """The lines comparing a dialect's name (with ==, !=, in, not in, either side) or
    matching on one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            named = [o for o in operands if _names_a_dialect(o)]
            equality = all(
                isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops
            )
            # A dialect name on one side and (its spelling or another name) on the other;
            # ``.name == "postgresql"`` on anything else counts too.
            spelled_against_name = any(
                isinstance(o, ast.Constant) and o.value in DIALECT_NAMES for o in operands
            ) and any(isinstance(o, ast.Attribute) and o.attr == "name" for o in operands)
            if equality and (any(_is_a_name(o) for o in named) or spelled_against_name):
                found.append(node.lineno)
        elif isinstance(node, ast.Match) and _is_a_name(node.subject):
            found.append(node.lineno)
    return sorted(found)


def test_the_scan_finds_a_dialects_name_compared_or_matched_on() -> None:
    assert comparisons('if conn.dialect.name == "postgresql":\n    pass') == [1]
    assert comparisons("if self.name != 'sqlite':\n    pass") == [1]
    assert comparisons('x = "postgresql" == engine.dialect.name') == [1]
    assert comparisons("x = dialect.name not in ('sqlite',)") == [1]
    assert comparisons("x = reads.dialect_name == other") == [1]
    assert comparisons("match conn.dialect.name:\n    case _:\n        pass") == [1]
    # Looking a backend up by name, or a name that only looks alike, is no comparison.
    assert comparisons("backend = _BACKENDS[conn.dialect.name]") == []
    assert comparisons("for dialect_name in names:\n    pass") == []
    assert comparisons('if url.get_backend_name() == "sqlite":\n    pass') == []


def test_no_module_outside_the_backends_compares_a_dialects_name() -> None:
    scanned = 0
    found = []
    for layer in ("ledger", "graph"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            if path.name in BACKEND_MODULES:
                continue
            scanned += 1
            found += [f"{path.relative_to(ROOT)}:{n}" for n in comparisons(path.read_text())]
    assert scanned > 150  # the layers are where the scan looks
    assert found == []
