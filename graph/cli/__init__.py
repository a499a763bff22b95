"""The ``evidence-ledger`` command line.

The top of the API: imports the composition root and the ledger.
"""
