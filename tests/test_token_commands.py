"""``evidence-ledger --version`` and the ``token`` commands, on every backend."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

from typer.testing import CliRunner, Result

from graph.cli.main import app
from ledger.store.db import create_engine
from ledger.use_cases.tokens import Principal, authenticate


async def cli(database_url: str, *args: str) -> Result:
    """The command calls asyncio.run, so it runs on a thread of its own."""
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, "--database", database_url])


async def create(database_url: str, *args: str) -> str:
    result = await cli(database_url, "token", "create", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


async def principal(database_url: str, token: str) -> Principal | None:
    engine = create_engine(database_url)
    try:
        return await authenticate(engine, token)
    finally:
        await engine.dispose()


def token_id(token: str) -> str:
    return token.split("_")[1]


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"evidence-ledger {version('evidence-ledger')}\n"


async def test_token_list_shows_every_token_but_never_its_secret_or_hash(
    database_url: str,
) -> None:
    reader = await create(database_url, "--role", "subscriber", "--name", "Dr Reader")
    editor = await create(database_url, "--role", "editor", "--days", "0")
    await cli(database_url, "token", "revoke", token_id(editor))

    result = await cli(database_url, "token", "list")

    assert result.exit_code == 0, result.output
    header, *rows = [line.split("  ") for line in result.stdout.splitlines()]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in [header, *rows]]
    assert cells[0] == ["id", "role", "person", "rater", "name", "created", "expires", "revoked"]
    by_id = {row[0]: row for row in cells[1:]}
    assert set(by_id) == {token_id(reader), token_id(editor)}
    subscriber = by_id[token_id(reader)]
    assert subscriber[1:5] == ["subscriber", f"subscriber-{token_id(reader)}", "-", "Dr Reader"]
    assert subscriber[-1] == "-"
    assert by_id[token_id(editor)][-2] == "-"  # no expiry
    assert by_id[token_id(editor)][-1] != "-"  # revoked
    for token in (reader, editor):
        secret = token.split("_", 2)[2]  # whole: the secret may hold "_" itself
        assert secret not in result.stdout
        assert hashlib.sha256(token.encode()).hexdigest() not in result.stdout


async def test_a_token_given_whole_is_revoked(database_url: str) -> None:
    token = await create(database_url, "--role", "auditor")

    result = await cli(database_url, "token", "revoke", token)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: token {token_id(token)} revoked\n"
    assert await principal(database_url, token) is None


async def test_a_mistyped_whole_token_revokes_nothing_and_does_not_echo_the_secret(
    database_url: str,
) -> None:
    token = await create(database_url, "--role", "auditor")
    mistyped = token[:-1] + ("A" if token[-1] != "A" else "B")

    result = await cli(database_url, "token", "revoke", mistyped)

    assert result.exit_code == 2
    assert result.stderr == f"error: no active token '{token_id(token)}'\n"
    assert await principal(database_url, token) is not None


async def test_tokens_expire_after_90_days_unless_days_is_0(database_url: str) -> None:
    before = datetime.now(UTC)
    default = await cli(database_url, "token", "create", "--role", "editor")
    forever = await cli(database_url, "token", "create", "--role", "editor", "--days", "0")

    expiry = default.stderr.split("expires ")[1].split(" UTC")[0]
    expected = before + timedelta(days=90)
    assert abs(datetime.strptime(expiry, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) - expected) < (
        timedelta(minutes=2)
    )
    assert "expires" not in forever.stderr
    listed = (await cli(database_url, "token", "list")).stdout
    assert listed.count(f"{expected:%Y-%m-%d}") == 1


async def test_negative_days_are_refused_and_issue_nothing(database_url: str) -> None:
    result = await cli(database_url, "token", "create", "--role", "editor", "--days", "-1")

    assert result.exit_code == 2
    assert "--days" in result.stderr
    assert (await cli(database_url, "token", "list")).stdout.count("\n") == 1


async def test_a_subscribers_token_is_reissued_for_the_same_person(database_url: str) -> None:
    first = await create(database_url, "--role", "subscriber", "--name", "Dr Reader")
    person = f"subscriber-{token_id(first)}"
    await cli(database_url, "token", "revoke", first)

    second = await create(database_url, "--role", "subscriber", "--person", person)

    assert await principal(database_url, first) is None
    again = await principal(database_url, second)
    assert again is not None
    assert (again.id, again.role) == (person, "subscriber")
    listed = (await cli(database_url, "token", "list")).stdout
    assert listed.count("Dr Reader") == 2


async def test_reissuing_for_a_person_without_a_token_of_that_role_is_refused(
    database_url: str,
) -> None:
    editor = await create(database_url, "--role", "editor")

    unknown = await cli(
        database_url, "token", "create", "--role", "subscriber", "--person", "nobody"
    )
    other_role = await cli(
        database_url,
        "token",
        "create",
        "--role",
        "subscriber",
        "--person",
        f"editor-{token_id(editor)}",
    )

    assert unknown.exit_code == other_role.exit_code == 2
    assert unknown.stderr == "error: no subscriber with a token 'nobody'\n"
    assert (await cli(database_url, "token", "list")).stdout.count("\n") == 2


async def test_token_refusals_name_the_options_of_the_command(database_url: str) -> None:
    subscriber = await create(database_url, "--role", "subscriber", "--name", "Dr Reader")
    person = f"subscriber-{token_id(subscriber)}"
    asked = {
        ("--role", "rater"): "error: rater: is required for, and only for, the rater role\n",
        ("--role", "subscriber", "--person", person, "--name", "Other"): (
            "error: name: is given only for a new person, not with person\n"
        ),
        ("--role", "rater", "--rater", "r1", "--person", person): (
            "error: person: is for subscribers, editors and auditors\n"
        ),
    }

    for arguments, refusal in asked.items():
        result = await cli(database_url, "token", "create", *arguments)

        assert result.exit_code == 2, arguments
        assert result.stderr == refusal
    assert (await cli(database_url, "token", "list")).stdout.count("\n") == 2


async def test_a_name_longer_than_the_people_table_holds_is_refused_alike_on_every_backend(
    database_url: str,
) -> None:
    result = await cli(database_url, "token", "create", "--role", "subscriber", "--name", "N" * 301)

    assert result.exit_code == 2
    assert result.stderr == "error: name: must be at most 300 characters\n"
    assert (await cli(database_url, "token", "list")).stdout.count("\n") == 1  # the header
    kept = await create(database_url, "--role", "subscriber", "--name", "N" * 300)
    assert (await cli(database_url, "token", "list")).stdout.count("N" * 300) == 1
    assert token_id(kept) in (await cli(database_url, "token", "list")).stdout
