"""The search engines' index over the article view: made by the migration, kept by each
backend in the statement that writes a view row, remade by a rebuild for the tables it swaps in.

The folded words are a column of the article view (``search_text``), written by the
projector in the append's transaction like the rest of the row. The engine's index over it
is not in the tables' metadata (neither engine's index can be said in it): it is made here.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "INDEX_NAME",
    "create_index",
    "drop_index",
    "drop_statements",
    "fresh_index_drop_statements",
    "fresh_index_name",
    "fresh_index_statements",
    "index_problem",
    "index_statements",
    "is_index_table",
    "swap_statements",
]

# The engines' index: an FTS5 table on SQLite (with shadow tables named after it), a GIN
# index on PostgreSQL.
INDEX_NAME = "article_search"

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
