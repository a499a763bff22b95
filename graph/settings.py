"""What a deployment decides, passed into ``create_app``; only entry points read the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.db import DEFAULT_DATABASE_URL
from ledger.scores import ScorePolicy

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    score_policy: ScorePolicy = field(default_factory=ScorePolicy)
    # Migrate on start, and load the sample article into an empty ledger.
    migrate_on_start: bool = True
    load_sample_when_empty: bool = True
    # Production hides GraphiQL and introspection.
    production: bool = False
    max_page_size: int = 100
    default_page_size: int = 20
