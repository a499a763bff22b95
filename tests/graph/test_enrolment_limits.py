"""A rater's name and email: the same limits on every backend, refused before the database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from ledger.domain.raters import MAX_DISPLAY_NAME, MAX_EMAIL
from ledger.store.tables import people
from tests.graph.conftest import Api
from tests.graph.helpers import ledger_position

ENROL = """
mutation Enrol($input: EnrollRaterInput!) {
  enrollRater(input: $input) {
    __typename
    ... on RaterPayload { rater { id discipline { name } } }
    ... on ValidationError { code field message }
  }
}
"""


async def enrol(api: Api, **fields: Any) -> dict[str, Any]:
    token = await api.token("editor")
    data = await api.data(ENROL, {"input": {"discipline": "Physician", **fields}}, token)
    answer: dict[str, Any] = data["enrollRater"]
    return answer


async def people_count(api: Api) -> int:
    async with api.services.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(people)) or 0)


def test_the_limits_are_the_lengths_the_people_table_holds() -> None:
    assert people.c.display_name.type.length == MAX_DISPLAY_NAME
    assert people.c.email.type.length == MAX_EMAIL


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("displayName", "N" * (MAX_DISPLAY_NAME + 1)),
        ("displayName", "N" * 40_000),
        ("email", "e" * (MAX_EMAIL - len("@example.org") + 1) + "@example.org"),
    ],
    ids=["name-one-over", "name-40k", "email-one-over"],
)
async def test_a_name_or_email_the_people_table_cannot_hold_is_refused_naming_the_field(
    api: Api, field: str, value: str
) -> None:
    position, persons = await ledger_position(api), await people_count(api)

    answer = await enrol(api, **{field: value})

    assert answer["__typename"] == "ValidationError", answer
    assert (answer["code"], answer["field"]) == ("VALIDATION_FAILED", field)
    assert await ledger_position(api) == position
    assert await people_count(api) == persons


async def test_a_name_and_email_at_the_limits_are_stored_whole(api: Api) -> None:
    name = "N" * MAX_DISPLAY_NAME
    email = "e" * (MAX_EMAIL - len("@example.org")) + "@example.org"

    answer = await enrol(api, displayName=name, email=email, raterId="at-limits")

    assert answer["__typename"] == "RaterPayload", answer
    async with api.services.engine.connect() as conn:
        stored = (await conn.execute(select(people.c.display_name, people.c.email))).all()
    assert (name, email) in [tuple(row) for row in stored]
