"""``export-schema``: the GraphQL schema as SDL, or Apollo Client's possible types."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import strawberry

__all__ = ["export_schema"]


def export_schema(
    output: Annotated[
        str, typer.Argument(metavar="FILE", help="Where to write the SDL (- for standard output).")
    ] = "schema.graphql",
    possible_types: Annotated[
        bool,
        typer.Option(
            "--possible-types",
            help="Write Apollo Client's possibleTypes (each union and interface, with the types "
            "in it) as JSON instead of the SDL.",
        ),
    ] = False,
) -> None:
    """Write the GraphQL schema (SDL) to a file, or to standard output."""
    # Imported here: the other commands do without loading the schema.
    from graph.http.schema import build_schema

    schema = build_schema()
    text = _possible_types_json(schema) if possible_types else schema.as_str() + "\n"
    if output == "-":
        sys.stdout.write(text)
        return
    Path(output).write_text(text, encoding="utf-8")
    typer.echo(f"ok: {'possible types' if possible_types else 'schema'} written to {output}")


def _possible_types_json(schema: strawberry.Schema) -> str:
    """One line per union or interface, sorted, so that the README can show it as is."""
    from graphql import GraphQLInterfaceType, GraphQLUnionType

    graphql_schema = schema._schema
    abstract = [
        kind
        for name, kind in sorted(graphql_schema.type_map.items())
        if isinstance(kind, GraphQLUnionType | GraphQLInterfaceType) and not name.startswith("__")
    ]
    lines = [
        f"  {json.dumps(kind.name)}: "
        + json.dumps(sorted(member.name for member in graphql_schema.get_possible_types(kind)))
        for kind in abstract
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"
