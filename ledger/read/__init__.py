"""The read side: the read models as plain values, in batch forms for loaders, and time travel.

Imports the projections, the store and the domain; never writes.
"""
