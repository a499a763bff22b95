"""The ``evidence-ledger`` command: the command groups, assembled."""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import Annotated

import typer

from graph.cli import data, database, deliver, requests, schema_export, serve, tokens

__all__ = ["app", "main"]

app = typer.Typer(
    help="evidence-ledger: clinicians' ratings of research articles, on an append-only ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _show_version(asked: bool) -> None:
    if asked:
        typer.echo(f"evidence-ledger {package_version('evidence-ledger')}")
        raise typer.Exit


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """evidence-ledger: clinicians' ratings of research articles, on an append-only ledger."""


# In the order `--help` lists them.
app.command()(database.migrate)
app.command()(database.verify)
app.command("export")(data.export_events)
app.command("rebuild")(database.rebuild_views)
app.command()(database.cleanup)
app.command("load-sample")(data.load_sample_article)
app.command("import")(data.import_file)
app.command()(serve.serve)
app.command()(deliver.deliver)
app.add_typer(tokens.app, name="token")
app.add_typer(requests.app, name="requests")
app.command("export-schema")(schema_export.export_schema)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
