"""Queries: thin resolvers over the read side and the request's loaders."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.schema.audit import AuditQuery
from graph.schema.comments import HiddenComment
from graph.schema.context import Context
from graph.schema.delivery import DeadDeliveriesResult, dead_deliveries
from graph.schema.errors import BadInput, NotAllowed
from graph.schema.ids import (
    article_key,
    checked_instant,
    decode_cursor,
    decode_search_cursor,
    encode_cursor,
    encode_search_cursor,
    ledger_position,
)
from graph.schema.paging import page_info, page_size
from graph.schema.permissions import Editors, only
from graph.schema.scores import RatingScale
from graph.schema.types import Article, Me, Rater
from graph.schema.vocabulary import Discipline, Topic
from ledger.domain.errors import ValidationFailed
from ledger.domain.scores import RATING_SCALES
from ledger.read import moderation, vocabulary
from ledger.read.article_list import (
    ArticleFilter,
    ArticleHit,
    PagePlace,
    article_count,
    article_page,
)
from ledger.read.articles import ArticleSummary
from ledger.read.raters import rater_disciplines
from ledger.read.time_travel import article_as_of

__all__ = ["ArticleConnection", "Query"]


@strawberry.type(
    description="A page of articles: newest registered first, or in a search best hit first."
)
class ArticleConnection(relay.Connection[Article]):
    where: strawberry.Private[ArticleFilter]
    # The total when the page itself shows it (a first page with nothing after it), so the
    # count's statement is not run for a list that fits on one page.
    whole_list: strawberry.Private[int | None]

    @strawberry.field(
        description="How many articles match the filters (and the search), on all pages."
    )
    async def total_count(self, info: Info[Context, None]) -> int:
        if self.whole_list is not None:
            return self.whole_list
        policy = info.context.services.settings.score_policy
        where = self.where
        count: int = await info.context.reader.run(
            lambda conn: article_count(conn, policy, where=where)
        )
        return count


def _page_place(after: str | None, where: ArticleFilter) -> PagePlace | None:
    """Where the page resumes: a search's cursor carries the rank as well as the position."""
    if after is None:
        return None
    if where.searching:
        rank, position = decode_search_cursor(after)
        return PagePlace(position, rank)
    return PagePlace(decode_cursor(after))


def _cursor(hit: ArticleHit) -> str:
    position = hit.summary.registered_position
    if hit.rank is None:
        return encode_cursor(position)
    return encode_search_cursor(hit.rank, position)


async def _registered_discipline(info: Info[Context, None], name: str) -> str:
    """The discipline a ``discipline`` filter names, as registered; an unknown one is refused
    (an empty page would read as "no articles rated in it")."""
    found: str | None = await info.context.reader.run(
        lambda conn: vocabulary.discipline_named(conn, name)
    )
    if found is None:
        raise BadInput(f"`discipline` {name!r} is not a registered discipline", "discipline")
    return found


async def _registered_study_type(info: Info[Context, None], name: str) -> str:
    """The study type a ``studyType`` filter names, as the vocabulary spells it (the
    spelling every article carries), matched without regard to case as registration matches
    it: neither backend's own lower() is trusted with letters beyond ASCII. An unknown name
    is kept as given: it selects no article."""
    wanted = name.casefold()
    info.context.facts.read_everything()  # the vocabulary, read outside the request's reader
    await info.context.reader.before_reading()
    registered: tuple[str, ...] = await info.context.services.ledger.study_types()
    for known in registered:
        if known.casefold() == wanted:
            return known
    return name


@strawberry.type
class HiddenCommentEdge:
    cursor: str
    node: HiddenComment


@strawberry.type(description="A page of hidden comments, newest posted first.")
class HiddenCommentConnection:
    edges: list[HiddenCommentEdge]
    page_info: relay.PageInfo


HiddenCommentPage = Annotated[
    HiddenCommentConnection | NotAllowed, strawberry.union("HiddenCommentsResult")
]


def _article_id(value: str) -> str:
    try:
        return article_key(value, "id")
    except ValidationFailed as error:
        raise BadInput(str(error), "id") from None


def _check_version(at_version: int, summary: ArticleSummary | None) -> None:
    """A version the article has had: past its current one there is nothing to show."""
    if at_version < 1:
        raise BadInput("`atVersion` counts from 1", "atVersion")
    if summary is not None and at_version > summary.version:
        raise BadInput(
            f"`atVersion` must be from 1 to the article's version, {summary.version}", "atVersion"
        )


@strawberry.type
class Query(AuditQuery):
    @strawberry.field(description="Fetches an object given its ID.")
    async def node(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The ID of the object.")],
    ) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id)
            global_id.resolve_type(info)
        except ValueError:
            raise BadInput("`id` is not an id this API gave out", "id") from None
        if global_id.type_name == "Article":
            _article_id(id)
        else:
            # A ledger event is read outside the request's reader: its fact is the ledger.
            info.context.facts.read_everything()
            await info.context.reader.before_reading()
            if global_id.type_name == "LedgerEvent":
                ledger_position(global_id.node_id)
        return await global_id.resolve_node(info, required=False)

    @strawberry.field(
        description="An article as it is now, or as it stood at a time (`asOf`) or at a version "
        "(`atVersion`, from 1 to its `version`), not both. Null when there is no such article, "
        "and when `asOf` is before the article was registered. A past view leaves out the "
        "comments hidden since: moderation is not undone by asking for the past."
    )
    async def article(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        as_of: datetime | None = None,
        at_version: int | None = None,
    ) -> Article | None:
        article_id = _article_id(id)
        if as_of is not None and at_version is not None:
            raise BadInput("Give `asOf` or `atVersion`, not both", "atVersion")
        as_of = checked_instant(as_of, "asOf") if as_of is not None else None
        summary = await info.context.loaders.articles.load(article_id)
        if at_version is not None:
            _check_version(at_version, summary)
        if summary is None or (as_of is None and at_version is None):
            return Article.of(summary) if summary is not None else None
        # A view of the past is read from the store, outside what the cache records, and
        # `asOf` may be ahead of now: answered afresh every time.
        info.context.facts.refuse_caching()
        services = info.context.services
        past = await article_as_of(
            services.store,
            article_id,
            services.settings.score_policy,
            as_of=as_of,
            at_version=at_version,
        )
        return Article.of_past(past) if past is not None else None

    @strawberry.field(
        description=(
            "Articles, filtered as asked: newest registered first, or, with `search`, best"
            " hit first. `search` finds articles with every one of its words (in any order,"
            " regardless of case and accents) in their title, abstract, authors or journal,"
            " or whose DOI or PMID it is exactly. `topic` ignores case and accents. Retracted"
            " articles are left out unless `includeRetracted` is true."
        )
    )
    async def articles(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        topic: str | None = None,
        discipline: str | None = None,
        min_score: int | None = None,
        study_type: str | None = None,
        search: str | None = None,
        include_retracted: bool | None = False,
    ) -> ArticleConnection:
        settings = info.context.services.settings
        size = page_size(first, settings.default_page_size, settings.max_page_size)
        if min_score is not None and not 1 <= min_score <= 7:
            raise BadInput("`minScore` must be from 1 to 7", "minScore")
        if search is not None and len(search) > 200:
            raise BadInput("`search` must be at most 200 characters", "search")
        where = ArticleFilter(
            topic, discipline, min_score, study_type, search, bool(include_retracted)
        )
        place = _page_place(after, where)
        if discipline is not None:
            where = replace(where, discipline=await _registered_discipline(info, discipline))
        if study_type is not None:
            where = replace(where, study_type=await _registered_study_type(info, study_type))
        page, more = await info.context.reader.run(
            lambda conn: article_page(conn, size, settings.score_policy, after=place, where=where)
        )
        for hit in page:
            info.context.loaders.articles.prime(hit.summary.article_id, hit.summary)
        edges = [relay.Edge(cursor=_cursor(hit), node=Article.of(hit.summary)) for hit in page]
        return ArticleConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after_start=after is not None),
            where=where,
            whole_list=len(page) if after is None and not more else None,
        )

    @strawberry.field(
        description="Moderation: every hidden comment, newest posted first (editors only).",
        extensions=only(Editors),
    )
    async def hidden_comments(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> HiddenCommentPage:
        context = info.context
        settings = context.services.settings
        size = page_size(first, settings.default_page_size, settings.max_page_size)
        before = decode_cursor(after) if after is not None else None  # range-checked
        store = context.services.store
        page, more = await context.reader.run(
            lambda conn: moderation.hidden_comment_page(conn, store, size, before_position=before)
        )
        nodes = await HiddenComment.many(info, page)
        edges = [
            HiddenCommentEdge(cursor=encode_cursor(found.posted_position), node=node)
            for found, node in zip(page, nodes, strict=True)
        ]
        return HiddenCommentConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after_start=after is not None),
        )

    @strawberry.field(
        description="Deliveries whose every attempt failed, oldest first (editors only).",
        extensions=only(Editors),
    )
    async def dead_deliveries(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> DeadDeliveriesResult:
        return await dead_deliveries(info, first, after)

    @strawberry.field(description="Every topic, with how many articles carry it.")
    async def topics(self, info: Info[Context, None]) -> list[Topic]:
        found = await info.context.reader.run(vocabulary.topics)
        return [Topic(name=name, count=count) for name, count in found]

    @strawberry.field(
        description="The rating form's two scales, in the reference service's own words."
    )
    def rating_scales(self) -> list[RatingScale]:
        return [RatingScale.of(scale) for scale in RATING_SCALES]

    @strawberry.field(
        description="The study types an article may have: the reference list, then those "
        "editors added."
    )
    async def study_types(self, info: Info[Context, None]) -> list[str]:
        info.context.facts.read_everything()  # the vocabulary, read outside the reader
        await info.context.reader.before_reading()
        return list(await info.context.services.ledger.study_types())

    @strawberry.field(description="The registered disciplines.")
    async def disciplines(self, info: Info[Context, None]) -> list[Discipline]:
        names = await info.context.reader.run(vocabulary.disciplines)
        return [Discipline(name=name) for name in names]

    @strawberry.field(description="The caller, or null when anonymous.")
    async def me(self, info: Info[Context, None]) -> Me | None:
        principal = info.context.principal
        if principal is None:
            return None
        info.context.facts.read_identity()  # an answer for this caller only
        rater = None
        rater_id = principal.rater_id
        if rater_id is not None:
            found = await info.context.reader.run(lambda conn: rater_disciplines(conn, [rater_id]))
            # A rater the views do not hold (yet) has no discipline to show: the caller is
            # still told who they are and their role.
            discipline = found.get(rater_id)
            if discipline is not None:
                rater = Rater(id=strawberry.ID(rater_id), discipline=Discipline(name=discipline))
        return Me(id=principal.id, role=principal.role, rater=rater)
