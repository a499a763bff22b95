"""Benchmarks of the ledger against raw SQL and a peer library (``python -m bench.append``)."""
