"""Full-text search over the article view, on each backend's own engine.

The hits expected are computed here, by a plain Python statement of what a search means
(every word of the query among the article's words, case and accents aside; or the DOI or
PMID exactly), over a corpus generated with accented, Greek, Cyrillic and CJK words.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.commands import CorrectArticle, RetractArticle
from ledger.domain.scores import ScorePolicy
from ledger.domain.search_text import words
from ledger.projections.projector import Projector, catch_up
from ledger.projections.search_index import INDEX_NAME, is_index_table
from ledger.projections.tables import live_views
from ledger.read.article_list import (
    ArticleFilter,
    PagePlace,
    article_count,
    article_page,
    count_query,
)
from ledger.read.backends import backend_named
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.migrate import downgrade, upgrade
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.store.ledgers import EDITOR, ledger_with_raters, register
from tests.store.writers import LetsAWriterInAfterReading, separate_stores

POLICY = ScorePolicy()

# Words of many scripts and spellings; the case and accent variants are the same word.
VOCABULARY = (
    "Über",
    "Ärzte",
    "étude",
    "ÉTUDE",
    "naïve",
    "Straße",
    "façade",
    "spine",
    "marrow",
    "intervention",
    "42",
    "429",
    "Ελληνικά",
    "παιδιά",
    "врач",
    "Медсестра",
    "医生",
    "研究",
    "चिकित्सक",
    "".join(chr(ord(c) + 0xFEE0) for c in "fullwidth"),  # in fullwidth forms (NFKD: ASCII)
    "pain",
    "back",
    "trial",
)
AUTHORS = ("Kubrová E", "Müller K", "Ødegård S", "Иванов И", "Smith J", "O'Neil P")
JOURNALS = (("Spine Journal", "Spine J"), ("Revue Médicale", "Rev Méd"), ("医学研究", None))
CORPUS_SIZE = 36


@dataclass(frozen=True)
class Entry:
    article_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    journal: str
    journal_abbreviation: str | None
    doi: str
    pmid: str
    retracted: bool = False

    def words(self) -> set[str]:
        fields = [self.title, self.abstract, self.journal, self.journal_abbreviation or ""]
        return set(expected_words(" ".join([*fields, *self.authors])))


def expected_words(value: str) -> list[str]:
    """The spec of a word, independently of ``ledger.domain.search_text``: letters and digits, after
    compatibility decomposition, without marks (accents, vowel signs), case folded."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if unicodedata.category(c)[0] != "M").casefold()
    return re.findall(r"[^\W_]+", bare)


def expected_hits(corpus: Iterable[Entry], query: str) -> set[str]:
    wanted = set(expected_words(query))
    exact = query.strip()
    return {
        entry.article_id
        for entry in corpus
        if not entry.retracted
        and ((wanted and wanted <= entry.words()) or exact in (entry.doi, entry.pmid))
    }


def generated_corpus(seed: int = 12) -> list[Entry]:
    chance = random.Random(seed)
    corpus = []
    for number in range(CORPUS_SIZE):
        journal, abbreviation = chance.choice(JOURNALS)
        corpus.append(
            Entry(
                article_id=f"s{number:03}",
                title=" ".join(chance.sample(VOCABULARY, chance.randint(2, 5))),
                abstract=" ".join(chance.choices(VOCABULARY, k=chance.randint(3, 9))) + ".",
                authors=tuple(chance.sample(AUTHORS, chance.randint(1, 3))),
                journal=journal,
                journal_abbreviation=abbreviation,
                doi=f"10.5555/Corpus.{number}",
                pmid=str(40_000_000 + number),
                retracted=number % 9 == 4,
            )
        )
    return corpus


async def registered(store: SQLEventStore, corpus: list[Entry]) -> EvidenceLedger:
    ledger = await ledger_with_raters(store)
    for entry in corpus:
        await register(
            ledger,
            entry.article_id,
            title=entry.title,
            abstract=entry.abstract,
            authors=list(entry.authors),
            journal=entry.journal,
            journal_abbreviation=entry.journal_abbreviation,
            doi=entry.doi,
            pmid=entry.pmid,
        )
        if entry.retracted:
            await ledger.execute(
                RetractArticle(entry.article_id, "duplicate publication"), actor=EDITOR
            )
    return ledger


def queries_of(corpus: list[Entry]) -> list[str]:
    """Every word alone and in every spelling given, pairs in both orders, identifiers,
    and queries that find nothing or carry FTS syntax."""
    found = [*VOCABULARY, *(word.upper() for word in VOCABULARY), "uber", "ARZTE", "etude"]
    found += ["spine marrow", "marrow spine", "intervention 42", "42 intervention"]
    found += ["Kubrova", "kubrová", "ODEGARD", "иванов", "Straße", "STRASSE", "strasse"]
    found += ["fullwidth", "研究 医生", "παιδια", "चकतसक"]
    found += [corpus[3].doi, corpus[5].pmid, corpus[4].doi, "10.5555/corpus.3"]
    found += ['spine" OR "pain', "spine*", "NEAR(spine pain)", "-spine", "spine:", "^trial"]
    found += ["absent", "intervention 4", "%", "_"]
    return found


async def search(engine: AsyncEngine, query: str, **filters: Any) -> list[str]:
    async with engine.connect() as conn:
        page, more = await article_page(
            conn, 500, POLICY, where=ArticleFilter(search=query, **filters)
        )
    assert not more
    return [hit.summary.article_id for hit in page]


async def test_a_search_finds_exactly_the_articles_with_every_word_in_any_case_or_accent(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    corpus = generated_corpus()
    await registered(store, corpus)

    for query in queries_of(corpus):
        found = await search(engine, query)
        assert len(found) == len(set(found)), query
        assert set(found) == expected_hits(corpus, query), query


@given(st.text())
def test_the_words_indexed_are_the_words_of_the_definition_for_any_text(value: str) -> None:
    """Its fast paths (plain ASCII, marks looked for only outside ASCII) change nothing."""
    assert words(value) == [word for word in expected_words(value) if len(word) <= 200]


def test_the_corpus_gives_searches_with_several_hits_and_with_none() -> None:
    """A control for the test above: its queries are not all empty, nor all everything."""
    corpus = generated_corpus()
    sizes = {len(expected_hits(corpus, query)) for query in queries_of(corpus)}
    live = sum(not entry.retracted for entry in corpus)
    assert 0 in sizes
    assert 1 in sizes
    assert any(1 < size < live for size in sizes)


async def test_paging_through_ranked_hits_returns_each_hit_exactly_once_best_first(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    corpus = generated_corpus()
    await registered(store, corpus)
    for query in ("spine", "pain back", "ETUDE", corpus[7].doi):
        expected = expected_hits(corpus, query)
        seen: list[str] = []
        ranks: list[int] = []
        place: PagePlace | None = None
        async with engine.connect() as conn:
            while True:
                page, more = await article_page(
                    conn, 2, POLICY, after=place, where=ArticleFilter(search=query)
                )
                seen += [hit.summary.article_id for hit in page]
                ranks += [hit.rank for hit in page if hit.rank is not None]
                if not more:
                    break
                place = page[-1].place
            total = await article_count(conn, POLICY, where=ArticleFilter(search=query))
        assert sorted(seen) == sorted(expected), query
        assert ranks == sorted(ranks, reverse=True), query
        assert len(ranks) == len(seen)
        assert total == len(expected)


async def test_an_exact_doi_ranks_above_articles_that_only_share_its_words(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)
    await register(ledger, "owner", title="A trial", doi="10.5555/spine.7", pmid="7")
    await register(ledger, "other", title="Spine 7 and 10 5555", doi=None, pmid=None)

    assert await search(engine, "10.5555/spine.7") == ["owner", "other"]
    assert await search(engine, "7") == ["owner", "other"]


async def test_retracted_articles_are_found_only_when_included(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    corpus = generated_corpus()
    await registered(store, corpus)
    retracted = {entry.article_id for entry in corpus if entry.retracted}
    everyone = [
        Entry(**{**entry.__dict__, "retracted": False}) for entry in corpus
    ]  # the same corpus, every article shown

    found = set(await search(engine, "spine", include_retracted=True))

    assert found == expected_hits(everyone, "spine")
    assert found & retracted


async def test_a_correction_changes_what_a_search_finds_at_once(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)
    await register(ledger, "a1", title="Lumbar fusion outcomes")
    assert await search(engine, "fusion") == ["a1"]

    await ledger.execute(
        CorrectArticle("a1", {"title": "Cervical décompression"}, "erratum"), actor=EDITOR
    )

    assert await search(engine, "fusion") == []
    assert await search(engine, "DECOMPRESSION cervical") == ["a1"]


async def test_a_rebuild_remakes_the_search_index_and_verify_agrees(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    corpus = generated_corpus()
    await registered(store, corpus)
    before = {query: await search(engine, query) for query in ("spine", "über", "研究")}

    await rebuild(store)

    assert {query: await search(engine, query) for query in before} == before
    report = await verify_projections(store)
    assert report.ok, report.mismatches


async def test_articles_registered_and_corrected_after_a_rebuild_are_found(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """The swapped-in index is kept in step with the live article view from then on."""
    ledger = await ledger_with_raters(store)
    await register(ledger, "a1", title="Lumbar fusion outcomes")
    await rebuild(store)

    await register(ledger, "a2", title="Quokka physiotherapy")
    await ledger.execute(
        CorrectArticle("a1", {"title": "Wombat rehabilitation"}, "erratum"), actor=EDITOR
    )

    assert await search(engine, "quokka") == ["a2"]
    assert await search(engine, "wombat") == ["a1"]
    assert await search(engine, "fusion") == []
    report = await verify_projections(store)
    assert report.ok, report.mismatches


async def test_articles_written_while_a_rebuild_catches_up_are_found_after_its_swap(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    """The fresh search index is filled before the swap; what the rebuild writes after that
    (appends it catches up on) reaches the index too."""
    corpus = generated_corpus()
    await registered(store, corpus)

    async with separate_stores(database_url, 1) as [own_store]:
        other = sql_ledger(own_store)

        async def writer() -> None:
            await register(other, "late", title="Quokka physiotherapy")
            await other.execute(
                CorrectArticle("s001", {"title": "Wombat rehabilitation"}, "erratum"), actor=EDITOR
            )

        await rebuild(LetsAWriterInAfterReading(engine, writer))

    assert await search(engine, "quokka") == ["late"]
    assert await search(engine, "wombat REHABILITATION") == ["s001"]
    report = await verify_projections(store)
    assert report.ok, report.mismatches


async def test_verify_notices_a_search_text_that_differs_from_a_replay(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    corpus = generated_corpus()
    await registered(store, corpus)
    views = live_views.article_views
    async with engine.begin() as conn:
        await conn.execute(
            update(views).where(views.c.article_id == "s002").values(search_text="tampered")
        )

    report = await verify_projections(store)

    assert not report.ok
    assert report.first_article == "s002"


async def test_verify_notices_a_search_index_out_of_step_with_the_article_view(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """SQLite: an FTS5 entry lost; PostgreSQL (whose server keeps the index in step with its
    table): the index gone."""
    corpus = generated_corpus()
    await registered(store, corpus)
    damage = {
        "sqlite": f"DELETE FROM {INDEX_NAME}_docsize WHERE id = 3",
        "postgresql": f"DROP INDEX {INDEX_NAME}",
    }
    async with engine.begin() as conn:
        await conn.execute(text(damage[engine.dialect.name]))

    report = await verify_projections(store)

    assert not report.ok
    assert [m.table for m in report.mismatches] == [INDEX_NAME]


async def test_the_migration_makes_the_search_index_and_its_downgrade_removes_it(
    engine: AsyncEngine,
) -> None:
    async def index_objects() -> set[str]:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE name LIKE 'article_search%'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE indexname = 'article_search'"
        async with engine.connect() as conn:
            return {name for name in (await conn.execute(text(query))).scalars()}

    made = await index_objects()
    assert made
    assert all(is_index_table(name) for name in made)

    await downgrade(engine, "0005")
    assert await index_objects() == set()

    await upgrade(engine)
    assert await index_objects() == made


async def test_upgrading_a_ledger_with_articles_fills_the_search_from_the_log(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """The migration empties the views; catching up (as ``serve`` does on start) projects
    every article again, its words and index included."""
    ledger = await ledger_with_raters(store)
    await register(ledger, "a1", title="Ärztliche Leitlinien", topics=["Back Pain"])
    await downgrade(engine, "0005")

    await upgrade(engine)
    assert await search(engine, "leitlinien") == []
    await catch_up(store, Projector())

    assert await search(engine, "ARZTLICHE") == ["a1"]
    async with engine.connect() as conn:
        page, _ = await article_page(conn, 5, POLICY, where=ArticleFilter(topic="back pain"))
    assert [hit.summary.article_id for hit in page] == ["a1"]
    assert (await verify_projections(store)).ok


async def test_a_search_and_its_total_are_answered_from_the_search_index_not_a_scan(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    await registered(store, generated_corpus())
    where = ArticleFilter(search="spine marrow")
    statement = count_query(backend_named(engine.dialect.name), POLICY, where, live_views)
    sql = str(statement.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))

    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " | ".join(
                row[-1] for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            )
            assert f"SCAN {INDEX_NAME} VIRTUAL TABLE" in plan, plan
            assert "SCAN article_views" not in plan, plan
        else:
            # On a table this small the planner would rightly scan; forbid that, and the index
            # must be able to answer.
            await conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " | ".join(row[0] for row in await conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert f"Index Scan on {INDEX_NAME}" in plan, plan
            assert "Seq Scan" not in plan, plan
