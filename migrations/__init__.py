"""Alembic migrations of the ledger's schema (``target_metadata`` is
``ledger.projections.tables.metadata``)."""
