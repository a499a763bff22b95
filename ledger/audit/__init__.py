"""What an auditor checks: the hash chain, histories with hashes, and verifiable exports.

Imports the projections, the store and the domain; never writes the log.
"""
