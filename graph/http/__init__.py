"""GraphQL over HTTP: the view, authentication, request logging, limits and the guards
that refuse a document before it runs, and the schema as served with them.

Imports the schema and the ledger.
"""
