"""The read side: the read models as plain values, by subject, in batch forms for loaders
(articles, comments, scores, the article list, related articles, raters, the vocabulary,
moderation), time travel, a request's snapshot reader, and what changed since a position
(``changes``) with a replica's progress (``replica``). Everything the API reads comes from
here, so the API holds no SQL. What SQLite and PostgreSQL do differently is in ``sqlite.py``
and ``postgres.py``, chosen by ``backends.py``; how each learns of new positions is in
``data_version.py`` and ``listened.py``, chosen by ``learn.py``.

Imports the projections, the store and the domain; never writes.
"""
