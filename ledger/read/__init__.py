"""The read side: the read models as plain values, by subject, in batch forms for loaders
(articles, comments, scores, the article list, related articles, raters, the vocabulary,
moderation), time travel, and a request's snapshot reader. Everything the API reads comes
from here, so the API holds no SQL. What SQLite and PostgreSQL do differently is in
``sqlite.py`` and ``postgres.py``, chosen by ``backends.py`` alone.

Imports the projections, the store and the domain; never writes.
"""
