"""What the README shows a new user works as written, on a fresh service."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from pathlib import Path
from typing import Any

from graphql import GraphQLInterfaceType, GraphQLUnionType
from typer.testing import CliRunner

from graph.cli.main import app
from graph.http.schema import build_schema
from graph.settings import Settings
from tests.graph.conftest import running

README = Path(__file__).parent.parent.parent / "README.md"


def readme_blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def rating_example() -> tuple[list[str], dict[str, Any]]:
    """The README's rating example: the token command's arguments and the request's body."""
    [block] = [b for b in readme_blocks("sh") if "RATER_TOKEN=$(" in b]
    token_line, curl = block.replace("\\\n", " ").strip().split("\n", 1)
    command = re.fullmatch(r"RATER_TOKEN=\$\(\.venv/bin/evidence-ledger (.*)\)", token_line)
    assert command is not None, token_line
    words = shlex.split(curl)
    assert "authorization: Bearer $RATER_TOKEN" in words
    body: dict[str, Any] = json.loads(words[words.index("-d") + 1])
    return shlex.split(command.group(1)), body


async def test_the_readmes_rating_example_works_as_written_on_a_fresh_service(
    database_url: str,
) -> None:
    token_arguments, body = rating_example()

    async with running(Settings(database_url=database_url)) as api:
        created = await asyncio.to_thread(
            CliRunner().invoke, app, [*token_arguments, "--database", database_url]
        )
        assert created.exit_code == 0, created.output
        token = created.stdout.strip()
        response = await api.client.post(
            "/graphql", json=body, headers={"authorization": f"Bearer {token}"}
        )

    assert response.status_code == 200, response.text
    answer = response.json()["data"]["submitRating"]
    assert answer["__typename"] == "ArticlePayload", answer
    assert answer["replayed"] is False
    [physician] = answer["article"]["disciplineScores"]
    assert physician["discipline"] == {"name": "Physician"}
    assert physician["ratingCount"] == 4


def schema_possible_types() -> dict[str, list[str]]:
    """Every union and interface of the served schema, with the object types in it."""
    schema = build_schema()._schema
    return {
        name: sorted(member.name for member in schema.get_possible_types(kind))
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLUnionType | GraphQLInterfaceType) and not name.startswith("__")
    }


def test_the_readmes_apollo_possible_types_are_the_schemas() -> None:
    [block] = [b for b in readme_blocks("js") if "possibleTypes" in b]
    shown = re.search(r"const possibleTypes = (\{.*?\n\});", block, flags=re.DOTALL)
    assert shown is not None, block

    assert json.loads(shown.group(1)) == schema_possible_types()
    assert "Error" in schema_possible_types()


def test_export_schema_prints_the_possible_types_the_readme_shows() -> None:
    printed = CliRunner().invoke(app, ["export-schema", "--possible-types", "-"])

    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == schema_possible_types()
    assert printed.stdout.rstrip("\n") in README.read_text(encoding="utf-8")
