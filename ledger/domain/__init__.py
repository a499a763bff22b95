"""The domain: events, refusals, and the rules of articles, raters and scores.

Decides and folds without I/O: every module here imports only the standard library and this
package, so the rules run (and are tested) without a database.
"""
