"""Which media type a response is given, from the request's Accept header.

``application/graphql-response+json`` when the client asks for it, ``application/json``
otherwise (also for ``*/*`` and no Accept at all); None (406) when it accepts neither.
"""

from __future__ import annotations

__all__ = ["GRAPHQL_RESPONSE", "JSON", "accepts_html", "negotiate"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither of ours.

    A type named outright wins over a wildcard; among types named outright with the same
    quality the newer one wins; a bare wildcard gets the one every client understands.
    """
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int, int, str] | None = None
    for preference, media in enumerate((JSON, GRAPHQL_RESPONSE)):
        kind = media.split("/")[0]
        matches = [
            (quality, specificity)
            for range_, quality in _accept_ranges(accept)
            for candidate, specificity in ((media, 2), (f"{kind}/*", 1), ("*/*", 0))
            if range_ == candidate
        ]
        if not matches:
            continue
        quality, specificity = max(matches, key=lambda match: (match[1], match[0]))
        if quality <= 0:
            continue
        key = (quality, specificity, preference if specificity == 2 else -preference, media)
        if best is None or key > best:
            best = key
    return best[3] if best else None


def accepts_html(accept: str | None) -> bool:
    """Whether ``accept`` names HTML outright with a quality above 0 (a browser's visit; a
    wildcard alone is any client's)."""
    return accept is not None and any(
        range_ == "text/html" and quality > 0 for range_, quality in _accept_ranges(accept)
    )
