"""GraphQL over HTTP: the view (``view``) with its media types, CSRF prevention and refusals,
authentication, request logging, the body limit, the document limits (``limits``) and cost
(``cost``), the guards that refuse an operation before it runs, the schema as served with
them, read-your-writes by ``Ledger-Position`` (``read_your_writes``), and uvicorn's
request-head deadline.

Imports the schema, the settings and the ledger.
"""
