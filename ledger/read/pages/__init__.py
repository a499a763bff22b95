"""Whole pages read in one statement on the driver itself (the article page, the article
list's unfiltered page; ``DriverReads``, on PostgreSQL connections of their own), with no
SQLAlchemy expression built and no transaction begun around it (a single statement reads
one snapshot by itself). The rows are turned into the read side's own values by the same
functions the loaders use (``view_of``, ``scores_of``), so a page read here equals one read
piece by piece.
"""

from ledger.read.pages.article_page import ArticlePageRead, read_article_page
from ledger.read.pages.driver import DriverReads
from ledger.read.pages.list_page import ListedArticle, ListPageRead, read_list_page

__all__ = [
    "ArticlePageRead",
    "DriverReads",
    "ListPageRead",
    "ListedArticle",
    "read_article_page",
    "read_list_page",
]
