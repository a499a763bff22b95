"""Time travel: an article as it stood at a version or a time is exactly what the live view
showed at that moment, for any history of commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings

from ledger.domain.articles import stream_id
from ledger.domain.commands import HideComment, PostComment, RestoreComment
from ledger.domain.errors import DomainError
from ledger.domain.scores import ScorePolicy
from ledger.read.articles import ArticleView, article_views
from ledger.read.time_travel import article_as_of
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID, load_sample
from ledger.use_cases.sql_views import sql_ledger
from tests.backends import Fill, NewDatabase
from tests.store.commands import (
    EDITOR,
    PREFIX,
    READER,
    Histories,
    prepared_for,
    prepared_store,
    run,
)

POLICY = ScorePolicy()
# Two articles (the second registered by a command); three disciplines, so up to three
# ratings in one of them: enough for a score. Weighted towards ratings.
HISTORIES = Histories(
    articles=2,
    raters=7,
    kinds=["submit"] * 6
    + ["revise"] * 3
    + ["withdraw"] * 2
    + ["comment"] * 3
    + ["hide"] * 2
    + ["restore"] * 2
    + ["topics", "correct", "correct_with_topics", "register", "retract", "assign"],
    article_weights=[0, 0, 1],
    min_size=10,
    max_size=45,
)

Captured = dict[tuple[str, int], ArticleView]


async def _capture(store: SQLEventStore, ids: list[str], captured: Captured) -> None:
    """The live view of each existing article, keyed by its stream version (hidden comments
    included, flagged: a public past view leaves out the comments hidden since)."""
    async with store.engine.connect() as conn:
        views = await article_views(conn, ids, POLICY, include_hidden=True)
    for article_id, view in views.items():
        key = (article_id, view.version)
        # While an article's stream does not move, neither may its live view.
        assert captured.setdefault(key, view) == view, key


async def _recorded_at_by_version(store: SQLEventStore, article_id: str) -> dict[int, datetime]:
    return {
        e.stream_version: e.metadata.recorded_at
        for e in await store.read_stream(stream_id(article_id))
    }


@pytest.mark.long(25)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=HISTORIES.strategy)
async def test_the_past_view_at_every_version_equals_the_live_view_at_that_moment(
    prepared_database: Callable[[Fill], NewDatabase], history: list[tuple[Any, ...]]
) -> None:
    async with prepared_store(prepared_database, prepared_for(HISTORIES)) as store:
        await _past_views_equal_the_live_views(store, history)


async def _past_views_equal_the_live_views(
    store: SQLEventStore, history: list[tuple[Any, ...]]
) -> None:
    ledger = sql_ledger(store)
    ids = [f"{PREFIX}-a0", f"{PREFIX}-a1"]  # the second is left for a command to register
    captured: Captured = {}
    await _capture(store, ids, captured)
    for command in history:
        before = await store.head()
        try:
            await run(ledger, PREFIX, HISTORIES, command)
        except DomainError as refusal:
            event(f"{command[0]} refused: {type(refusal).__name__}")
            continue
        event(f"{command[0]} accepted")
        if await store.head() != before:
            await _capture(store, ids, captured)

    event(f"{len(captured)} versions captured")
    recorded_at = {
        article_id: await _recorded_at_by_version(store, article_id) for article_id in ids
    }
    for (article_id, version), live in sorted(captured.items()):
        at_version = await article_as_of(
            store, article_id, POLICY, at_version=version, include_hidden=True
        )
        assert at_version == live, (article_id, version)
        # The view's version is the last event of an append, so its time is the append's.
        moment = recorded_at[article_id][version]
        at_time = await article_as_of(store, article_id, POLICY, as_of=moment, include_hidden=True)
        assert at_time == live, (article_id, version, moment)


# -- deterministic cases ------------------------------------------------------------------


async def _live_view(store: SQLEventStore, article_id: str, *, include_hidden: bool) -> ArticleView:
    async with store.engine.connect() as conn:
        views = await article_views(conn, [article_id], POLICY, include_hidden=include_hidden)
    return views[article_id]


async def test_an_article_as_of_before_its_registration_did_not_exist(store: SQLEventStore) -> None:
    await load_sample(sql_ledger(store))
    registered = (await store.read_stream(stream_id(SAMPLE_ARTICLE_ID)))[0]
    moment = registered.metadata.recorded_at

    before = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, as_of=moment - timedelta(microseconds=1)
    )
    at_registration = await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY, as_of=moment)

    assert before is None
    assert at_registration is not None
    assert at_registration.version == 1
    assert at_registration.discipline_scores == ()
    assert await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY, at_version=0) is None


async def test_an_article_that_never_existed_has_no_past(store: SQLEventStore) -> None:
    await load_sample(sql_ledger(store))

    assert await article_as_of(store, "no-such-article", POLICY) is None
    assert await article_as_of(store, "no-such-article", POLICY, at_version=3) is None


async def test_a_version_beyond_the_head_of_the_stream_gives_the_current_view(
    store: SQLEventStore,
) -> None:
    ledger = sql_ledger(store)
    await load_sample(ledger)
    await ledger.execute(PostComment(SAMPLE_ARTICLE_ID, READER.id, "Worth a read."), actor=READER)
    live = await _live_view(store, SAMPLE_ARTICLE_ID, include_hidden=False)

    beyond = await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY, at_version=live.version + 5)
    unbounded = await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY)
    in_the_future = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, as_of=datetime.now().astimezone() + timedelta(days=1)
    )

    assert beyond == unbounded == in_the_future == live


async def test_a_hidden_comment_is_not_in_the_public_past_view(store: SQLEventStore) -> None:
    ledger = sql_ledger(store)
    await load_sample(ledger)
    kept = await ledger.execute(PostComment(SAMPLE_ARTICLE_ID, READER.id, "Useful."), actor=READER)
    posted = await ledger.execute(
        PostComment(SAMPLE_ARTICLE_ID, READER.id, "Spam spam."), actor=READER
    )
    spam_id = posted.events[0].payload["comment_id"]
    hidden = await ledger.execute(HideComment(SAMPLE_ARTICLE_ID, spam_id, "spam"), actor=EDITOR)
    await ledger.execute(RestoreComment(SAMPLE_ARTICLE_ID, spam_id, "on appeal"), actor=EDITOR)

    def bodies(view: ArticleView | None) -> list[str]:
        assert view is not None
        return [c.body for c in view.subscriber_comments]

    before_hiding = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, at_version=posted.last_version
    )
    while_hidden = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, at_version=hidden.last_version
    )
    while_hidden_by_time = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, as_of=hidden.recorded_at
    )
    moderators_view = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, at_version=hidden.last_version, include_hidden=True
    )
    restored = await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY)

    assert bodies(before_hiding) == ["Useful.", "Spam spam."]
    assert bodies(while_hidden) == bodies(while_hidden_by_time) == ["Useful."]
    assert moderators_view is not None
    assert [(c.comment_id, c.hidden) for c in moderators_view.subscriber_comments] == [
        (kept.events[0].payload["comment_id"], False),
        (spam_id, True),
    ]
    assert bodies(restored) == ["Useful.", "Spam spam."]
    assert restored == await _live_view(store, SAMPLE_ARTICLE_ID, include_hidden=False)
