"""The indefinite article of a refusal message's words ("an editor", "a user")."""

from __future__ import annotations

__all__ = ["CONSONANT_SOUNDS", "VOWEL_SOUNDS", "takes_an", "with_article"]

# Words that begin with a vowel letter but are said with a consonant ("a user", "a UTC time",
# "a URL", "a one-line reason"), and with a consonant letter but said with a vowel ("an hour",
# "an HTTP request": initialisms spelt out letter by letter; SQL and SQLite are said "sequel"
# as often as not, so they keep "a").
CONSONANT_SOUNDS = (
    "eu", "one", "once", "unique", "unit", "union", "univers", "use", "usu", "utc", "uri", "url",
    "uuid",
)  # fmt: skip
VOWEL_SOUNDS = ("honest", "hour", "http", "mri")


def takes_an(word: str) -> bool:
    """Whether ``word`` is said beginning with a vowel sound."""
    folded = word.lower().lstrip("`'\"(")
    if folded.startswith(VOWEL_SOUNDS):
        return True
    if folded.startswith(CONSONANT_SOUNDS):
        return False
    return folded[:1] in ("a", "e", "i", "o", "u")


def with_article(words: str) -> str:
    """``words`` after the indefinite article that their first word takes."""
    return f"{'an' if takes_an(words) else 'a'} {words}"
