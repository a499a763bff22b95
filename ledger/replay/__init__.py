"""Rebuilding the read models from the whole log, and proving the live ones equal a replay.

Imports the projections, the store and the domain.
"""
