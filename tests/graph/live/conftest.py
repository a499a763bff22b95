from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from graph.settings import Settings
from tests.graph.live.client import Served, served


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Served]:
    """The service with the sample article, served on loopback by a real uvicorn."""
    async with served(Settings(database_url=database_url)) as started:
        yield started
