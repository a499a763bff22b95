"""The read models: their tables, the pure fold of events into rows, the projector, and what
each database does differently (``sqlite.py``, ``postgres.py``: the bulk writers and the search
index's statements, picked by ``backends.py``).

The projector runs in the append's transaction and again in a replay. Imports the store and the
domain.
"""
