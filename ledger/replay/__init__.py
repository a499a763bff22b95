"""Rebuilding the read models from the whole log, and proving the live ones equal a replay.

Split by job: ``rebuild`` (the entry points), ``pipeline`` (read, decode, fold, write),
``windows`` (the log read in windows, decoded by the store's decoder), ``working_set`` (what
a replay holds between windows), ``fresh`` (fresh tables, their indexes and the swap),
``verify`` (the comparison), ``partitions`` and ``processes`` (a replay on several cores),
``claims`` (which fresh tables belong to a replay still running), and what each database does
differently in ``sqlite`` and ``postgres``, picked by ``backends``.

Imports the projections, the store and the domain.
"""
