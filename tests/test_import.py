"""``evidence-ledger import``: each line on its own, streamed, from a file or standard input."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from graph.cli.main import app
from ledger.store.db import create_engine
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.importing import MAX_LINE_BYTES, import_articles, read_lines
from ledger.use_cases.sql_views import sql_ledger


def article_line(title: str, **fields: Any) -> bytes:
    document = {
        "title": title,
        "journal": "Journal of Pain Research",
        "studyType": "Systematic review",
        "abstract": f"An abstract of {title}.",
        "topics": ["Back Pain"],
    } | fields
    return json.dumps(document).encode() + b"\n"


async def run_import(database_url: str, *args: str, stdin: bytes | None = None) -> Result:
    """The command calls asyncio.run, so it runs on a thread of its own."""
    return await asyncio.to_thread(
        CliRunner().invoke, app, ["import", *args, "--database", database_url], input=stdin
    )


async def head_position(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        return (await SQLEventStore(engine).head()).position
    finally:
        await engine.dispose()


def refusals(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("line ")]


async def test_a_line_that_is_not_utf8_is_refused_with_its_number_and_the_others_imported(
    database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "articles.jsonl"
    latin1 = article_line("Caf\u00e9 trial").replace(b"\\u00e9", b"\xe9")
    file.write_bytes(article_line("First") + latin1 + article_line("Third"))

    result = await run_import(database_url, str(file))

    assert result.exit_code == 1, result.output
    assert result.stdout == "2 imported, 0 already there, 1 refused\n"
    assert refusals(result) == ["line 2: refused: line: is not UTF-8: byte 0xe9 at byte 15"]
    assert await head_position(database_url) == 2


async def test_a_leading_byte_order_mark_refuses_the_first_line_only(
    database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "articles.jsonl"
    file.write_bytes(b"\xef\xbb\xbf" + article_line("First") + article_line("Second"))

    result = await run_import(database_url, str(file))

    assert result.exit_code == 1, result.output
    assert result.stdout == "1 imported, 0 already there, 1 refused\n"
    [refusal] = refusals(result)
    assert refusal.startswith("line 1: refused: line: starts with a byte order mark (U+FEFF)")


async def test_import_dash_reads_the_articles_from_standard_input(database_url: str) -> None:
    lines = article_line("From a pipe") + b"\n" + article_line("And another")

    first = await run_import(database_url, "-", stdin=lines)
    again = await run_import(database_url, "-", stdin=lines)

    assert first.exit_code == 0, first.output
    assert first.stdout == "2 imported, 0 already there, 0 refused\n"
    assert again.exit_code == 0, again.output
    assert again.stdout == "0 imported, 2 already there, 0 refused\n"
    assert await head_position(database_url) == 2


async def test_refusals_name_fields_as_the_import_format_does(
    database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "articles.jsonl"
    file.write_bytes(
        article_line("Bad date", publishedOn="2022-13-01")
        + article_line("Bad note", publicationNote=7)
        + article_line("Bad id", id="not an id")
    )

    result = await run_import(database_url, str(file))

    assert result.exit_code == 1, result.output
    reasons = [line.split(": refused: ")[1] for line in refusals(result)]
    assert [reason.split(":")[0] for reason in reasons] == ["publishedOn", "publicationNote", "id"]
    assert await head_position(database_url) == 0


def test_a_missing_file_is_named_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.jsonl"

    result = CliRunner().invoke(app, ["import", str(missing)])

    assert result.exit_code == 2
    assert result.stderr == f"error: cannot read {missing}: No such file or directory\n"


def test_an_overlong_line_comes_cut_to_the_limit_and_the_next_line_whole() -> None:
    limit = 1024
    stream = io.BytesIO(b"x" * (50 * limit) + b"\n" + b'{"next": 1}\n' + b"y" * (3 * limit))

    lines = list(read_lines(stream, limit=limit))

    assert [len(line) for line in lines] == [limit + 1, len(b'{"next": 1}\n'), limit + 1]
    assert lines[1] == b'{"next": 1}\n'


async def test_a_line_longer_than_the_limit_is_refused_and_the_rest_imported(
    database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "articles.jsonl"
    huge = article_line("Huge", abstract="x" * MAX_LINE_BYTES)
    file.write_bytes(article_line("Small") + huge + article_line("After"))

    result = await run_import(database_url, str(file))

    assert result.stdout == "2 imported, 0 already there, 1 refused\n"
    assert refusals(result) == [f"line 2: refused: line: is longer than {MAX_LINE_BYTES:,} bytes"]


async def test_a_file_imported_again_by_another_operator_registers_no_article_twice(
    store: SQLEventStore,
) -> None:
    lines = [article_line("Spinal manipulation"), article_line("Exercise therapy")]
    ledger = sql_ledger(store)
    first = [
        line async for line in import_articles(ledger, lines, actor=Actor("cli:ana", "editor"))
    ]
    head = (await store.head()).position

    again = [
        line async for line in import_articles(ledger, lines, actor=Actor("cli:ben", "editor"))
    ]

    assert [line.outcome for line in first] == ["imported", "imported"]
    assert [(line.outcome, line.reason) for line in again] == [
        ("refused", f"article {line.article_id!r} already exists") for line in first
    ]
    assert (await store.head()).position == head
