"""The ``evidence-ledger`` command line: one module per command group (``database``,
``data``, ``serve``, ``tokens``, ``schema_export``), assembled in ``main``.

The top of the API: imports the composition root, the settings and the ledger's public API
(use cases, audit, replay, the store's engine and migrations). Only ``database_access`` knows
SQLAlchemy (the engine it opens and the errors it reports); no command holds SQL.
"""
