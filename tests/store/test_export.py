"""The verifiable export: written from the ledger, checked with no database, and every kind
of tampering named at its first bad line (in the library and through the command)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from graph.cli.main import app
from ledger.audit.export import FORMAT, ExportReport, FileReport, export_ledger, verify_export
from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    HideComment,
    PostComment,
    ReviseRating,
    SubmitRating,
)
from ledger.store.canonical import GENESIS_HASH, canonical_json, chain_hash
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID, load_sample
from ledger.use_cases.sql_views import sql_ledger

EDITOR = Actor("editor-1", "editor")
READER = Actor("subscriber-1", "subscriber")

Lines = list[str]


async def fill_ledger(store: SQLEventStore) -> int:
    """The sample article, a nurse's rating and its revision, comments, one of them hidden."""
    ledger = sql_ledger(store)
    await load_sample(ledger)
    await ledger.execute(EnrolRater(rater_id="nurse-1", discipline="Nurse"), actor=EDITOR)
    # Rated in Nurse as well from now on: the nurse is asked.
    await ledger.execute(AssignDisciplines(SAMPLE_ARTICLE_ID, ["Physician", "Nurse"]), actor=EDITOR)
    nurse = Actor("nurse-1", "rater")
    await ledger.execute(
        SubmitRating(SAMPLE_ARTICLE_ID, "nurse-1", 4, 3, "Café au lait: «ok»"), actor=nurse
    )
    await ledger.execute(
        ReviseRating(SAMPLE_ARTICLE_ID, "nurse-1", 5, 4, "Second look."), actor=nurse
    )
    await ledger.execute(PostComment(SAMPLE_ARTICLE_ID, READER.id, "Useful."), actor=READER)
    posted = await ledger.execute(PostComment(SAMPLE_ARTICLE_ID, READER.id, "Spam."), actor=READER)
    comment_id = posted.events[0].payload["comment_id"]
    await ledger.execute(HideComment(SAMPLE_ARTICLE_ID, comment_id, "spam"), actor=EDITOR)
    head = (await store.head()).position
    assert head >= 15
    return head


async def export_text(store: SQLEventStore, after: int = 0) -> tuple[str, ExportReport]:
    out = io.StringIO()
    report = await export_ledger(store, out, after=after)
    return out.getvalue(), report


def split(text: str) -> Lines:
    return text.splitlines(keepends=True)


# -- round trips --------------------------------------------------------------------------


async def test_an_export_verifies_and_ends_at_the_head_hash(store: SQLEventStore) -> None:
    head_position = await fill_ledger(store)
    head = await store.head()

    text, written = await export_text(store)
    report = verify_export(split(text))

    assert report == FileReport(True, head_position, head_position, head.hash)
    assert written == ExportReport(head_position, 1, head_position, head.hash)
    lines = split(text)
    assert len(lines) == head_position + 2  # a header, the events, a footer
    assert json.loads(lines[0]) == {
        "format": FORMAT,
        "version": 1,
        "after": 0,
        "previous_hash": GENESIS_HASH,
    }
    assert [json.loads(line)["position"] for line in lines[1:-1]] == list(
        range(1, head_position + 1)
    )
    assert json.loads(lines[-1]) == {
        "end": True,
        "events": head_position,
        "last_position": head_position,
        "last_hash": head.hash,
    }
    # Every line is canonical JSON, non-ASCII text kept as it is.
    for line in lines:
        assert line == canonical_json(json.loads(line)) + "\n"
    assert "Café au lait: «ok»" in text


async def test_an_event_line_hashes_to_its_stated_hash_from_the_one_before(
    store: SQLEventStore,
) -> None:
    await fill_ledger(store)
    text, _ = await export_text(store)
    previous = GENESIS_HASH
    for line in split(text)[1:-1]:
        document = json.loads(line)
        stated = document.pop("hash")
        assert stated == chain_hash(previous, canonical_json(document).encode())
        previous = stated
    assert previous == (await store.head()).hash


@pytest.mark.parametrize("after", ["1", "7", "one before the head", "the head"])
async def test_an_export_after_a_position_verifies_and_covers_the_rest(
    store: SQLEventStore, after: str
) -> None:
    head_position = await fill_ledger(store)
    head = await store.head()
    start = {"one before the head": head_position - 1, "the head": head_position}.get(after)
    start = int(after) if start is None else start

    text, written = await export_text(store, after=start)
    report = verify_export(split(text))

    assert report == FileReport(True, head_position - start, head_position, head.hash)
    assert written.events == head_position - start
    assert written.first_position == (start + 1 if start < head_position else None)
    lines = split(text)
    header = json.loads(lines[0])
    assert header["after"] == start
    previous_at_start = (await store.read_all(after=start - 1, limit=1))[0].hash
    assert header["previous_hash"] == previous_at_start
    positions = [json.loads(line)["position"] for line in lines[1:-1]]
    assert positions == list(range(start + 1, head_position + 1))


async def test_an_export_after_a_position_beyond_the_head_is_refused(store: SQLEventStore) -> None:
    head_position = await fill_ledger(store)

    with pytest.raises(ValueError, match="--after"):
        await export_text(store, after=head_position + 1)
    with pytest.raises(ValueError, match="--after"):
        await export_text(store, after=-1)


async def test_an_empty_ledger_exports_a_header_and_a_footer_that_verify(
    store: SQLEventStore,
) -> None:
    text, written = await export_text(store)

    assert verify_export(split(text)) == FileReport(True, 0, 0, GENESIS_HASH)
    assert written == ExportReport(0, None, 0, GENESIS_HASH)
    assert len(split(text)) == 2


# -- tampering ----------------------------------------------------------------------------


def flip_a_payload_letter(line: str) -> str:
    """Change the case of the first letter of a string in the payload (still valid JSON)."""
    start = line.index('"payload":{') + len('"payload":{')
    value = line.index('":"', start) + len('":"')
    while not line[value].isascii() or not line[value].isalpha():
        value += 1
    flipped = line[:value] + line[value].swapcase() + line[value + 1 :]
    assert flipped != line
    assert json.loads(flipped)["payload"] != json.loads(line)["payload"]
    return flipped


Tamper = Callable[[Lines, int], tuple[Lines, int, str]]
# An export from position 0: line 1 is the header, line K + 1 the event at position K, so
# the event at position K is at index K of the list of lines; the footer is last.


def flip_payload_byte_at(position: int) -> Tamper:
    """Position 0 means the last event."""

    def tamper(lines: Lines, head: int) -> tuple[Lines, int, str]:
        target = position or head
        lines[target] = flip_a_payload_letter(lines[target])
        return lines, target + 1, f"the hash of position {target} does not match its contents"

    return tamper


def drop_a_middle_line(lines: Lines, head: int) -> tuple[Lines, int, str]:
    middle = head // 2
    del lines[middle]
    return (
        lines,
        middle + 1,
        f"expected position {middle}, found {middle + 1}: events are missing or out of order",
    )


def swap_two_adjacent_events(lines: Lines, head: int) -> tuple[Lines, int, str]:
    middle = head // 2
    lines[middle], lines[middle + 1] = lines[middle + 1], lines[middle]
    return (
        lines,
        middle + 1,
        f"expected position {middle}, found {middle + 1}: events are missing or out of order",
    )


def drop_the_footer(lines: Lines, head: int) -> tuple[Lines, int, str]:
    del lines[-1]
    return lines, head + 2, "the file ends before its footer: it is truncated"


def cut_the_last_event_and_the_footer(lines: Lines, head: int) -> tuple[Lines, int, str]:
    del lines[-2:]
    return lines, head + 1, "the file ends before its footer: it is truncated"


def cut_the_footer_mid_line(lines: Lines, head: int) -> tuple[Lines, int, str]:
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    return lines, head + 2, "not JSON"


def cut_the_last_event_mid_line(lines: Lines, head: int) -> tuple[Lines, int, str]:
    del lines[-1]
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    return lines, head + 1, "not JSON"


def keep_only_the_header(lines: Lines, head: int) -> tuple[Lines, int, str]:
    return lines[:1], 2, "the file ends before its footer: it is truncated"


def footer_with(**changes: object) -> Tamper:
    def tamper(lines: Lines, head: int) -> tuple[Lines, int, str]:
        footer = json.loads(lines[-1]) | changes
        lines[-1] = canonical_json(footer) + "\n"
        return lines, head + 2, "the footer does not match the events before it"

    return tamper


def footer_claiming_fewer_events(lines: Lines, head: int) -> tuple[Lines, int, str]:
    """A footer moved up over the last event, as if the file had ended there."""
    footer = json.loads(lines[-1])
    del lines[-2]
    lines[-1] = canonical_json(footer) + "\n"
    return lines, head + 1, "the footer does not match the events before it"


def append_after_the_footer(extra: str) -> Tamper:
    def tamper(lines: Lines, head: int) -> tuple[Lines, int, str]:
        return [*lines, extra], head + 3, "lines follow the footer"

    return tamper


def repeat_the_last_event_after_the_footer(lines: Lines, head: int) -> tuple[Lines, int, str]:
    return [*lines, lines[-2]], head + 3, "lines follow the footer"


def header_replaced_by(text: str, reason: str = "the first line is not a") -> Tamper:
    def tamper(lines: Lines, head: int) -> tuple[Lines, int, str]:
        lines[0] = text
        return lines, 1, reason

    return tamper


def header_with(**changes: object) -> Tamper:
    def tamper(lines: Lines, head: int) -> tuple[Lines, int, str]:
        lines[0] = canonical_json(json.loads(lines[0]) | changes) + "\n"
        return lines, 1, "the header lacks its starting position or hash"

    return tamper


def drop_the_header(lines: Lines, head: int) -> tuple[Lines, int, str]:
    return lines[1:], 1, "the first line is not a"


def header_with_another_previous_hash(lines: Lines, head: int) -> tuple[Lines, int, str]:
    lines[0] = canonical_json(json.loads(lines[0]) | {"previous_hash": "1" * 64}) + "\n"
    return lines, 2, "the hash of position 1 does not match its contents"


def restate_a_hash(lines: Lines, head: int) -> tuple[Lines, int, str]:
    """An event's hash field edited (its contents untouched)."""
    middle = head // 2
    document = json.loads(lines[middle])
    document["hash"] = "f" * 64
    lines[middle] = canonical_json(document) + "\n"
    return lines, middle + 1, f"the hash of position {middle} does not match its contents"


def empty(lines: Lines, head: int) -> tuple[Lines, int, str]:
    return [], 1, "the file is empty: no header"


TAMPERINGS: dict[str, Tamper] = {
    "a payload letter of the first event": flip_payload_byte_at(1),
    "a payload letter of a middle event": flip_payload_byte_at(8),
    "a payload letter of the last event": flip_payload_byte_at(0),
    "a line dropped in the middle": drop_a_middle_line,
    "two adjacent events swapped": swap_two_adjacent_events,
    "the footer dropped": drop_the_footer,
    "the last event and the footer cut": cut_the_last_event_and_the_footer,
    "the footer cut mid-line": cut_the_footer_mid_line,
    "the last event cut mid-line": cut_the_last_event_mid_line,
    "only the header left": keep_only_the_header,
    "the footer's count edited": footer_with(events=3),
    "the footer's last hash edited": footer_with(last_hash="0" * 64),
    "the footer's last position edited": footer_with(last_position=10**6),
    "the footer with an extra field": footer_with(note="all good"),
    "the footer moved over the last event": footer_claiming_fewer_events,
    "a line appended after the footer": append_after_the_footer('{"more":true}\n'),
    "the last event repeated after the footer": repeat_the_last_event_after_the_footer,
    "a header of another format": header_replaced_by(
        '{"after":0,"format":"other","previous_hash":"' + "0" * 64 + '","version":1}\n'
    ),
    "a header of another version": header_replaced_by(
        '{"after":0,"format":"' + FORMAT + '","previous_hash":"' + "0" * 64 + '","version":2}\n'
    ),
    "a header that is a JSON list": header_replaced_by("[]\n", "not a JSON object"),
    "a header that is not JSON": header_replaced_by("evidence-ledger export\n", "not JSON"),
    "a header without its starting position": header_with(after=None),
    "a header with a short hash": header_with(previous_hash="abc"),
    "the header dropped": drop_the_header,
    "the header's previous hash edited": header_with_another_previous_hash,
    "an event's stated hash edited": restate_a_hash,
    "an empty file": empty,
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS), ids=list(TAMPERINGS))
async def test_a_tampered_export_is_named_at_its_first_bad_line(
    store: SQLEventStore, tampering: str
) -> None:
    head = await fill_ledger(store)
    text, _ = await export_text(store)
    lines, bad_line, reason = TAMPERINGS[tampering](split(text), head)

    report = verify_export(lines)

    assert not report.ok
    assert report.bad_line == bad_line, report
    assert report.reason is not None
    assert reason in report.reason, report
    # What it reports as verified is only what came before the bad line.
    assert report.events <= max(bad_line - 2, 0)
    if report.last_position is not None:
        assert report.last_position == report.events


async def test_a_consistently_rewritten_export_verifies_but_not_to_the_head_hash(
    store: SQLEventStore,
) -> None:
    """Recomputing every hash after an edit makes a file that holds together on its own: it is
    the comparison of its last hash with the service's head hash that catches it."""
    head_position = await fill_ledger(store)
    text, _ = await export_text(store)
    lines = split(text)
    lines[5] = flip_a_payload_letter(lines[5])
    previous = json.loads(lines[0])["previous_hash"]
    for i in range(1, len(lines) - 1):
        document = json.loads(lines[i])
        document.pop("hash")
        previous = chain_hash(previous, canonical_json(document).encode())
        lines[i] = canonical_json({**document, "hash": previous}) + "\n"
    lines[-1] = canonical_json(json.loads(lines[-1]) | {"last_hash": previous}) + "\n"

    report = verify_export(lines)

    assert report.ok
    assert report.last_position == head_position
    assert report.head_hash != (await store.head()).hash


# -- through the command --------------------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


async def run_cli(*args: str) -> Result:
    """The command calls asyncio.run, so it runs on a thread of its own."""
    return await asyncio.to_thread(invoke, *args)


async def test_the_export_command_writes_a_file_that_verify_accepts(
    store: SQLEventStore, database_url: str, tmp_path: Path
) -> None:
    head_position = await fill_ledger(store)
    head = await store.head()
    file = tmp_path / "ledger.jsonl"

    exported = await run_cli("export", str(file), "--database", database_url)
    verified = await run_cli("verify", "--file", str(file))

    assert exported.exit_code == 0, exported.output
    assert exported.stdout == (
        f"ok: {head_position} events written to {file}, up to position {head_position}, "
        f"head hash {head.hash}\n"
    )
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == (
        f"ok: {head_position} events, up to position {head_position}, head hash {head.hash}\n"
    )
    text, _ = await export_text(store)
    assert file.read_text(encoding="utf-8") == text


async def test_the_export_command_after_a_position_writes_the_rest(
    store: SQLEventStore, database_url: str, tmp_path: Path
) -> None:
    head_position = await fill_ledger(store)
    head = await store.head()
    file = tmp_path / "tail.jsonl"

    exported = await run_cli("export", str(file), "--after", "10", "--database", database_url)
    verified = await run_cli("verify", "--file", str(file))

    assert exported.exit_code == 0, exported.output
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == (
        f"ok: {head_position - 10} events, up to position {head_position}, head hash {head.hash}\n"
    )
    lines = split(file.read_text(encoding="utf-8"))
    assert [json.loads(line)["position"] for line in lines[1:-1]] == list(
        range(11, head_position + 1)
    )


async def test_the_export_command_refuses_a_position_beyond_the_head(
    store: SQLEventStore, database_url: str, tmp_path: Path
) -> None:
    head_position = await fill_ledger(store)
    file = tmp_path / "nothing.jsonl"

    result = await run_cli(
        "export", str(file), "--after", str(head_position + 1), "--database", database_url
    )

    assert result.exit_code == 2
    assert "--after must be from 0 to the head position" in result.output


@pytest.mark.parametrize(
    "tampering",
    [
        "a payload letter of a middle event",
        "a line dropped in the middle",
        "the footer dropped",
        "a line appended after the footer",
        "an empty file",
    ],
)
async def test_verify_file_names_the_first_bad_line_of_a_tampered_export(
    store: SQLEventStore, database_url: str, tmp_path: Path, tampering: str
) -> None:
    head = await fill_ledger(store)
    file = tmp_path / "ledger.jsonl"
    exported = await run_cli("export", str(file), "--database", database_url)
    assert exported.exit_code == 0, exported.output
    lines, bad_line, reason = TAMPERINGS[tampering](split(file.read_text(encoding="utf-8")), head)
    file.write_text("".join(lines), encoding="utf-8")

    result = await run_cli("verify", "--file", str(file))

    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(f"broken: line {bad_line}: "), result.stdout
    assert reason in result.stdout


async def test_a_refused_export_leaves_an_existing_file_as_it_was(
    store: SQLEventStore, database_url: str, tmp_path: Path
) -> None:
    head_position = await fill_ledger(store)
    file = tmp_path / "ledger.jsonl"
    first = await run_cli("export", str(file), "--database", database_url)
    assert first.exit_code == 0, first.output
    good = file.read_text(encoding="utf-8")

    refused = await run_cli(
        "export", str(file), "--after", str(head_position + 1), "--database", database_url
    )

    assert refused.exit_code == 2
    assert file.read_text(encoding="utf-8") == good
