"""The outside of evidence-ledger: the command line (and, later, the GraphQL API)."""
