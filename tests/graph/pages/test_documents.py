"""The fast path knows the article page as the README, the reader's page and GraphiQL send it."""

from __future__ import annotations

import re
from pathlib import Path

from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE, document_key

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_and_the_readers_page_send_the_known_article_page() -> None:
    readme = (ROOT / "README.md").read_text()
    [in_readme] = re.findall(r"```graphql\n(query ArticlePage.*?)```", readme, flags=re.DOTALL)
    script = (ROOT / "graph/web/reader/reader.js").read_text()
    [in_script] = re.findall(r"const ARTICLE_PAGE = `(.*?)`;", script, flags=re.DOTALL)
    assert document_key(in_readme) == document_key(ARTICLE_PAGE)
    assert document_key(in_script) == document_key(ARTICLE_PAGE)
    [list_in_script] = re.findall(r"const ARTICLE_LIST = `(.*?)`;", script, flags=re.DOTALL)
    assert document_key(list_in_script) == document_key(ARTICLE_LIST)


def test_the_known_documents_hold_no_string_or_comment() -> None:
    # Where white space matters, making its runs one space could make two documents one.
    for document in (ARTICLE_PAGE, ARTICLE_LIST):
        assert '"' not in document
        assert "#" not in document


def test_a_document_that_differs_by_more_than_white_space_is_another() -> None:
    assert document_key(ARTICLE_PAGE.replace("{ name }", "{\n    name\n  }")) == document_key(
        ARTICLE_PAGE
    )
    assert document_key(ARTICLE_PAGE.replace("version", "v: version")) != document_key(ARTICLE_PAGE)
