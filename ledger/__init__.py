"""evidence-ledger's core: an append-only, hash-chained event ledger and its domain.

One subpackage per layer; each says in its docstring what it owns and what it may import:

- ``ledger.domain``: events, refusals, the rules of articles, raters and scores (no I/O).
- ``ledger.store``: the event store, its records and canonical bytes, one module per backend.
- ``ledger.projections``: the read models' tables, the fold and the projector.
- ``ledger.replay``: rebuilding the read models from the log, and proving them equal.
- ``ledger.read``: the read models as plain values, in batch forms for loaders.
- ``ledger.audit``: the hash chain, histories and verifiable exports.
- ``ledger.use_cases``: what callers ask of the ledger, each an append and its projection.

Imports nothing from the API layer. Nothing is imported here, so that loading the pure domain
loads no database library.
"""
