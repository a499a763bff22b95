"""What the benchmark prints: the machine, and the table of rates and ratios."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Targets the project set itself (see bench/append.py).
TARGET_VS_SERIALISED = 0.70
TARGET_VS_PEER = 1.0


@dataclass(frozen=True)
class Row:
    backend: str
    scenario: str
    ledger: float
    raw: float
    serialised: float
    peer: float | None  # the peer appends single events only


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


ROOT = Path(__file__).resolve().parents[1]


def commit() -> str:
    """The commit measured, and whether the code the benchmark runs had local changes."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "ledger", "graph", "migrations")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + (" + changes" if dirty else "")


def log(message: str) -> None:
    """Progress, on standard error: standard output holds the figures."""
    print(message, file=sys.stderr, flush=True)


def machine(postgres_version: str | None) -> list[str]:
    return [
        f"machine: {os.cpu_count()} cores, {cpu_model()}, {platform.platform()}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {postgres_version or '(not run)'}",
    ]


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(value: float | None, target: float) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" + ("" if value >= target else " !")


HEADER = (
    f"{'backend':<11} {'scenario':<13} {'ledger':>8} {'raw':>8} {'raw-ser':>8} {'peer':>8}"
    f" {'ledger/raw-ser':>15} {'ledger/peer':>12}"
)


def table(rows: list[Row]) -> list[str]:
    lines = [HEADER, "-" * len(HEADER)]
    for row in rows:
        vs_peer = row.ledger / row.peer if row.peer else None
        lines.append(
            f"{row.backend:<11} {row.scenario:<13} {_rate(row.ledger):>8} {_rate(row.raw):>8}"
            f" {_rate(row.serialised):>8} {_rate(row.peer):>8}"
            f" {_ratio(row.ledger / row.serialised, TARGET_VS_SERIALISED):>15}"
            f" {_ratio(vs_peer, TARGET_VS_PEER):>12}"
        )
    missed = (
        f"'!' marks a missed target: ledger >= {TARGET_VS_SERIALISED:.0%} of raw-ser,"
        " ledger > peer."
    )
    return [*lines, *LEGEND, missed]


LEGEND = [
    "events/s. ledger: SQLEventStore.append (idempotency key, stream version check, hash chain).",
    "raw: the same rows, INSERT + COMMIT, same engine, positions handed out in-process.",
    "raw-ser: raw queued on a locked counter row (SELECT FOR UPDATE, INSERT, UPDATE, COMMIT);",
    "  on SQLite it is raw, as SQLite's single writer already serialises.",
    "peer: eventsourcing ApplicationRecorder.insert_events, one event per call, threads.",
]
