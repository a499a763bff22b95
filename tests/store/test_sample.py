"""The sample article, projected, draws the reference service's record of it, line for line."""

from __future__ import annotations

from pathlib import Path

from ledger.domain.scores import ScorePolicy
from ledger.read.articles import ArticleView, article_views
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID, load_sample
from ledger.use_cases.sql_views import sql_ledger

SEED_RECORD = Path(__file__).parent.parent / "fixtures" / "seed_e7d05feceeac5a68.txt"
NBSP = "\u00a0"


def render_like_the_reference_page(view: ArticleView) -> str:
    """The record page's text, drawn only from the view (as a front-end would)."""
    lines = [f"{view.citation.line} ({view.study_type})", "", view.abstract, ""]
    lines.append("Discipline Area Score")
    lines += [
        f"{score.discipline} {score.score} / {score.out_of}"
        for score in view.discipline_scores
        if score.score is not None
    ]
    lines.append("Show me more articles about:")
    lines.append(" ".join(f"{NBSP} {topic}" for topic in view.topics))
    lines.append("Comments from MORE raters")
    for comment in view.rater_comments:
        lines += ["", f"{comment.discipline} rater", "", comment.body]
    lines.append("Comments from PAIN+ CPN subscribers")
    lines.append("")
    if not view.subscriber_comments:
        lines.append("No subscriber has commented on this article yet.")
    return "\n".join(lines)


async def sample_view(store: SQLEventStore) -> ArticleView:
    async with store.engine.connect() as conn:
        views = await article_views(conn, [SAMPLE_ARTICLE_ID], ScorePolicy())
    return views[SAMPLE_ARTICLE_ID]


async def test_the_sample_article_draws_the_seed_record(store: SQLEventStore) -> None:
    await load_sample(sql_ledger(store))
    view = await sample_view(store)

    assert render_like_the_reference_page(view) == SEED_RECORD.read_text(encoding="utf-8")
    assert view.study_type == "Systematic review"
    assert view.topics == ("Back Pain", "Chronic Low Back Pain")
    [physician] = view.discipline_scores
    assert (physician.discipline, physician.score, physician.out_of) == ("Physician", 6, 7)
    assert physician.rating_count == 3
    assert [c.discipline for c in view.rater_comments] == ["Physician"] * 3
    assert view.subscriber_comments == ()
    assert not view.retracted


async def test_loading_the_sample_twice_changes_nothing(store: SQLEventStore) -> None:
    ledger = sql_ledger(store)
    await load_sample(ledger)
    head = await store.head()
    before = await sample_view(store)

    await load_sample(ledger)

    assert await store.head() == head
    assert await sample_view(store) == before
