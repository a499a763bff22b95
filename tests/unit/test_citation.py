"""The citation line, character for character as the reference service prints it."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.citation import citation_line

SEED_TITLE = (
    "The Analgesic Efficacy of Intradiscal Injection of Bone Marrow Aspirate Concentrate and "
    "Culture-Expanded Bone Marrow Mesenchymal Stromal Cells in Discogenic Pain: "
    "A Systematic Review"
)
SEED: dict[str, Any] = {
    "title": SEED_TITLE,
    "authors": ["Her YF", "Kubrova E", "Martinez Alvarez GA", "D'Souza RS"],
    "journal": "Journal of Pain Research",
    "journal_abbreviation": "J Pain Res",
    "published_on": "2022-10-20",
    "volume": "15",
    "issue": None,
    "pages": "3299-3318",
    "doi": "10.2147/JPR.S373345",
    "publication_note": "eCollection 2022",
}
SEED_LINE = (
    "Her YF, Kubrova E, Martinez Alvarez GA, et al. The Analgesic Efficacy of Intradiscal "
    "Injection of Bone Marrow Aspirate Concentrate and Culture-Expanded Bone Marrow "
    "Mesenchymal Stromal Cells in Discogenic Pain: A Systematic Review. J Pain Res. "
    "2022 Oct 20;15:3299-3318. doi: 10.2147/JPR.S373345. eCollection 2022."
)
BARE: dict[str, Any] = {
    "title": "A Title",
    "authors": [],
    "journal": "Journal of Pain Research",
    "journal_abbreviation": None,
    "published_on": None,
    "volume": None,
    "issue": None,
    "pages": None,
    "doi": None,
    "publication_note": None,
}


def line(**overrides: Any) -> str:
    return citation_line(**{**SEED, **overrides})


def test_the_seed_article_is_cited_exactly_as_the_reference_service_shows_it() -> None:
    assert citation_line(**SEED) == SEED_LINE


@pytest.mark.parametrize(
    ("authors", "start"),
    [
        (["Her YF"], "Her YF. The Analgesic"),
        (["Her YF", "Kubrova E"], "Her YF, Kubrova E. The Analgesic"),
        (
            ["Her YF", "Kubrova E", "Martinez Alvarez GA"],
            "Her YF, Kubrova E, Martinez Alvarez GA. The Analgesic",
        ),
        (
            ["Her YF", "Kubrova E", "Martinez Alvarez GA", "D'Souza RS", "Hunt CL"],
            "Her YF, Kubrova E, Martinez Alvarez GA, et al. The Analgesic",
        ),
        ([], "The Analgesic"),
    ],
)
def test_up_to_three_authors_are_listed_and_more_become_et_al(
    authors: list[str], start: str
) -> None:
    cited = line(authors=authors)

    assert cited.startswith(start)
    assert ("et al." in cited) is (len(authors) > 3)


def test_an_issue_number_goes_in_parentheses_after_the_volume() -> None:
    assert "J Pain Res. 2022 Oct 20;15(4):3299-3318. doi:" in line(issue="4")


@pytest.mark.parametrize("title", ["Does It Work?", "It Works!", "It works.", "Does It Work? "])
def test_a_title_ending_in_punctuation_gets_no_extra_period(title: str) -> None:
    cited = line(authors=["Her YF"], title=title)

    assert cited.startswith(f"Her YF. {title.strip()} J Pain Res. ")


def test_a_title_without_final_punctuation_gets_a_period() -> None:
    assert line(authors=["Her YF"], title="It works").startswith("Her YF. It works. J Pain Res.")


def test_the_journal_name_stands_in_for_a_missing_abbreviation() -> None:
    assert " Journal of Pain Research. 2022 Oct 20;15:3299-3318." in line(journal_abbreviation=None)


@pytest.mark.parametrize(
    ("published_on", "printed"),
    [("2022-01-05", "2022 Jan 5"), ("2021-05-31", "2021 May 31"), ("2020-12-01", "2020 Dec 1")],
)
def test_the_date_is_printed_with_medline_month_abbreviations(
    published_on: str, printed: str
) -> None:
    assert f"J Pain Res. {printed};15:3299-3318." in line(published_on=published_on)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "A Title. Journal of Pain Research."),
        ({"authors": ["Smith J"]}, "Smith J. A Title. Journal of Pain Research."),
        ({"published_on": "2022-10-20"}, "A Title. Journal of Pain Research. 2022 Oct 20."),
        ({"volume": "15"}, "A Title. Journal of Pain Research. 15."),
        ({"volume": "15", "pages": "1-9"}, "A Title. Journal of Pain Research. 15:1-9."),
        ({"volume": "15", "issue": "2"}, "A Title. Journal of Pain Research. 15(2)."),
        (
            {"published_on": "2022-10-20", "issue": "2", "pages": "1-9"},
            "A Title. Journal of Pain Research. 2022 Oct 20;(2):1-9.",
        ),
        ({"doi": "10.2147/X"}, "A Title. Journal of Pain Research. doi: 10.2147/X."),
        (
            {"publication_note": "Epub 2022 Oct 1"},
            "A Title. Journal of Pain Research. Epub 2022 Oct 1.",
        ),
        (
            {"published_on": "", "volume": "", "issue": "", "pages": "", "doi": ""},
            "A Title. Journal of Pain Research.",
        ),
        (
            {"published_on": "2022-10-20", "doi": "10.2147/X", "publication_note": "eCollection"},
            "A Title. Journal of Pain Research. 2022 Oct 20. doi: 10.2147/X. eCollection.",
        ),
    ],
)
def test_missing_optional_parts_are_left_out_cleanly(
    overrides: dict[str, Any], expected: str
) -> None:
    assert citation_line(**{**BARE, **overrides}) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"published_on": "2022-10-20", "pages": "3299-3318"},
            "A Title. Journal of Pain Research. 2022 Oct 20:3299-3318.",
        ),
        ({"pages": "3299-3318"}, "A Title. Journal of Pain Research. 3299-3318."),
    ],
)
def test_pages_without_a_volume_or_issue_leave_no_dangling_separator(
    overrides: dict[str, Any], expected: str
) -> None:
    # Citing Medicine: with no volume or issue, the pages follow the date after a colon.
    assert citation_line(**{**BARE, **overrides}) == expected
