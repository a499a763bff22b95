"""Fuzzing the published schema: no generated operation gets a server error or a malformed answer.

Schemathesis builds queries and mutations from schema.graphql, valid ones and invalid ones that
must be refused, and each is sent to the app in-process (lifespan run, sample data loaded) on
both backends, by an anonymous caller or with a subscriber's, a rater's, an editor's or an
auditor's token. Every answer must be a GraphQL response: JSON with ``data`` and/or ``errors``,
each error with a string ``message``; no non-null field comes back null, no resolver fails in a
way the app did not mean (a masked "Unexpected error."), an invalid operation is never served,
and no body shows a stack trace. A 4xx is a fine answer; a 5xx never is. The mutations really
run, so later operations meet the state that earlier ones left. A NUL character in a string
argument, which the fuzzing found crashing resolvers on PostgreSQL, has a test of its own below.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)
from starlette.applications import Starlette

from graph.app import create_app
from graph.settings import Limits, Settings
from ledger.use_cases.tokens import issue_token
from tests.backends import postgres_clone
from tests.graph.helpers import SAMPLE_ID, article_global_id, assert_no_stack_trace

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
BASE_URL = "http://test"

# Each sent to both backends. Generating one costs more than answering it on either.
OPERATIONS = 1500

SAMPLE_RATER = "sample-physician-1"

CONFIG = schemathesis.Config.from_dict(
    {
        # Only so that the reproducing curl command of a failure names the endpoint.
        "base-url": f"{BASE_URL}/graphql",
        # Random ids almost never name anything, so a share of the generated arguments are
        # swapped for names the sample data has: mutations then get past "not found" into
        # the ledger's own rules.
        "dictionaries": {
            "articles": {"values": [SAMPLE_ID, article_global_id(SAMPLE_ID)]},
            "disciplines": {"values": ["Physician", "Nurse", "Pharmacist"]},
            "raters": {"values": [SAMPLE_RATER, "sample-physician-2"]},
        },
        "parameters": {
            "Query.article.id": {"dictionary": "articles", "probability": 0.5},
            "Query.articleHistory.id": {"dictionary": "articles", "probability": 0.5},
            "Query.node.id": {"dictionary": "articles", "probability": 0.5},
            "Query.articles.discipline": {"dictionary": "disciplines", "probability": 0.5},
            "Mutation.*.input.articleId": {"dictionary": "articles", "probability": 0.6},
            "Mutation.*.input.discipline": {"dictionary": "disciplines", "probability": 0.5},
            "Mutation.enrollRater.input.raterId": {"dictionary": "raters", "probability": 0.3},
        },
    }
)
SCHEMA = schemathesis.graphql.from_path(SCHEMA_FILE, config=CONFIG)
CASES = st.one_of(
    SCHEMA.as_strategy(GenerationMode.POSITIVE), SCHEMA.as_strategy(GenerationMode.NEGATIVE)
)

# Callers who may write come up more often: only their mutations get past the role check.
CALLERS = st.sampled_from(
    ["anonymous", "subscriber", "rater", "rater", "editor", "editor", "editor", "auditor"]
)

# not_a_server_error also fails a 200 whose errors come from a resolver that broke;
# response_schema_conformance fails a body that is not a GraphQL response or that nulls a
# non-null field; negative_data_rejection fails an invalid operation that was served.
# positive_data_acceptance is left out: a well-formed operation may rightly be refused (a cursor
# that was never given out, a page size out of range, the depth, alias and token limits).
CHECKS = [not_a_server_error, response_schema_conformance, negative_data_rejection]


@dataclass
class Service:
    """The app, a client that sees a crash as the 500 a server would send, a token per role."""

    app: Starlette
    client: httpx.AsyncClient
    tokens: dict[str, str]
    sent: int = 0
    answered_well: int = 0

    async def post(
        self, query: str, caller: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        # The API's real clients send the preflight header; CSRF prevention must not be what
        # refuses a generated operation.
        headers = {
            "content-type": "application/json",
            "accept": "application/graphql-response+json, application/json",
            "graphql-require-preflight": "1",
        }
        if caller in self.tokens:
            headers["authorization"] = f"Bearer {self.tokens[caller]}"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        self.sent += 1
        return await self.client.post("/graphql", content=json.dumps(body), headers=headers)


@asynccontextmanager
async def serving(database_url: str, base_url: str = BASE_URL) -> AsyncIterator[Service]:
    # Rate limits would turn most of a run into 429s; they have tests of their own.
    no_rate_limits = Limits(mutations_per_minute_per_token=0, mutations_per_minute_per_address=0)
    app = create_app(Settings(database_url=database_url, limits=no_rate_limits))
    async with app.router.lifespan_context(app):
        engine = app.state.services.engine
        tokens = {
            role: (await issue_token(engine, role, rater_id=rater)).token
            for role, rater in [
                ("subscriber", None),
                ("rater", SAMPLE_RATER),
                ("editor", None),
                ("auditor", None),
            ]
        }
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield Service(app, client, tokens)


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[Service]:
    async with serving(database_url) as started:
        yield started


@pytest.fixture
async def fuzzed(
    sqlite_started_template: Path,
    postgresql_started_template: str,
    postgres_server_url: str,
    tmp_path: Path,
) -> AsyncIterator[dict[str, Service]]:
    """A service on each backend, each on a database of its own with the sample loaded.

    The backends are fuzzed side by side, every operation sent to both: generating an
    operation costs far more than answering it, and this way each is generated once.
    """
    shutil.copyfile(sqlite_started_template, tmp_path / "ledger.db")
    async with (
        serving(f"sqlite:///{tmp_path / 'ledger.db'}", "http://sqlite.test") as on_sqlite,
        postgres_clone(postgres_server_url, postgresql_started_template) as postgresql_url,
        serving(postgresql_url, "http://postgresql.test") as on_postgresql,
    ):
        services = {"sqlite": on_sqlite, "postgresql": on_postgresql}
        yield services
    # Hypothesis ends a run early when it runs out of new examples: that would be a thin run.
    # After a failure it ends early too, and the test itself reports that.
    if all(service.answered_well == service.sent for service in services.values()):
        for backend, service in services.items():
            assert service.sent >= OPERATIONS, f"only {service.sent} operations sent on {backend}"


def assert_graphql_response(response: httpx.Response) -> dict[str, Any]:
    """The body is a well-formed GraphQL response, whatever the status; returns it."""
    assert response.status_code < 500, (response.status_code, response.text)
    assert_no_stack_trace(response.text)
    media_type = response.headers.get("content-type", "").partition(";")[0].strip()
    assert media_type in ("application/json", "application/graphql-response+json"), response
    payload = response.json()
    assert isinstance(payload, dict), payload
    assert "data" in payload or "errors" in payload, payload
    assert set(payload) <= {"data", "errors", "extensions"}, payload
    assert payload.get("data") is None or isinstance(payload["data"], dict), payload
    if "errors" not in payload:
        assert payload["data"] is not None, payload
        return payload
    errors = payload["errors"]
    assert isinstance(errors, list), payload
    assert errors, payload
    for error in errors:
        assert isinstance(error, dict), error
        assert isinstance(error.get("message"), str), error
        assert error["message"], error
        for location in error.get("locations", []):
            assert isinstance(location.get("line"), int), error
            assert isinstance(location.get("column"), int), error
        assert all(isinstance(key, str | int) for key in error.get("path", [])), error
        assert isinstance(error.get("extensions", {}), dict), error
    return payload


# Both backends: SQL, types and errors differ between them. Each operation goes to both (see
# ``fuzzed``), one after the other; a failure's curl command names the backend as its host.
@pytest.mark.long(40)
@settings(
    max_examples=OPERATIONS,
    # The same operations on every run, and no failure replayed from a local example database.
    derandomize=True,
    database=None,
    deadline=None,
    # One app and database serve every example on purpose: state carries over, as in use.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=CASES, caller=CALLERS)
async def test_no_generated_operation_gets_a_server_error_or_a_malformed_answer(
    fuzzed: dict[str, Service], case: Case[Any], caller: str
) -> None:
    assert isinstance(case.body, str)
    for service in fuzzed.values():
        response = await service.post(case.body, caller)

        assert_graphql_response(response)
        case.validate_response(response, checks=CHECKS)
        service.answered_well += 1


NUL_TEXT = "a\u0000b"

NUL_OPERATIONS = {
    "articles-search": (
        "anonymous",
        "query ($text: String) { articles(search: $text) { edges { cursor } } }",
    ),
    "discipline-name": (
        "editor",
        "mutation ($text: String!) { registerDiscipline(input: {name: $text}) { __typename } }",
    ),
    "idempotency-key": (
        "editor",
        'mutation ($text: String) { registerDiscipline(input: {name: "Zoology", '
        "idempotencyKey: $text}) { __typename } }",
    ),
    "comment-body": (
        "subscriber",
        f'mutation ($text: String!) {{ postComment(input: {{articleId: "{SAMPLE_ID}", '
        "body: $text}) { __typename } }",
    ),
}


@pytest.mark.parametrize("operation", NUL_OPERATIONS)
async def test_a_nul_character_is_refused_before_anything_runs(
    service: Service, operation: str
) -> None:
    """Found by fuzzing: PostgreSQL holds no NUL, so both backends refuse it, never crash."""
    caller, query = NUL_OPERATIONS[operation]
    position = (await service.app.state.services.store.head()).position

    response = await service.post(query, caller, {"text": NUL_TEXT})
    # The same text as an escape in the document's own string literal.
    declaration = re.search(r" \(\$text: String!?\)", query)
    assert declaration is not None
    literal = query.replace(declaration.group(), "").replace("$text", '"a\\u0000b"')
    in_document = await service.post(literal, caller)

    for answer in (response, in_document):
        payload = assert_graphql_response(answer)
        assert "data" not in payload, payload
        [error] = payload["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "NUL" in error["message"]
    assert (await service.app.state.services.store.head()).position == position
