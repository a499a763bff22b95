"""The read models: their tables, the pure fold of events into rows, and the projector.

The projector runs in the append's transaction and again in a replay. Imports the store and the
domain.
"""
