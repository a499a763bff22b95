"""`evidence-ledger deliver`: one pass sends what is due and says so; settings that cannot
work are refused in one line before anything is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli.main import app
from ledger.store.sql_store import SQLEventStore
from tests.delivery.histories import alerted, raters_ledger, set_profile
from tests.delivery.receivers import webhook_receiver

NO_SMTP = {"EVIDENCE_LEDGER_SMTP_HOST": None, "EVIDENCE_LEDGER_UNSUBSCRIBE_SECRET": None}


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_one_pass_sends_the_alerts_due_and_a_second_sends_nothing(
    store: SQLEventStore, database_url: str
) -> None:
    ledger = await raters_ledger(store)
    command = ["deliver", "--database", database_url]
    with webhook_receiver() as receiver:
        await set_profile(ledger, "s1", webhook_url=receiver.url)
        await alerted(ledger, "a1")
        first = await asyncio.to_thread(CliRunner().invoke, app, command, env=NO_SMTP)
        second = await asyncio.to_thread(CliRunner().invoke, app, command, env=NO_SMTP)

    assert first.exit_code == 0, first.output
    assert first.stdout == "ok: 1 alerts taken in, 1 delivered, 0 failed (0 now dead)\n"
    assert second.stdout == "ok: 0 alerts taken in, 0 delivered, 0 failed (0 now dead)\n"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"EVIDENCE_LEDGER_SMTP_HOST": "smtp.example.org"}, "EVIDENCE_LEDGER_SMTP_FROM"),
        (
            {"EVIDENCE_LEDGER_SMTP_HOST": "smtp.example.org", "EVIDENCE_LEDGER_SMTP_FROM": "a@b.c"},
            "EVIDENCE_LEDGER_UNSUBSCRIBE_SECRET",
        ),
        (
            {
                "EVIDENCE_LEDGER_SMTP_HOST": "smtp.example.org",
                "EVIDENCE_LEDGER_SMTP_FROM": "a@b.c",
                "EVIDENCE_LEDGER_SMTP_SECURITY": "ssl3",
            },
            "SMTP security must be one of starttls, tls, none",
        ),
    ],
)
def test_email_settings_that_cannot_work_are_refused_before_anything_is_sent(
    tmp_path: Path, environment: dict[str, str], expected: str
) -> None:
    given = NO_SMTP | environment
    result = CliRunner().invoke(
        app, ["deliver", "--database", f"sqlite:///{tmp_path / 'none.db'}"], env=given
    )

    assert result.exit_code == 2
    # The message as the terminal box wraps it, unwrapped.
    said = " ".join(result.output.replace("│", " ").split())
    assert expected in said
    assert not (tmp_path / "none.db").exists()
