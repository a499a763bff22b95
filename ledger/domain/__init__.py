"""The domain: events, refusals, commands, and the rules of articles (their citation,
ratings, comments and vocabulary), raters and scores.

Decides and folds without I/O: every module here imports only the standard library and this
package, so the rules run (and are tested) without a database.
"""
