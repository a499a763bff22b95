"""The GraphQL schema: the article and caller types (with scores, comments and the vocabulary
in modules of their own), inputs, queries, mutations, the audit part, and the per-request
context with its loaders. Resolvers take ``Info[Context, None]``.

Resolvers are thin: they translate GraphQL to the ledger's use cases and reads and back.
Imports the ledger and the settings; never the HTTP layer, and no SQL: what it reads comes
from ``ledger.read`` (an import-linter contract forbids SQLAlchemy and the tables here).
"""
