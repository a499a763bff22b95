"""GraphiQL runs from the package: it loads and answers with no request leaving the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Route, expect

from tests.browser.conftest import Reader


def test_graphiql_runs_the_article_page_query_without_any_other_host(
    page: Page, shared_reader: Reader
) -> None:
    server = urlsplit(shared_reader.server.base_url).netloc
    elsewhere: list[str] = []
    refused_by_policy: list[str] = []

    def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    def policy_violations(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused_by_policy.append(message.text)

    page.route("**/*", only_the_server)
    page.on("console", policy_violations)
    page.goto(shared_reader.url("/graphql"))

    editor = page.locator(".graphiql-query-editor")
    expect(editor).to_contain_text("query ArticlePage($id: ID!)")
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()

    result = page.locator(".result-window")
    expect(result).to_contain_text('"studyType": "Systematic review"')
    expect(result).to_contain_text("Her YF, Kubrova E, Martinez Alvarez GA")
    assert elsewhere == []
    assert refused_by_policy == []


def test_the_headers_editor_carries_a_bearer_token(page: Page, shared_reader: Reader) -> None:
    token = shared_reader.token("rater", "--rater", "sample-physician-4")
    page.goto(shared_reader.url("/graphql"))
    expect(page.locator(".graphiql-query-editor")).to_contain_text("query ArticlePage")

    page.locator(".graphiql-query-editor .CodeMirror").click()
    page.keyboard.press("Control+a")
    page.keyboard.type("{ me { role } ")
    page.get_by_text("Headers", exact=True).click()
    headers = page.locator(".graphiql-editor-tool .CodeMirror").last
    headers.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(f'{{"Authorization": "Bearer {token}"')
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()

    expect(page.locator(".result-window")).to_contain_text('"role": "rater"')
