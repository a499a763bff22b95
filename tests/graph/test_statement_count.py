"""DataLoaders keep the SQL statements of a request constant, whatever the page size."""

from __future__ import annotations

from typing import Any

from ledger.use_cases.tokens import issue_token
from tests.graph.conftest import Api
from tests.graph.helpers import counting_statements, enrol, post_comment, rate, register

# Everything a list page can ask of each article, nested.
ARTICLES = """
query($first: Int!) {
  articles(first: $first) {
    edges {
      cursor
      node {
        id
        citation { line title authors journal publishedOn doi }
        studyType
        abstract
        retracted
        version
        topics { name }
        disciplineScores {
          discipline { name } score outOf relevance newsworthiness ratingCount meetsThreshold
        }
        raterComments { discipline { name } body postedAt }
        subscriberComments { id author body postedAt }
        relatedArticles { id citation { title } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# A small, fixed number: the page, its topics, scores, rater comments, subscriber comments,
# their authors' names, related ids, related articles: 8 (and SQLite's BEGIN of the snapshot).
MOST_STATEMENTS = 10

HUBS = 3  # old articles (outside every page) that every page's related articles point at
ARTICLES_IN_LEDGER = 55
RATERS = ("nurse-1", "nurse-2", "physician-1")


async def many_articles_with_everything(api: Api) -> None:
    """Old "hub" articles sharing topics with all, then many articles, each with two topics,
    ratings with comments, and a comment by a named or an unnamed subscriber."""
    await enrol(api, "nurse-1", "Nurse")
    await enrol(api, "nurse-2", "Nurse")
    await enrol(api, "physician-1", "Physician")
    named = [
        await issue_token(api.services.engine, "subscriber", name=f"Reader {s}") for s in (1, 2)
    ]
    authors = [named[0].principal.id, named[1].principal.id, "subscriber-a", "subscriber-b"]
    for hub in range(HUBS):
        await register(
            api,
            f"Hub review {hub}",
            ["Common", *(f"Topic {t}" for t in range(5))],
            published_on=f"2030-01-0{hub + 1}",
        )
    for n in range(ARTICLES_IN_LEDGER):
        article_id = await register(
            api, f"Article {n:02}", ["Common", f"Topic {n % 5}"], published_on="2021-06-01"
        )
        for offset, rater_id in enumerate(RATERS[: 1 + n % 3]):
            await rate(api, article_id, rater_id, 3 + (n + offset) % 5, 4, f"Comment {n}/{offset}")
        await post_comment(api, article_id, authors[n % len(authors)], f"Question {n}")


async def statements_for_a_page(api: Api, first: int) -> tuple[int, dict[str, Any]]:
    with counting_statements(api) as statements:
        data = await api.data(ARTICLES, {"first": first})
    return len(statements), data


async def test_a_page_of_5_and_a_page_of_50_cost_the_same_statements(api: Api) -> None:
    await many_articles_with_everything(api)

    small, small_page = await statements_for_a_page(api, 5)
    large, large_page = await statements_for_a_page(api, 50)

    print(f"SQL statements per request: page of 5: {small}, page of 50: {large}")
    assert len(small_page["articles"]["edges"]) == 5
    assert len(large_page["articles"]["edges"]) == 50
    nodes = [edge["node"] for edge in large_page["articles"]["edges"]]
    assert all(node["topics"] and node["raterComments"] for node in nodes)
    assert all(node["subscriberComments"] for node in nodes)
    authors = {c["author"] for node in nodes for c in node["subscriberComments"]}
    assert authors == {"Reader 1", "Reader 2", "Subscriber"}
    assert all(node["relatedArticles"] for node in nodes)
    assert any(
        related["citation"]["title"].startswith("Hub review")
        for node in nodes
        for related in node["relatedArticles"]
    )
    assert small == large
    assert large <= MOST_STATEMENTS
