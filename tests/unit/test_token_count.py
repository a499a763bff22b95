"""The token pre-count never counts more tokens than graphql-core's lexer finds."""

from __future__ import annotations

from graphql import GraphQLError, Source, TokenKind
from graphql.language.lexer import Lexer
from hypothesis import given
from hypothesis import strategies as st

from graph.http.limits import count_tokens

LEXEMES = st.sampled_from(
    [
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ":",
        "=",
        "@",
        "!",
        "$",
        "&",
        "|",
        "...",
        "query",
        "article",
        "_x1",
        "first",
        "0",
        "-12",
        "3.25",
        "1e5",
        "-0.5E-3",
        '""',
        '"a b"',
        '"say \\"hi\\""',
        '"\\u00e9 # not a comment"',
        '"""block"""',
        '"""with \\""" inside and # no comment"""',
        '"""two\nlines"""',
    ]
)
IGNORED = st.sampled_from([" ", ",", "\n", "\t", "\r\n", "\ufeff", "# a comment { } \n"])


def lexer_count(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


@given(st.lists(st.tuples(LEXEMES, IGNORED), max_size=60))
def test_a_valid_documents_tokens_are_counted_exactly(pieces: list[tuple[str, str]]) -> None:
    document = "".join(lexeme + ignored for lexeme, ignored in pieces)

    assert count_tokens(document) == lexer_count(document)


@given(st.text(alphabet='{}()[]:=@!$&|."#\\\n ab1-eE_+,', max_size=200))
def test_never_more_than_the_lexer_on_any_text(document: str) -> None:
    try:
        expected = lexer_count(document)
    except GraphQLError:
        return  # the parser refuses it whatever the count
    assert count_tokens(document) <= expected
