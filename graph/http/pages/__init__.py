"""Known pages answered without the general executor: the article page and the reader's
unfiltered list page, each read in one statement and written as the executor would write
it. Any other document, and any request the fast path could not answer with plain data,
goes to the general executor."""

from graph.http.pages.answer import (
    answer_known_operation,
    answer_known_page,
    is_known_page,
    known_pages_of,
)
from graph.http.pages.encoding import encode_answer

__all__ = [
    "answer_known_operation",
    "answer_known_page",
    "encode_answer",
    "is_known_page",
    "known_pages_of",
]
