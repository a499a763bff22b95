"""Origins as a deployment names them, written as a browser sends them in ``Origin``."""

from __future__ import annotations

import pytest

from graph.web.cors import parse_origin


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://reader.example.org", "https://reader.example.org"),
        ("https://reader.example.org/", "https://reader.example.org"),
        (" HTTPS://Reader.Example.ORG ", "https://reader.example.org"),
        ("https://reader.example.org:443", "https://reader.example.org"),
        ("http://reader.example.org:80/", "http://reader.example.org"),
        ("http://reader.example.org:443", "http://reader.example.org:443"),
        ("https://reader.example.org:8443", "https://reader.example.org:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[::1]:80", "http://[::1]"),
    ],
)
def test_an_origin_is_written_as_a_browser_sends_it(given: str, origin: str) -> None:
    assert parse_origin(given) == origin


@pytest.mark.parametrize(
    "given",
    [
        "*",
        "null",
        "reader.example.org",
        "ftp://reader.example.org",
        "https://",
        "https://reader.example.org/app",
        "https://reader.example.org?x=1",
        "https://reader.example.org#top",
        "https://user@reader.example.org",
        "https://:pw@reader.example.org",
        "https://user:pw@reader.example.org",
        "https://reader.example.org:abc",
        "https://reader.example.org:99999",
        "https://reader.example.org:0",
        "https://reader.example.org:-1",
    ],
)
def test_what_no_browser_would_send_as_an_origin_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        parse_origin(given)
