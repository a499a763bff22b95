"""The GraphQL schema: types, inputs, queries, mutations, the audit part, and the
per-request context with its loaders.

Resolvers are thin: they translate GraphQL to the ledger's use cases and reads and back.
Imports the ledger and the settings; never the HTTP layer.
"""
