"""An answer kept for one caller is never served to another who may see something else:
hidden comments for editors, ``me`` for each principal, the editors' moderation list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import permutations

import pytest

from graph.settings import Settings
from tests.graph.cache.world import CALLERS, World, build_world
from tests.graph.conftest import running

# Answers that differ between callers: the article page (hidden comments for editors only),
# who the caller is, and the moderation list.
PERSONAL_QUERIES = ("page", "me", "hidden")


@pytest.fixture(scope="module")
async def world(module_database_url: str) -> AsyncIterator[World]:
    async with running(Settings(database_url=module_database_url)) as api:
        yield await build_world(api)


@pytest.mark.parametrize("name", PERSONAL_QUERIES)
async def test_no_caller_is_served_another_callers_answer(world: World, name: str) -> None:
    article = world.articles[1]  # the one with a hidden comment
    fresh = {caller: await world.uncached(name, article, caller) for caller in CALLERS}
    assert len({repr(answer) for answer in fresh.values()}) > 1, "every caller sees the same"
    for first, second in permutations(CALLERS, 2):
        world.cache.clear()
        kept = await world.cached(name, article, first)
        assert kept == fresh[first], first
        hits = world.cache.stats.hits

        served = await world.cached(name, article, second)

        assert served == fresh[second], (first, second)
        if fresh[first] != fresh[second]:
            assert world.cache.stats.hits == hits, (first, second)


async def test_the_same_role_shares_an_answer_that_does_not_depend_on_who_asks(
    world: World,
) -> None:
    world.cache.clear()
    await world.cached("page", world.articles[1], "subscriber")
    hits = world.cache.stats.hits

    await world.cached("page", world.articles[1], "other-subscriber")

    assert world.cache.stats.hits == hits + 1
