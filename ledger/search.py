"""Full-text search over the article view: one text folding, each backend's own engine.

Both backends must give the same hits, so neither engine's own notion of case, accents or
words is trusted: the text is folded once here (compatibility decomposition, marks dropped,
case folded) and cut into words here, and the engines see only those words, one
space apart. SQLite indexes them with FTS5 (tokenizer unicode61), PostgreSQL with a GIN
index over ``to_tsvector('simple', ...)``; both split such a text at its spaces only. A query
is folded and cut the same way and becomes an AND of its words, handed to each engine as
data (quoted terms, ``plainto_tsquery``), never as query syntax.

The folded words are a column of the article view (``search_text``), written by the
projector in the append's transaction like the rest of the row. The engine's index over it
is not in the tables' metadata (neither engine's index can be said in it): it is made here,
by the migration, and by a rebuild for the fresh tables it swaps in.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, cast, func, literal, literal_column, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Subquery

__all__ = [
    "INDEX_NAME",
    "MAX_WORD",
    "RANK_LIMIT",
    "can_find",
    "create_index",
    "drop_index",
    "drop_statements",
    "fold",
    "fresh_index_drop_statements",
    "fresh_index_name",
    "fresh_index_statements",
    "index_problem",
    "index_statements",
    "is_index_table",
    "ranked_hits",
    "search_text",
    "swap_statements",
    "words",
]

# The engines' index: an FTS5 table on SQLite (with shadow tables named after it), a GIN
# index on PostgreSQL.
INDEX_NAME = "article_search"
# PostgreSQL refuses to index a word of more than 2,047 bytes; longer words are left out on
# both backends alike. No real word comes near.
MAX_WORD = 200
# Rank keys are integers in [0, RANK_LIMIT): a relevance scaled to millionths, with
# exact identifier matches above every text match.
RANK_SCALE = 1_000_000
RANK_LIMIT = 2**62
EXACT_RANK = RANK_LIMIT - 1

_WORD = re.compile(r"[^\W_]+")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")  # where a mark can be: ASCII has none
# A query that is a whole DOI or PMID (ASCII digits, as those registries issue them).
_DOI = re.compile(r"10\.[0-9]{4,9}/\S{1,200}")
_PMID = re.compile(r"[1-9][0-9]{0,9}")
# The article view's text columns a search reads (its authors too, a JSON list).
_SEARCHED = ("title", "abstract", "journal", "journal_abbreviation")


def fold(text: str) -> str:
    """The one definition of "the same letters" for search: ``É``, ``é`` and ``e`` are one.
    Every mark goes (not only the accents that combine with a letter before them), so no
    script's vowel signs cut its words in two."""
    if text.isascii():
        # Nothing to decompose and no marks: most abstracts, folded at C speed (a replay
        # folds every article it registers).
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return _NOT_ASCII.sub(_without_marks, decomposed).casefold()


def _without_marks(run: re.Match[str]) -> str:
    return "".join(ch for ch in run[0] if not unicodedata.category(ch).startswith("M"))


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters and digits, in order."""
    return [word for word in _WORD.findall(fold(text)) if len(word) <= MAX_WORD]


def search_text(row: Mapping[str, Any]) -> str:
    """What the engines index of an article view row: the folded words of its title,
    abstract, journal and authors."""
    parts = [row[name] or "" for name in _SEARCHED]
    parts += json.loads(row["authors"])
    return " ".join(words("\n".join(parts)))


def _fts5_query(terms: list[str]) -> str:
    """FTS5's AND of ``terms``, each a quoted string (so nothing in it is syntax)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def can_find(query: str) -> bool:
    """Whether ``query`` has anything to look for: a word, or a DOI or PMID as a whole."""
    identifier = query.strip()
    return bool(words(query)) or bool(_DOI.fullmatch(identifier) or _PMID.fullmatch(identifier))


def ranked_hits(dialect: str, query: str, articles: Any) -> Subquery | None:
    """The articles ``query`` finds, as (``position``, ``rank_key``): the registration
    position and an integer, higher for a better hit. Every word must occur (in any order);
    a query that is exactly an article's DOI or PMID finds it above any text match. None
    when the query can find nothing (no words and no identifier)."""
    terms = list(dict.fromkeys(words(query)))
    identifier = query.strip()
    parts = []
    if terms:
        parts.append(_text_hits(dialect, terms, articles))
    exact = []
    if _DOI.fullmatch(identifier):
        exact.append(articles.c.doi == identifier)
    if _PMID.fullmatch(identifier):
        exact.append(articles.c.pmid == identifier)
    for condition in exact:
        parts.append(
            select(
                articles.c.registered_position.label("position"),
                literal(EXACT_RANK, BigInteger).label("rank_key"),
            ).where(condition)
        )
    if not parts:
        return None
    if len(parts) == 1:
        single: Subquery = parts[0].subquery("hits")
        return single
    union = parts[0].union_all(*parts[1:]).subquery("found")
    hits: Subquery = (
        select(union.c.position, func.max(union.c.rank_key).label("rank_key"))
        .group_by(union.c.position)
        .subquery("hits")
    )
    return hits


def _text_hits(dialect: str, terms: list[str], articles: Any) -> Any:
    if dialect == "postgresql":
        document = func.to_tsvector(literal_column("'simple'"), articles.c.search_text)
        wanted = func.plainto_tsquery(literal_column("'simple'"), " ".join(terms))
        # ts_rank is a real below 1 for almost every text; scaled and cut to an integer, it
        # is a key a cursor can carry exactly.
        rank = cast(func.floor(func.ts_rank(document, wanted) * RANK_SCALE), BigInteger)
        return select(
            articles.c.registered_position.label("position"),
            func.least(rank, EXACT_RANK - 1).label("rank_key"),
        ).where(document.bool_op("@@")(wanted))
    fts = table(INDEX_NAME, literal_column("rowid"))
    index: Any = literal_column(INDEX_NAME)
    # bm25 is negative, the better the lower; its negation scaled is the key (a cast to an
    # integer truncates: the floor of a positive number, with or without SQLite's optional
    # math functions). It is only defined in the FTS5 table's own matching query, so the
    # hits are a subquery.
    rank = cast(-func.bm25(index) * RANK_SCALE, BigInteger)
    return (
        select(
            literal_column("rowid").label("position"),
            func.max(func.min(rank, EXACT_RANK - 1), 0).label("rank_key"),
        )
        .select_from(fts)
        .where(index.op("MATCH")(_fts5_query(terms)))
    )


# -- the engines' index ---------------------------------------------------------------------

# Always over the live article view (``content``): a rebuild's fresh index is filled from its
# fresh rows by hand, and reads the live view only once renamed with it (``fresh_*``).
_SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE {index} USING fts5(search_text, content='article_views',"
    " content_rowid='registered_position', tokenize='unicode61 remove_diacritics 0',"
    " detail=column)"
)
# The FTS5 table follows the article view row by row, in the statement that writes the row.
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN"
    " INSERT INTO {index} (rowid, search_text)"
    " VALUES (new.registered_position, new.search_text); END",
    "CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN"
    " INSERT INTO {index} ({index}, rowid, search_text)"
    " VALUES ('delete', old.registered_position, old.search_text); END",
    "CREATE TRIGGER {index}_update AFTER UPDATE OF search_text, registered_position"
    " ON {table} WHEN old.search_text IS NOT new.search_text"
    " OR old.registered_position IS NOT new.registered_position BEGIN"
    " INSERT INTO {index} ({index}, rowid, search_text)"
    " VALUES ('delete', old.registered_position, old.search_text);"
    " INSERT INTO {index} (rowid, search_text)"
    " VALUES (new.registered_position, new.search_text); END",
)
_TRIGGER_KINDS = ("insert", "delete", "update")
_POSTGRES_INDEX = (
    "CREATE INDEX {index} ON {table} USING gin (to_tsvector('simple'::regconfig, search_text))"
)


def _sqlite_triggers(index: str, table: str) -> list[str]:
    return [trigger.format(index=index, table=table) for trigger in _SQLITE_TRIGGERS]


def _drop_sqlite_triggers(index: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {index}_{kind}" for kind in _TRIGGER_KINDS]


def index_statements(dialect: str) -> list[str]:
    """The statements making the engine's search index over the live article view and
    filling it from the view's rows (for the migration)."""
    if dialect == "postgresql":
        return [_POSTGRES_INDEX.format(index=INDEX_NAME, table="article_views")]
    return [
        _SQLITE_INDEX.format(index=INDEX_NAME),
        *_sqlite_triggers(INDEX_NAME, "article_views"),
        f"INSERT INTO {INDEX_NAME} ({INDEX_NAME}) VALUES ('rebuild')",
    ]


def drop_statements(dialect: str) -> list[str]:
    """The statements removing the search index (on SQLite, its table and triggers)."""
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {INDEX_NAME}"]
    return [*_drop_sqlite_triggers(INDEX_NAME), f"DROP TABLE IF EXISTS {INDEX_NAME}"]


# -- a rebuild's search index: made over the fresh article view, swapped in with it ---------


def fresh_index_name(suffix: str) -> str:
    return INDEX_NAME + suffix


def fresh_index_statements(dialect: str, table: str, suffix: str) -> list[str]:
    """The search index of a rebuild's fresh article view ``table``, filled from its rows
    before the swap (so the ledger head is not held for it); on SQLite, triggers keep it in
    step with the rows the rebuild still writes. To be run in one transaction."""
    index = fresh_index_name(suffix)
    if dialect == "postgresql":
        return [_POSTGRES_INDEX.format(index=index, table=table)]
    return [
        _SQLITE_INDEX.format(index=index),
        f"INSERT INTO {index} (rowid, search_text)"
        f" SELECT registered_position, search_text FROM {table}",
        *_sqlite_triggers(index, table),
    ]


def fresh_index_drop_statements(dialect: str, suffix: str) -> list[str]:
    """SQLite: removing a fresh index not swapped in (a PostgreSQL index goes with its
    table)."""
    if dialect == "postgresql":
        return []
    return [f"DROP TABLE IF EXISTS {fresh_index_name(suffix)}"]


def swap_statements(dialect: str, suffix: str) -> tuple[list[str], list[str]]:
    """What a rebuild's swap runs before it replaces the article view (the live index out
    of the way) and after (the fresh index under the live name, kept in step as the live
    one was)."""
    index = fresh_index_name(suffix)
    if dialect == "postgresql":
        return [], [f"ALTER INDEX {index} RENAME TO {INDEX_NAME}"]
    before = [*drop_statements(dialect), *_drop_sqlite_triggers(index)]
    after = [
        f"ALTER TABLE {index} RENAME TO {INDEX_NAME}",
        *_sqlite_triggers(INDEX_NAME, "article_views"),
    ]
    return before, after


async def create_index(conn: AsyncConnection) -> None:
    for statement in index_statements(conn.dialect.name):
        await conn.exec_driver_sql(statement)


async def drop_index(conn: AsyncConnection) -> None:
    for statement in drop_statements(conn.dialect.name):
        await conn.exec_driver_sql(statement)


async def index_problem(conn: AsyncConnection) -> str | None:
    """What is wrong with the live search index, or None. SQLite: FTS5's own integrity check,
    which compares the index with the article view's rows. PostgreSQL: whether the GIN index
    is there and usable (the server keeps it in step with its table)."""
    if conn.dialect.name == "postgresql":
        valid = await conn.scalar(
            text(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"
            ),
            {"name": INDEX_NAME},
        )
        if valid is None:
            return f"the search index {INDEX_NAME} is missing"
        return None if valid else f"the search index {INDEX_NAME} is not valid"
    try:
        await conn.exec_driver_sql(
            f"INSERT INTO {INDEX_NAME} ({INDEX_NAME}, rank) VALUES ('integrity-check', 1)"
        )
    except DBAPIError as error:  # the engine's message is the finding
        return str(error.orig)
    return None


def is_index_table(name: str) -> bool:
    """Whether a table is the search engine's own (SQLite's FTS5 table and its shadows),
    not one of the models'."""
    return name == INDEX_NAME or name.startswith(f"{INDEX_NAME}_")
