"""The items of the reference record (tests/fixtures), as the reader's page must show them."""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).parent.parent / "fixtures" / "seed_e7d05feceeac5a68.txt"
# The reference service names its own subscriber community; this service has plain subscribers.
REFERENCE_ONLY_WORDS = "PAIN+ CPN "


def seed_items() -> list[str]:
    """Every line of the record, a line of topics cut into its topics, whitespace folded."""
    items: list[str] = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.replace(REFERENCE_ONLY_WORDS, "")
        if not line.strip():
            continue
        # Topics are laid out side by side, separated by runs of spaces.
        items += [folded(part) for part in re.split(r"\s{2,}", line.strip())]
    return items


def folded(text: str) -> str:
    return " ".join(text.split())
