"""Whole pages read in one statement on the driver itself: the article page, with no
SQLAlchemy expression built and no transaction begun around it (a single statement reads
one snapshot by itself). The rows are turned into the read side's own values by the same
functions the loaders use (``view_of``), so a page read here equals one read piece by piece.
"""

from ledger.read.pages.article_page import ArticlePageRead, read_article_page

__all__ = ["ArticlePageRead", "read_article_page"]
