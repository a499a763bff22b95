"""Random histories: the incrementally kept views always equal a replay, and every score
equals a recomputation from the ratings still active."""

from __future__ import annotations

import uuid
from collections import defaultdict
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger import Actor, EventStore
from ledger.articles import fold, stream_id
from ledger.errors import DomainError
from ledger.queries import article_views
from ledger.rebuild import verify_projections
from ledger.scores import ScorePolicy
from ledger.service import EvidenceLedger

EDITOR = Actor("editor-1", "editor")
DISCIPLINES = ["Physician", "Nurse", "Pharmacist"]
ARTICLES = 3
RATERS = 6
score = st.integers(min_value=1, max_value=7)
article = st.sampled_from([0, 1, 0, 1, 2])  # the last is registered by a command, if at all
rater = st.integers(min_value=0, max_value=RATERS - 1)
text = st.text(alphabet="ab <>&é\n", min_size=1, max_size=12).filter(str.strip)

# Weighted towards ratings, which the views are mostly about; retraction (which ends an
# article's rating) is rare. sampled_from shrinks towards the front: towards a submission.
KINDS = (
    ["submit"] * 6
    + ["revise"] * 3
    + ["withdraw"] * 2
    + ["comment"] * 2
    + ["hide", "restore", "topics", "correct", "register", "retract"]
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
commands = st.lists(command, min_size=15, max_size=60)


async def _prepare(ledger: EvidenceLedger, prefix: str) -> None:
    for name in DISCIPLINES:
        await ledger.register_discipline(name, actor=EDITOR, idempotency_key=f"d:{name}")
    for number in range(RATERS):
        await ledger.enrol_rater(
            rater_id=f"{prefix}-r{number}",
            discipline=DISCIPLINES[number % len(DISCIPLINES)],
            actor=EDITOR,
        )
    # All but the last article exist from the start; the last is left for a command.
    for number in range(ARTICLES - 1):
        await _run(ledger, prefix, ("register", number, 0, 1, 1, None, 0, {"A", "B"}))


async def _run(ledger: EvidenceLedger, prefix: str, command: tuple[Any, ...]) -> None:
    kind, number, rater_number, relevance, newsworthiness, words, pick, topic_set = command
    article_id = f"{prefix}-a{number}"
    rater_id = f"{prefix}-r{rater_number}"
    as_rater = Actor(rater_id, "rater")
    if kind == "register":
        citation = {
            "title": f"Article {number}",
            "journal": "J",
            "study_type": "Cohort",
            "abstract": "Abstract.",
            "published_on": f"202{number}-01-0{number + 1}",
        }
        await ledger.register_article(
            article_id=article_id, citation=citation, topics=sorted(topic_set), actor=EDITOR
        )
    elif kind == "submit":
        await ledger.submit_rating(
            article_id, rater_id, relevance, newsworthiness, words, actor=as_rater
        )
    elif kind in ("revise", "withdraw"):
        # Mostly aim at a rater who has an active rating here, so the change happens.
        state = fold(
            ledger.store.registry.decode(e.type, e.payload)
            for e in await ledger.store.read_stream(stream_id(article_id))
        )
        active = sorted(state.ratings) if state is not None else []
        if active and pick:
            rater_id = active[pick % len(active)]
            as_rater = Actor(rater_id, "rater")
        if kind == "revise":
            await ledger.revise_rating(
                article_id, rater_id, relevance, newsworthiness, words, actor=as_rater
            )
        else:
            await ledger.withdraw_rating(article_id, rater_id, actor=as_rater)
    elif kind == "comment":
        await ledger.post_comment(article_id, "subscriber-1", words or "Hm.", actor=EDITOR)
    elif kind in ("hide", "restore"):
        history = await ledger.store.read_stream(stream_id(article_id))
        posted = [e.payload["comment_id"] for e in history if e.type == "CommentPosted"]
        if posted:
            moderate = ledger.hide_comment if kind == "hide" else ledger.restore_comment
            await moderate(article_id, posted[pick % len(posted)], "moderation", actor=EDITOR)
    elif kind == "retract":
        await ledger.retract_article(article_id, "retracted by the journal", actor=EDITOR)
    elif kind == "correct":
        await ledger.correct_article(
            article_id, {"title": f"Corrected {words}"}, "typo", actor=EDITOR
        )
    elif kind == "topics":
        await ledger.change_topics(article_id, sorted(topic_set), actor=EDITOR)


async def _assert_scores_match_active_ratings(ledger: EvidenceLedger, prefix: str) -> None:
    ids = [f"{prefix}-a{n}" for n in range(ARTICLES)]
    async with ledger.store.engine.connect() as conn:
        views = await article_views(conn, ids, ScorePolicy())
    for article_id in ids:
        state = fold(
            ledger.store.registry.decode(e.type, e.payload)
            for e in await ledger.store.read_stream(stream_id(article_id))
        )
        if state is None:
            assert article_id not in views
            continue
        by_discipline: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for rating in state.ratings.values():
            by_discipline[rating.discipline].append((rating.relevance, rating.newsworthiness))
        expected = {
            discipline: (
                len(pairs),
                Fraction(sum(r for r, _ in pairs), len(pairs)),
                Fraction(sum(n for _, n in pairs), len(pairs)),
            )
            for discipline, pairs in by_discipline.items()
        }
        shown = {
            s.discipline: (s.rating_count, s.relevance, s.newsworthiness)
            for s in views[article_id].discipline_scores
        }
        assert shown == expected
        assert views[article_id].version == state.version
        assert views[article_id].retracted == state.retracted


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=commands)
async def test_live_views_equal_a_replay_for_any_history(
    store: EventStore, history: list[tuple[Any, ...]]
) -> None:
    ledger = EvidenceLedger(store)
    prefix = uuid.uuid4().hex[:8]  # each example writes its own articles and raters
    await _prepare(ledger, prefix)
    for command in history:
        before = await store.head()
        try:
            await _run(ledger, prefix, command)
            event(f"{command[0]} accepted")
        except DomainError as refusal:
            event(f"{command[0]} refused: {type(refusal).__name__}")
            assert await store.head() == before, f"a refused {command[0]} wrote something"

    await _assert_scores_match_active_ratings(ledger, prefix)
    report = await verify_projections(store)
    assert report.ok, report.mismatches[:3]
