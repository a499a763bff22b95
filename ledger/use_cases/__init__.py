"""What callers ask of the ledger: each command (``ledger.domain.commands``) decided,
appended and projected in one transaction by the one runner, plus importing, the sample data
and API tokens.

The top of the ledger: imports every other layer, and nothing imports it but the API.
"""
