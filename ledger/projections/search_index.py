"""The search engines' index over the article view: made by the migration, kept by each
backend in the statement that writes a view row, remade by a rebuild for the tables it swaps in.

The folded words are a column of the article view (``search_text``), written by the
projector in the append's transaction like the rest of the row. The engine's index over it
is not in the tables' metadata (neither engine's index can be said in it): each backend's
statements for it are in its module (``sqlite.py``: the FTS5 table and its triggers;
``postgres.py``: a GIN index), chosen here by the dialect's name.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.backends import view_backend

__all__ = [
    "INDEX_NAME",
    "drop_statements",
    "fresh_index_drop_statements",
    "fresh_index_name",
    "fresh_index_statements",
    "index_problem",
    "index_statements",
    "is_index_table",
    "swap_statements",
]

# The engines' index: the FTS5 table on SQLite (with shadow tables named after it), a GIN
# index on PostgreSQL.
INDEX_NAME = "article_search"
_ARTICLE_VIEW = "article_views"


def index_statements(dialect: str) -> list[str]:
    """The statements making the engine's search index over the live article view and
    filling it from the view's rows (for the migration)."""
    return view_backend(dialect).search_index_statements(INDEX_NAME, _ARTICLE_VIEW)


def drop_statements(dialect: str) -> list[str]:
    """The statements removing the search index (on SQLite, its table and triggers)."""
    return view_backend(dialect).search_index_drop_statements(INDEX_NAME)


# -- a rebuild's search index: made over the fresh article view, swapped in with it ---------


def fresh_index_name(suffix: str) -> str:
    return INDEX_NAME + suffix


def fresh_index_statements(dialect: str, table: str, suffix: str) -> list[str]:
    """The search index of a rebuild's fresh article view ``table``, filled from its rows
    before the swap (so the ledger head is not held for it); kept in step with the rows the
    rebuild still writes. To be run in one transaction."""
    return view_backend(dialect).fresh_search_index_statements(fresh_index_name(suffix), table)


def fresh_index_drop_statements(dialect: str, suffix: str) -> list[str]:
    """Removing a fresh index not swapped in (on PostgreSQL, nothing: it goes with its
    table)."""
    return view_backend(dialect).fresh_search_index_drop_statements(fresh_index_name(suffix))


def swap_statements(dialect: str, suffix: str) -> tuple[list[str], list[str]]:
    """What a rebuild's swap runs before it replaces the article view (the live index out
    of the way) and after (the fresh index under the live name, kept in step as the live
    one was)."""
    return view_backend(dialect).search_index_swap_statements(
        fresh_index_name(suffix), INDEX_NAME, _ARTICLE_VIEW
    )


async def index_problem(conn: AsyncConnection) -> str | None:
    """What is wrong with the live search index, or None. SQLite: FTS5's own integrity check,
    which compares the index with the article view's rows. PostgreSQL: whether the GIN index
    is there and usable (the server keeps it in step with its table)."""
    return await view_backend(conn.dialect.name).search_index_problem(conn, INDEX_NAME)


def is_index_table(name: str) -> bool:
    """Whether a table is the search engine's own (SQLite's FTS5 table and its shadows),
    not one of the models'."""
    return name == INDEX_NAME or name.startswith(f"{INDEX_NAME}_")
