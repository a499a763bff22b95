"""``serve --workers N``: N processes of the app under uvicorn, each built from the settings
the ``serve`` command was given.

Uvicorn starts its worker processes afresh (spawned), so they cannot be handed the app: they
import ``app_from_environment`` and build it from the settings ``serve`` left, as JSON, in
``EVIDENCE_LEDGER_SETTINGS``. The processes share nothing but the database: each learns of
the others' writes from it (``ledger.read.learn``), so any of them may answer any request.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from fractions import Fraction
from functools import cache
from typing import Any

from starlette.applications import Starlette

from graph.http.server import HeadDeadlineProtocol
from graph.settings import Limits, Settings
from ledger.delivery.settings import delivery_settings_of
from ledger.domain.scores import ScorePolicy

__all__ = [
    "APP_FACTORY",
    "PROTOCOL",
    "SETTINGS_VARIABLE",
    "HeadDeadlineFromEnvironment",
    "app_from_environment",
    "settings_from_json",
    "settings_to_json",
]

SETTINGS_VARIABLE = "EVIDENCE_LEDGER_SETTINGS"
APP_FACTORY = "graph.cli.workers:app_from_environment"
PROTOCOL = "graph.cli.workers:HeadDeadlineFromEnvironment"


def settings_to_json(settings: Settings) -> str:
    return json.dumps(asdict(settings), default=str)


def settings_from_json(text: str) -> Settings:
    given: dict[str, Any] = json.loads(text)
    kept = given["score_policy"]
    policy = ScorePolicy(
        min_ratings_for_score=kept["min_ratings_for_score"],
        relevance_threshold=Fraction(kept["relevance_threshold"]),
        newsworthiness_threshold=Fraction(kept["newsworthiness_threshold"]),
        min_ratings_for_threshold=kept["min_ratings_for_threshold"],
    )
    tuples = {name: tuple(given[name]) for name in ("allowed_origins", "cors_origins")}
    delivery = {"delivery": delivery_settings_of(given["delivery"])}
    return Settings(
        **(
            given
            | tuples
            | delivery
            | {"score_policy": policy, "limits": Limits(**given["limits"])}
        )
    )


@cache
def _settings() -> Settings:
    return settings_from_json(os.environ[SETTINGS_VARIABLE])


def app_from_environment() -> Starlette:
    """The app of one worker process (uvicorn's ``factory``)."""
    from graph.app import create_app

    return create_app(_settings())


class _HeadSecondsFromEnvironment:
    @property
    def head_seconds(self) -> float:
        return _settings().limits.request_head_seconds


# The request-head deadline of ``serve``'s settings, for uvicorn to import by name (on
# whichever parser ``serve`` runs: the mixin's property comes first).
HeadDeadlineFromEnvironment = type(
    "HeadDeadlineFromEnvironment", (_HeadSecondsFromEnvironment, HeadDeadlineProtocol), {}
)
