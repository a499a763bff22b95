"""Text fields: trimmed, bounded, and never holding a NUL character."""

from __future__ import annotations

import pytest

from ledger.domain.errors import ValidationFailed
from ledger.domain.validation import check_comment, check_text


@pytest.mark.parametrize("text", ["a\x00b", "\x00", "  trailing\x00  "])
def test_text_with_a_nul_character_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_text("title", text, limit=100)

    assert refused.value.field == "title"
    assert "NUL" in str(refused.value)


def test_a_comment_with_a_nul_character_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_comment("body", "fine until\x00here")


def test_ordinary_text_is_trimmed_and_kept() -> None:
    assert check_text("title", "  A title \\u0000 as text ", limit=100) == "A title \\u0000 as text"
