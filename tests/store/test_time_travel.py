"""Time travel: an article as it stood at a version or a time is exactly what the live view
showed at that moment, for any history of commands."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger import Actor, EventStore
from ledger.articles import fold, stream_id
from ledger.errors import DomainError
from ledger.queries import ArticleView, article_views
from ledger.sample import SAMPLE_ARTICLE_ID, load_sample
from ledger.scores import ScorePolicy
from ledger.service import EvidenceLedger
from ledger.time_travel import article_as_of

EDITOR = Actor("editor-1", "editor")
READER = Actor("subscriber-1", "subscriber")
POLICY = ScorePolicy()
DISCIPLINES = ["Physician", "Nurse", "Pharmacist"]
RATERS = 7  # three disciplines, so up to three ratings in one of them: enough for a score
score = st.integers(min_value=1, max_value=7)
article = st.sampled_from([0, 0, 1])  # the second is registered by a command, if at all
rater = st.integers(min_value=0, max_value=RATERS - 1)
text = st.text(alphabet="ab <>&é\n", min_size=1, max_size=12).filter(str.strip)

# Weighted towards ratings; sampled_from shrinks towards the front, towards a submission.
KINDS = (
    ["submit"] * 6
    + ["revise"] * 3
    + ["withdraw"] * 2
    + ["comment"] * 3
    + ["hide"] * 2
    + ["restore"] * 2
    + ["topics", "correct", "correct_with_topics", "register", "retract"]
)
command = st.tuples(
    st.sampled_from(KINDS),
    article,
    rater,
    score,
    score,
    st.none() | text,
    st.integers(0, 5),
    st.sets(st.sampled_from("ABCD"), min_size=1),
)
commands = st.lists(command, min_size=10, max_size=45)

Captured = dict[tuple[str, int], ArticleView]


async def _prepare(ledger: EvidenceLedger, prefix: str) -> None:
    for name in DISCIPLINES:
        await ledger.register_discipline(name, actor=EDITOR, idempotency_key=f"d:{name}")
    for number in range(RATERS):
        await ledger.enrol_rater(
            rater_id=f"{prefix}-r{number}",
            discipline=DISCIPLINES[number % len(DISCIPLINES)],
            actor=EDITOR,
        )


async def _register(ledger: EvidenceLedger, article_id: str, topics: list[str]) -> None:
    citation = {
        "title": f"Article {article_id}",
        "authors": ["Doe J", "Roe R"],
        "journal": "J",
        "study_type": "Cohort",
        "abstract": "Abstract.",
        "published_on": "2021-01-02",
    }
    await ledger.register_article(
        article_id=article_id, citation=citation, topics=topics, actor=EDITOR
    )


async def _active_raters(ledger: EvidenceLedger, article_id: str) -> list[str]:
    state = fold(
        ledger.store.registry.decode(e.type, e.payload)
        for e in await ledger.store.read_stream(stream_id(article_id))
    )
    return sorted(state.ratings) if state is not None else []


async def _comment_ids(ledger: EvidenceLedger, article_id: str) -> list[str]:
    history = await ledger.store.read_stream(stream_id(article_id))
    return [e.payload["comment_id"] for e in history if e.type == "CommentPosted"]


async def _run(ledger: EvidenceLedger, prefix: str, command: tuple[Any, ...]) -> None:
    kind, number, rater_number, relevance, newsworthiness, words, pick, topic_set = command
    if kind == "register":
        await _register(ledger, f"{prefix}-a1", sorted(topic_set))
        return
    article_id = f"{prefix}-a{number}"
    rater_id = f"{prefix}-r{rater_number}"
    if kind in ("revise", "withdraw"):
        # Mostly aim at a rater who has an active rating here, so the change happens.
        active = await _active_raters(ledger, article_id)
        if active and pick:
            rater_id = active[pick % len(active)]
    as_rater = Actor(rater_id, "rater")
    if kind == "submit":
        await ledger.submit_rating(
            article_id, rater_id, relevance, newsworthiness, words, actor=as_rater
        )
    elif kind == "revise":
        await ledger.revise_rating(
            article_id, rater_id, relevance, newsworthiness, words, actor=as_rater
        )
    elif kind == "withdraw":
        await ledger.withdraw_rating(article_id, rater_id, actor=as_rater)
    elif kind == "comment":
        await ledger.post_comment(article_id, READER.id, words or "Hm.", actor=READER)
    elif kind in ("hide", "restore"):
        posted = await _comment_ids(ledger, article_id)
        if posted:
            moderate = ledger.hide_comment if kind == "hide" else ledger.restore_comment
            await moderate(article_id, posted[pick % len(posted)], "moderation", actor=EDITOR)
    elif kind == "retract":
        await ledger.retract_article(article_id, "retracted by the journal", actor=EDITOR)
    elif kind == "correct":
        await ledger.correct_article(article_id, _correction(pick, words), "typo", actor=EDITOR)
    elif kind == "correct_with_topics":
        # Two events in one append: a correction and a change of topics.
        await ledger.correct_article(
            article_id,
            {"abstract": f"Corrected abstract {words}."},
            "erratum",
            topics=sorted(topic_set),
            actor=EDITOR,
        )
    elif kind == "topics":
        await ledger.change_topics(article_id, sorted(topic_set), actor=EDITOR)


def _correction(pick: int, words: str | None) -> dict[str, Any]:
    """One of several kinds of correction: text, a list, an optional field set or cleared."""
    choices: list[dict[str, Any]] = [
        {"title": f"Corrected {words}"},
        {"authors": ["Roe R", f"Doe {words or 'J'}"]},
        {"volume": words},
        {"doi": f"10.1234/x{pick}" if words else None},
        {"journal_abbreviation": words, "pages": "1-9"},
        {"study_type": "Randomised controlled trial", "published_on": "2024-02-29"},
    ]
    return choices[pick % len(choices)]


async def _capture(store: EventStore, ids: list[str], captured: Captured) -> None:
    """The live public view of each existing article, keyed by its stream version."""
    async with store.engine.connect() as conn:
        views = await article_views(conn, ids, POLICY, include_hidden=False)
    for article_id, view in views.items():
        key = (article_id, view.version)
        # While an article's stream does not move, neither may its live view.
        assert captured.setdefault(key, view) == view, key


async def _recorded_at_by_version(store: EventStore, article_id: str) -> dict[int, datetime]:
    return {
        e.stream_version: e.metadata.recorded_at
        for e in await store.read_stream(stream_id(article_id))
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=commands)
async def test_the_past_view_at_every_version_equals_the_live_view_at_that_moment(
    store: EventStore, history: list[tuple[Any, ...]]
) -> None:
    ledger = EvidenceLedger(store)
    prefix = uuid.uuid4().hex[:8]  # each example writes its own articles and raters
    ids = [f"{prefix}-a0", f"{prefix}-a1"]
    await _prepare(ledger, prefix)
    captured: Captured = {}
    await _register(ledger, ids[0], ["A", "B"])  # the second is left for a command
    await _capture(store, ids, captured)
    for command in history:
        before = await store.head()
        try:
            await _run(ledger, prefix, command)
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
        at_version = await article_as_of(store, article_id, POLICY, at_version=version)
        assert at_version == live, (article_id, version)
        # The view's version is the last event of an append, so its time is the append's.
        moment = recorded_at[article_id][version]
        at_time = await article_as_of(store, article_id, POLICY, as_of=moment)
        assert at_time == live, (article_id, version, moment)


# -- deterministic cases ------------------------------------------------------------------


async def _live_view(store: EventStore, article_id: str, *, include_hidden: bool) -> ArticleView:
    async with store.engine.connect() as conn:
        views = await article_views(conn, [article_id], POLICY, include_hidden=include_hidden)
    return views[article_id]


async def test_an_article_as_of_before_its_registration_did_not_exist(store: EventStore) -> None:
    await load_sample(EvidenceLedger(store))
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


async def test_an_article_that_never_existed_has_no_past(store: EventStore) -> None:
    await load_sample(EvidenceLedger(store))

    assert await article_as_of(store, "no-such-article", POLICY) is None
    assert await article_as_of(store, "no-such-article", POLICY, at_version=3) is None


async def test_a_version_beyond_the_head_of_the_stream_gives_the_current_view(
    store: EventStore,
) -> None:
    ledger = EvidenceLedger(store)
    await load_sample(ledger)
    await ledger.post_comment(SAMPLE_ARTICLE_ID, READER.id, "Worth a read.", actor=READER)
    live = await _live_view(store, SAMPLE_ARTICLE_ID, include_hidden=False)

    beyond = await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY, at_version=live.version + 5)
    unbounded = await article_as_of(store, SAMPLE_ARTICLE_ID, POLICY)
    in_the_future = await article_as_of(
        store, SAMPLE_ARTICLE_ID, POLICY, as_of=datetime.now().astimezone() + timedelta(days=1)
    )

    assert beyond == unbounded == in_the_future == live


async def test_a_hidden_comment_is_not_in_the_public_past_view(store: EventStore) -> None:
    ledger = EvidenceLedger(store)
    await load_sample(ledger)
    kept = await ledger.post_comment(SAMPLE_ARTICLE_ID, READER.id, "Useful.", actor=READER)
    posted = await ledger.post_comment(SAMPLE_ARTICLE_ID, READER.id, "Spam spam.", actor=READER)
    spam_id = posted.events[0].payload["comment_id"]
    hidden = await ledger.hide_comment(SAMPLE_ARTICLE_ID, spam_id, "spam", actor=EDITOR)
    await ledger.restore_comment(SAMPLE_ARTICLE_ID, spam_id, "on appeal", actor=EDITOR)

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
