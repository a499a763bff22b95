"""The ``evidence-ledger`` command: ``migrate``, and how it refuses what it cannot use."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph.cli.main import app
from graph.settings import Settings
from ledger.projections.tables import metadata
from ledger.store.canonical import GENESIS_HASH
from ledger.store.migrate import head_revision
from tests.e2e.test_serve import child_environment
from tests.graph.conftest import running

CONSOLE_SCRIPT = Path(sys.executable).parent / "evidence-ledger"


def migrated_state(path: Path) -> tuple[set[str], str, list[tuple[int, int, str]]]:
    """The tables, the Alembic revision, and the ledger head of a SQLite file."""
    with sqlite3.connect(path) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        [(revision,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        head = conn.execute("SELECT id, position, hash FROM ledger_head").fetchall()
    conn.close()
    return tables, revision, head


def test_migrate_creates_the_schema_in_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ledger.db"
    path.parent.mkdir()

    result = CliRunner().invoke(app, ["migrate", "--database", f"sqlite:///{path}"])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: schema at revision {head_revision()}\n"
    tables, revision, head = migrated_state(path)
    assert set(metadata.tables) | {"alembic_version"} <= tables
    assert revision == head_revision()
    assert head == [(1, 0, GENESIS_HASH)]


def test_migrate_run_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = CliRunner().invoke(app, ["migrate", "--database", url])
    state = migrated_state(tmp_path / "ledger.db")

    second = CliRunner().invoke(app, ["migrate", "--database", url])

    assert (first.exit_code, second.exit_code) == (0, 0), second.output
    assert second.stdout == first.stdout == f"ok: schema at revision {head_revision()}\n"
    assert migrated_state(tmp_path / "ledger.db") == state


def test_migrate_reads_the_database_url_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"

    result = CliRunner().invoke(app, ["migrate"], env={"DATABASE_URL": f"sqlite:///{path}"})

    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: schema at revision {head_revision()}\n"
    assert migrated_state(path)[1] == head_revision()


def test_the_database_option_wins_over_the_environment(tmp_path: Path) -> None:
    chosen, ignored = tmp_path / "chosen.db", tmp_path / "ignored.db"

    result = CliRunner().invoke(
        app,
        ["migrate", "--database", f"sqlite:///{chosen}"],
        env={"DATABASE_URL": f"sqlite:///{ignored}"},
    )

    assert result.exit_code == 0, result.output
    assert chosen.exists()
    assert not ignored.exists()


def run_console_script(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )


def test_the_console_script_migrates_and_verifies_a_new_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"

    migrated = run_console_script("migrate", "--database", url, tmp_path=tmp_path)
    verified = run_console_script("verify", "--database", url, tmp_path=tmp_path)

    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout == f"ok: schema at revision {head_revision()}\n"
    assert verified.returncode == 0, verified.stderr
    chain_line, *other_checks = verified.stdout.splitlines()
    assert chain_line == "ok: 0 events"
    assert all(line.startswith("ok: ") for line in other_checks), verified.stdout


def test_an_unsupported_url_scheme_is_refused_with_a_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    for command in ("migrate", "verify"):
        result = run_console_script(command, "--database", "mysql://x", tmp_path=tmp_path)

        assert result.returncode != 0
        assert "unsupported database URL scheme 'mysql'" in result.stderr + result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        assert list(tmp_path.iterdir()) == []


def test_verify_on_an_unmigrated_database_asks_for_migrate_without_a_traceback(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    result = run_console_script("verify", "--database", url, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "evidence-ledger migrate" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""


def test_an_unreachable_database_is_reported_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    url = "postgresql://nobody@127.0.0.1:1/ledger"  # nothing listens on port 1

    result = run_console_script("migrate", "--database", url, tmp_path=tmp_path)

    assert result.returncode != 0
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_serve_passes_production_rate_limits_and_cache_size_from_flags_and_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What `serve` hands to the app; the server itself is not started."""
    import signal

    import uvicorn

    import graph.app

    given: list[Settings] = []
    monkeypatch.setattr(graph.app, "create_app", given.append)
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)
    database = f"sqlite:///{tmp_path / 'x.db'}"

    runner = CliRunner()
    runner.invoke(
        app,
        ["serve", "--database", database],
        env={
            "EVIDENCE_LEDGER_ENV": "production",
            "EVIDENCE_LEDGER_MUTATIONS_PER_MINUTE": "7",
            "EVIDENCE_LEDGER_RESPONSE_CACHE_BYTES": "0",
        },
        catch_exceptions=False,
    )
    runner.invoke(
        app,
        [
            "serve",
            *("--database", database, "--address-mutations-per-minute", "0"),
            *("--response-cache-bytes", "1048576"),
        ],
        env={"EVIDENCE_LEDGER_ENV": ""},
        catch_exceptions=False,
    )

    production, development = given
    assert production.production
    assert production.limits.mutations_per_minute_per_token == 7
    assert not development.production
    assert development.limits.mutations_per_minute_per_address == 0
    assert production.response_cache_bytes == 0
    assert development.response_cache_bytes == 1_048_576
    given.clear()
    runner.invoke(app, ["serve", "--database", database], env={}, catch_exceptions=False)
    assert given[0].response_cache_bytes == Settings.response_cache_bytes  # 64 MiB
    refused = runner.invoke(
        app, ["serve", "--database", database, "--response-cache-bytes", "-1"], env={}
    )
    assert refused.exit_code == 2
    assert len(given) == 1  # nothing served with a size below 0


COMMANDS_ON_A_LEDGER = [
    ["verify"],
    ["rebuild"],
    ["load-sample"],
    ["export", "ledger.jsonl"],
    ["import", "-"],
    ["token", "create", "--role", "editor"],
    ["token", "revoke", "0123456789ab"],
]


def test_a_command_where_no_database_exists_says_where_it_looked_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = (
        f"error: no database at {tmp_path / 'evidence-ledger.db'}: create one with "
        "`evidence-ledger migrate` (or `evidence-ledger serve`, which migrates on start), "
        "or name an existing one with --database or DATABASE_URL\n"
    )

    for command in COMMANDS_ON_A_LEDGER:
        result = CliRunner().invoke(app, command, env={"DATABASE_URL": None}, input=b"")

        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == expected, command
        assert result.stdout == ""
        assert list(tmp_path.iterdir()) == [], command


def test_a_command_on_a_database_without_the_schema_names_it_and_asks_for_migrate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE unrelated (x)")
    conn.close()

    result = CliRunner().invoke(app, ["verify", "--database", f"sqlite:///{path}"])

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the database at {path} has no ledger schema, not {head_revision()}: "
        "run `evidence-ledger migrate`\n"
    )


def _second_revision(path: Path) -> None:
    """A second row in Alembic's version table, as a branch (or a hand) would add it."""
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO alembic_version (version_num) VALUES ('branch-b')")
    conn.close()


def test_a_database_recording_several_revisions_is_refused_in_one_line(tmp_path: Path) -> None:
    """No command guesses which schema such a database has."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert CliRunner().invoke(app, ["migrate", "--database", url]).exit_code == 0
    _second_revision(tmp_path / "ledger.db")

    for command in (["verify"], ["migrate"], ["load-sample"]):
        result = CliRunner().invoke(app, [*command, "--database", url])

        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == (
            f"error: the database records several schema revisions ({head_revision()}, branch-b), "
            f"where the ledger's migrations make one ({head_revision()} at the newest)\n"
        ), command


async def test_healthz_says_a_service_whose_database_gained_a_revision_cannot_serve(
    tmp_path: Path,
) -> None:
    """Healthy at start; once the database records a second revision, 503 with what it found
    and what it wants (not a 500)."""
    path = tmp_path / "ledger.db"
    async with running(Settings(database_url=f"sqlite:///{path}")) as service:
        assert (await service.client.get("/healthz")).json()["status"] == "ok"
        _second_revision(path)

        response = await service.client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "revision": f"{head_revision()}, branch-b",
        "wanted": head_revision(),
    }


def test_a_command_on_a_postgresql_database_that_does_not_exist_names_it(
    postgres_server_url: str,
) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(postgres_server_url).set(database="no_such_ledger")

    result = CliRunner().invoke(
        app, ["verify", "--database", url.render_as_string(hide_password=False)]
    )

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert 'database "no_such_ledger" does not exist' in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_export_schema_dash_writes_the_schema_to_standard_output(tmp_path: Path) -> None:
    from graph.http.schema import build_schema

    result = run_console_script("export-schema", "-", tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == build_schema().as_str() + "\n"
    assert list(tmp_path.iterdir()) == []


def test_every_command_is_in_the_readmes_command_table() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## The command line")[1].split("\n\n")[1]
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)

    for name in group.commands:
        assert re.search(rf"`evidence-ledger {re.escape(name)}[ `]", table), name


# Commands started at once on one database: more than the machine has cores, so that they
# really overlap.
AT_ONCE = 6


async def run_at_once(*commands: list[str]) -> list[tuple[int, str, str]]:
    """Start every command at once as an `evidence-ledger` process; (exit code, stdout,
    stderr) of each, in order."""
    processes = [
        await asyncio.create_subprocess_exec(
            str(CONSOLE_SCRIPT),
            *command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_environment(),
        )
        for command in commands
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    return [
        (process.returncode or 0, out.decode(), err.decode())
        for process, (out, err) in zip(processes, outputs, strict=True)
    ]


@pytest.mark.long(13)
async def test_commands_run_at_once_on_one_database_wait_for_each_other_and_all_succeed(
    empty_database_url: str,
) -> None:
    """Each waits for the others' write lock (on SQLite, a transaction that reads before it
    writes, such as a rater's token checking the rater, was refused at once: "database is
    locked")."""
    database = ["--database", empty_database_url]

    migrated = await run_at_once(*[["migrate", *database]] * AT_ONCE)

    assert [code for code, _, _ in migrated] == [0] * AT_ONCE, migrated
    assert {out for _, out, _ in migrated} == {f"ok: schema at revision {head_revision()}\n"}
    [(loaded, _, error)] = await run_at_once(["load-sample", *database])
    assert loaded == 0, error

    rater = ["token", "create", "--role", "rater", "--rater", "sample-physician-1", *database]
    editor = ["token", "create", "--role", "editor", *database]
    issued = await run_at_once(*[rater, editor] * (AT_ONCE // 2))

    assert [(code, err) for code, _, err in issued if code != 0] == []
    tokens = {out.strip() for _, out, _ in issued}
    assert len(tokens) == AT_ONCE
    assert all(token.startswith("el_") for token in tokens)


ALEMBIC_LOADED = "import atexit, sys; atexit.register(lambda: print('alembic' in sys.modules)); "


@pytest.mark.parametrize(
    "program",
    [
        "from graph.cli.main import main; "
        "sys.argv = ['evidence-ledger', 'verify', '--database', {url!r}]; main()",
        "from starlette.testclient import TestClient; from graph.app import create_app; "
        "from graph.settings import Settings; "
        "client = TestClient(create_app(Settings(database_url={url!r}))).__enter__(); "
        "assert client.get('/healthz').json()['status'] == 'ok'; "
        "client.__exit__(None, None, None)",
    ],
    ids=["a command", "the service's start and health"],
)
def test_a_ledger_at_the_newest_migration_is_used_without_loading_alembic(
    tmp_path: Path, program: str
) -> None:
    """Alembic's import (about a third of a second) is paid only to move a schema."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrated = CliRunner().invoke(app, ["migrate", "--database", url])
    assert migrated.exit_code == 0, migrated.output

    ran = subprocess.run(
        [sys.executable, "-c", ALEMBIC_LOADED + program.format(url=url)],
        capture_output=True,
        text=True,
        env=child_environment(),
        timeout=120,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == "False"
