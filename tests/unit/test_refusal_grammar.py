"""Refusal messages say "an editor" and "a user": every text in ledger/ and graph/ is checked."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.schema.permissions import Auditors, Editors, Raters, Subscribers
from ledger.audit.export import verify_export
from ledger.domain.wording import takes_an, with_article

ROOT = Path(__file__).parent.parent.parent
ARTICLE_AND_WORD = re.compile(r"(?<![\w'-])([Aa]n?)\s+([`'\"(]*[\w][\w.-]*)")
ARTICLE_BEFORE_A_VALUE = re.compile(r"(?:^|\W)[Aa]n?\s+$")


def sources() -> Iterator[tuple[Path, ast.AST]]:
    for package in ("ledger", "graph"):
        for file in sorted((ROOT / package).rglob("*.py")):
            yield file.relative_to(ROOT), ast.parse(file.read_text(encoding="utf-8"))


def texts() -> Iterator[tuple[str, str]]:
    """Every string constant, f-strings' fixed parts included, with where it is."""
    for path, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield f"{path}:{node.lineno}", node.value


def test_every_text_uses_an_before_a_vowel_sound_and_a_before_a_consonant() -> None:
    wrong = [
        f"{where}: {match.group(0)!r}"
        for where, text in texts()
        for match in ARTICLE_AND_WORD.finditer(text)
        if (match.group(1).lower() == "an") != takes_an(match.group(2))
    ]

    assert wrong == []


def test_no_message_puts_a_fixed_article_before_a_value_known_only_at_run_time() -> None:
    """The word is not known when the code is written: ``with_article`` chooses then."""
    fixed = [
        f"{path}:{node.lineno}: {ast.unparse(node)}"
        for path, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part, following in zip(node.values, node.values[1:], strict=False)
        if isinstance(part, ast.Constant)
        and isinstance(following, ast.FormattedValue)
        and ARTICLE_BEFORE_A_VALUE.search(str(part.value))
    ]

    assert fixed == []


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("editor", "an editor"),
        ("auditor", "an auditor"),
        ("evidence-ledger-export", "an evidence-ledger-export"),
        ("Article", "an Article"),
        ("rater", "a rater"),
        ("subscriber", "a subscriber"),
        ("LedgerEvent", "a LedgerEvent"),
        # The exceptions, each said otherwise than it is spelt.
        ("user", "a user"),
        ("UTC time", "a UTC time"),
        ("URL", "a URL"),
        ("unique name", "a unique name"),
        ("unit", "a unit"),
        ("unimportant change", "an unimportant change"),
        ("unknown article", "an unknown article"),
        ("one-line reason", "a one-line reason"),
        ("hour", "an hour"),
        ("HTTP request", "an HTTP request"),
        ("SQLite file", "a SQLite file"),
    ],
)
def test_with_article_chooses_by_the_sound_of_the_first_word(words: str, expected: str) -> None:
    assert with_article(words) == expected


def test_the_role_refusals_read_an_editor_and_an_auditor() -> None:
    messages = [role().on_unauthorized().message for role in (Editors, Auditors, Raters)]
    messages.append(Subscribers().on_unauthorized().message)

    assert messages == [
        "only an editor may do this",
        "only an auditor may do this",
        "only a rater may do this",
        "only a subscriber may do this",
    ]


def test_a_file_that_is_not_an_export_is_refused_as_not_an_evidence_ledger_export() -> None:
    report = verify_export(['{"format": "something else"}\n'])

    assert not report.ok
    assert report.reason is not None
    assert report.reason.startswith("the first line is not an evidence-ledger-export header")
