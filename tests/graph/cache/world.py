"""A small ledger with every kind of caller, the queries front-ends send, and a way to ask
them through the cache (HTTP) and without it (the schema run directly)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from graph.http.response_cache import ResponseCache
from ledger.domain.commands import HideComment
from ledger.store.records import Actor
from ledger.use_cases.tokens import issue_token
from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, enrol, post_comment, register

EDITOR = Actor("test-editor", "editor")

PAGE = """query ArticlePage($id: ID!) {
  article(id: $id) {
    id articleId version retracted retraction { reason }
    citation { line title authors journal publishedOn doi }
    studyType abstract
    disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount
                       meetsThreshold }
    topics { name }
    raterComments { discipline { name } body }
    subscriberComments { id author body }
    relatedArticles(first: 5) { articleId citation { title } }
    hiddenComments { __typename ... on HiddenComments { comments { id author body hideReason } }
                     ... on NotAllowed { code } }
  }
  ratingScales { name }
}"""

LIST = """query List($first: Int!, $search: String, $topic: String, $discipline: String,
                  $minScore: Int, $includeRetracted: Boolean) {
  articles(first: $first, search: $search, topic: $topic, discipline: $discipline,
           minScore: $minScore, includeRetracted: $includeRetracted) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { articleId retracted citation { title } topics { name articleCount }
                   disciplineScores { discipline { name } score ratingCount } } }
  }
}"""

NODE = """query Node($id: ID!) {
  node(id: $id) { id ... on Article { version retracted topics { name articleCount } } }
}"""

ME = """{ me { id role rater { id discipline { name } }
          ratings { article { articleId version } relevance newsworthiness withdrawn } } }"""

QUERIES: dict[str, tuple[str, bool]] = {
    # name: (document, takes the article's id)
    "page": (PAGE, True),
    "list": (LIST, False),
    "list-filtered": (LIST, False),
    "search": (LIST, False),
    "node": (NODE, True),
    "topics": ("{ topics { name articleCount } }", False),
    "vocabulary": ("{ disciplines { name } studyTypes }", False),
    "me": (ME, False),
    "hidden": (
        "{ hiddenComments(first: 10) { __typename ... on HiddenCommentConnection {"
        " edges { node { body hideReason } } } ... on NotAllowed { code } } }",
        False,
    ),
}

LIST_VARIABLES: dict[str, dict[str, Any]] = {
    "list": {"first": 5},
    "list-filtered": {"first": 5, "topic": "Exercise", "discipline": "Physician", "minScore": 1},
    "search": {"first": 5, "search": "trial", "includeRetracted": True},
}

CALLERS = ("public", "subscriber", "other-subscriber", "physician", "nurse", "editor", "auditor")


def variables_for(name: str, article_id: str) -> dict[str, Any] | None:
    if name == "node":
        return {"id": base64.b64encode(f"Article:{article_id}".encode()).decode()}
    if QUERIES[name][1]:
        return {"id": article_id}
    return LIST_VARIABLES.get(name)


@dataclass
class World:
    api: Api
    tokens: dict[str, str | None]
    subscribers: list[str]
    raters: list[str]
    articles: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (article, comment)
    made: int = 0

    @property
    def cache(self) -> ResponseCache:
        cache: ResponseCache = self.api.app.state.response_cache
        return cache

    async def cached(self, name: str, article: str, caller: str) -> dict[str, Any]:
        """The answer over HTTP, through the cache."""
        query = QUERIES[name][0]
        token = self.tokens[caller]
        response = await self.api.post(query, variables_for(name, article), token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def uncached(self, name: str, article: str, caller: str) -> dict[str, Any]:
        """The schema's answer, run directly for the same caller."""
        query = QUERIES[name][0]
        return await self.api.result(query, variables_for(name, article), self.tokens[caller])


async def build_world(api: Api) -> World:
    engine = api.services.engine
    await enrol(api, "physician-1", "Physician", "Dr One")
    await enrol(api, "nurse-1", "Nurse")
    tokens: dict[str, str | None] = {"public": None}
    for caller, rater in (("physician", "physician-1"), ("nurse", "nurse-1")):
        tokens[caller] = (await issue_token(engine, "rater", rater_id=rater)).token
    subscribers = []
    for caller, name in (("subscriber", "Reader One"), ("other-subscriber", None)):
        issued = await issue_token(engine, "subscriber", name=name)
        tokens[caller] = issued.token
        subscribers.append(issued.principal.id)
    for role in ("editor", "auditor"):
        tokens[role] = (await issue_token(engine, role)).token
    world = World(api, tokens, subscribers, ["physician-1", "nurse-1"])
    world.articles = [
        SAMPLE_ID,
        await register(api, "A randomised trial of walking", ["Back Pain", "Exercise"]),
        await register(api, "A review of stretching", ["Exercise"]),
    ]
    comment = await post_comment(api, world.articles[1], subscribers[0], "Shown comment")
    hidden = await post_comment(api, world.articles[1], subscribers[1], "Hidden comment")
    await api.services.ledger.execute(
        HideComment(article_id=world.articles[1], comment_id=hidden, reason="Off topic"),
        actor=EDITOR,
    )
    world.comments += [(world.articles[1], comment), (world.articles[1], hidden)]
    return world
