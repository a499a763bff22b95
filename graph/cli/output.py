"""What a command tells its user: one-line messages and failures on standard error, and
progress bars (standard output is kept for results, so that they can be piped)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeElapsedColumn,
)

__all__ = ["console", "fail", "progress", "say"]

console = Console(stderr=True)


def say(line: str) -> None:
    """One line on standard error, as written (no markup, no wrapping)."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def fail(reason: str) -> NoReturn:
    console.print("[red]error:[/red] ", end="", highlight=False)
    say(reason)
    raise typer.Exit(code=2)


@contextmanager
def progress(
    description: str, total: int | None, *, in_bytes: bool = False
) -> Iterator[Callable[[int], None]]:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
