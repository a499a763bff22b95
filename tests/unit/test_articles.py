"""The article stream, given past events, when a command is decided, then events or an error.

Pure: every state is folded from events with ``articles.fold``; nothing touches a database.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain import articles, commands, comments, ratings
from ledger.domain.articles import ActiveRating
from ledger.domain.errors import (
    AlreadyExists,
    AlreadyRetracted,
    ArticleIsRetracted,
    NotFound,
    ValidationFailed,
)
from ledger.domain.events import (
    ArticleCorrected,
    ArticleRegistered,
    ArticleRetracted,
    ArticleTopicsChanged,
    CommentHidden,
    CommentPosted,
    CommentRestored,
    DomainEvent,
    RaterEnrolled,
    RatingRevised,
    RatingWithdrawn,
)
from tests.unit.article_events import (
    ARTICLE_ID,
    CITATION,
    NURSE,
    PHYSICIAN,
    POSTED,
    TITLE,
    TOPICS,
    register,
    registered,
    state,
    submitted,
)

# -- registration -------------------------------------------------------------------------


def test_registering_a_new_article_records_its_checked_citation_and_topics() -> None:
    events = register(
        {**CITATION, "title": f"  {TITLE}\n"}, [" Back Pain ", "Chronic Low Back Pain"]
    )

    assert events == [registered()]


def test_optional_citation_fields_may_be_left_out() -> None:
    required = {k: CITATION[k] for k in ("title", "journal", "study_type", "abstract")}

    events = register(required, [])

    assert events == [
        ArticleRegistered(
            article_id=ARTICLE_ID,
            title=TITLE,
            authors=(),
            journal="Journal of Pain Research",
            journal_abbreviation=None,
            published_on=None,
            volume=None,
            issue=None,
            pages=None,
            doi=None,
            pmid=None,
            publication_note=None,
            study_type="Systematic review",
            abstract=CITATION["abstract"],
            topics=(),
        )
    ]


def test_blank_optional_text_fields_are_stored_as_none() -> None:
    events = register({**CITATION, "doi": "   ", "pmid": "", "volume": " ", "issue": "\t"})

    assert events == [registered(doi=None, pmid=None, volume=None, issue=None)]


def test_a_64_character_article_id_is_accepted() -> None:
    article_id = "a" * 64

    [event] = articles.decide_register(None, article_id, CITATION, TOPICS)

    assert isinstance(event, ArticleRegistered)
    assert event.article_id == article_id


def test_registering_an_article_twice_is_refused() -> None:
    given = state(registered())

    with pytest.raises(AlreadyExists) as refused:
        articles.decide_register(given, ARTICLE_ID, CITATION, TOPICS)

    assert refused.value.kind == "article"
    assert refused.value.identifier == ARTICLE_ID


@pytest.mark.parametrize("article_id", ["", "-a1", ".a1", "a 1", "a/1", "a:1", "é1", "a" * 65, 7])
def test_a_malformed_article_id_is_refused(article_id: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        articles.decide_register(None, article_id, CITATION, TOPICS)

    assert refused.value.field == "article_id"


def test_a_malformed_article_id_is_refused_before_looking_for_a_duplicate() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_register(given, "bad id", CITATION, TOPICS)

    assert refused.value.field == "article_id"


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("title", "", "title"),
        ("title", "   \n", "title"),
        ("title", None, "title"),
        ("title", 42, "title"),
        ("title", "T" * 1001, "title"),
        ("journal", "", "journal"),
        ("journal", None, "journal"),
        ("study_type", " ", "study_type"),
        ("abstract", "", "abstract"),
        ("journal_abbreviation", "J" * 101, "journal_abbreviation"),
        ("volume", "1" * 51, "volume"),
        ("issue", "1" * 51, "issue"),
        ("pages", "1" * 51, "pages"),
        ("publication_note", "n" * 301, "publication_note"),
        ("doi", "10.2147", "doi"),
        ("doi", "doi:10.2147/JPR.S373345", "doi"),
        ("doi", "https://doi.org/10.2147/JPR.S373345", "doi"),
        ("doi", "10.214/JPR.S373345", "doi"),
        ("doi", "10.2147/JPR S373345", "doi"),
        ("doi", "11.2147/JPR.S373345", "doi"),
        ("pmid", "0123", "pmid"),
        ("pmid", "12a", "pmid"),
        ("pmid", "-12", "pmid"),
        ("pmid", "12345678901", "pmid"),
        # Digits of other scripts: no registry issues them, and search would never match them.
        ("pmid", "1\u0662\u0663", "pmid"),
        ("pmid", "\uff11\uff12\uff13", "pmid"),
        ("doi", "10.\u0662\u0661\u0664\u0667/JPR.S373345", "doi"),
        ("published_on", "2022-13-01", "published_on"),
        ("published_on", "2022-02-30", "published_on"),
        ("published_on", "20 Oct 2022", "published_on"),
        ("published_on", "2022-10-20T10:00", "published_on"),
        ("authors", "Her YF", "authors"),
        ("authors", ["Her YF", " "], "authors"),
        ("authors", ["A" * 301], "authors"),
        ("authors", ["Her YF", 3], "authors"),
    ],
)
def test_every_citation_field_is_validated_and_the_error_names_it(
    name: str, value: Any, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        register({**CITATION, name: value})

    assert refused.value.field == field


def test_an_unknown_citation_field_is_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as refused:
        register({**CITATION, "impact_factor": 3.2})

    assert refused.value.field == "impact_factor"


def test_two_authors_with_the_same_name_may_both_be_listed() -> None:
    # Homonymous co-authors ("Wang Y, Wang Y") are common in real author lists.
    authors = ["Wang Y", "Li J", "Wang Y"]

    events = register({**CITATION, "authors": authors})

    assert events == [registered(authors=tuple(authors))]


@pytest.mark.parametrize(
    "topics",
    [
        ["Back Pain", "back pain"],
        ["Back Pain", "BACK PAIN "],
        ["Back Pain", ""],
        ["T" * 101],
        "Back Pain",
        None,
        [f"Topic {n}" for n in range(31)],
    ],
)
def test_bad_topics_are_refused(topics: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        register(CITATION, topics)

    assert refused.value.field == "topics"


def test_thirty_topics_are_accepted() -> None:
    topics = [f"Topic {n}" for n in range(30)]

    events = register(CITATION, topics)

    assert events == [registered(topics=tuple(topics))]


# -- corrections --------------------------------------------------------------------------


def test_a_correction_carries_only_the_fields_that_change() -> None:
    given = state(registered())

    events = articles.decide_correct(
        given,
        ARTICLE_ID,
        {"title": TITLE, "volume": "16", "pages": "1-20", "doi": CITATION["doi"]},
        "  Volume and pages were misprinted ",
    )

    assert events == [
        ArticleCorrected(
            article_id=ARTICLE_ID,
            changes=(("pages", "1-20"), ("volume", "16")),
            reason="Volume and pages were misprinted",
        )
    ]


def test_a_corrected_value_is_checked_and_normalised_like_a_registered_one() -> None:
    given = state(registered())

    events = articles.decide_correct(
        given, ARTICLE_ID, {"authors": ["Her YF", " Kubrova E "], "doi": " "}, "fix"
    )

    assert events == [
        ArticleCorrected(
            article_id=ARTICLE_ID,
            changes=(("authors", ("Her YF", "Kubrova E")), ("doi", None)),
            reason="fix",
        )
    ]


def test_a_correction_shows_in_the_folded_citation() -> None:
    correction = ArticleCorrected(ARTICLE_ID, (("volume", "16"),), "misprint")

    article = state(registered(), correction)

    assert article is not None
    assert article.citation["volume"] == "16"
    assert article.citation["title"] == TITLE
    assert article.version == 2


def test_a_correction_that_changes_nothing_is_refused() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_correct(given, ARTICLE_ID, {"title": TITLE, "volume": "15"}, "no-op")

    assert refused.value.field == "changes"


def test_a_correction_that_only_adds_surrounding_whitespace_changes_nothing() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_correct(given, ARTICLE_ID, {"title": f"  {TITLE}  "}, "spaces")

    assert refused.value.field == "changes"


def test_a_correction_naming_no_field_is_refused() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_correct(given, ARTICLE_ID, {}, "nothing")

    assert refused.value.field == "changes"


def test_a_correction_of_an_unknown_field_is_refused_by_name() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_correct(given, ARTICLE_ID, {"volume": "16", "colour": "red"}, "why")

    assert refused.value.field == "colour"


def test_a_correction_to_an_invalid_value_is_refused() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_correct(given, ARTICLE_ID, {"pmid": "PMC123"}, "wrong id")

    assert refused.value.field == "pmid"


@pytest.mark.parametrize("reason", ["", "   ", None, "r" * 1001])
def test_a_correction_needs_a_reason(reason: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_correct(given, ARTICLE_ID, {"volume": "16"}, reason)

    assert refused.value.field == "reason"


def test_correcting_an_unknown_article_is_refused() -> None:
    with pytest.raises(NotFound) as refused:
        articles.decide_correct(None, "nope", {"volume": "16"}, "why")

    assert refused.value.kind == "article"
    assert refused.value.identifier == "nope"


# -- topics -------------------------------------------------------------------------------


def test_changing_topics_records_the_new_checked_topics() -> None:
    given = state(registered())

    events = articles.decide_change_topics(given, ARTICLE_ID, ["Back Pain", " Spine "])

    assert events == [ArticleTopicsChanged(ARTICLE_ID, ("Back Pain", "Spine"))]
    article = state(registered(), *events)
    assert article is not None
    assert article.topics == ("Back Pain", "Spine")


@pytest.mark.parametrize("topics", [TOPICS, [" Back Pain", "Chronic Low Back Pain "]])
def test_changing_topics_to_the_same_topics_is_refused(topics: list[str]) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_change_topics(given, ARTICLE_ID, topics)

    assert refused.value.field == "topics"


def test_reordering_topics_is_a_change() -> None:
    given = state(registered())

    events = articles.decide_change_topics(given, ARTICLE_ID, list(reversed(TOPICS)))

    assert events == [ArticleTopicsChanged(ARTICLE_ID, tuple(reversed(TOPICS)))]


def test_changing_to_duplicate_topics_is_refused() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_change_topics(given, ARTICLE_ID, ["Spine", "spine"])

    assert refused.value.field == "topics"


def test_changing_topics_of_an_unknown_article_is_refused() -> None:
    with pytest.raises(NotFound):
        articles.decide_change_topics(None, ARTICLE_ID, ["Spine"])


# -- retraction ---------------------------------------------------------------------------


def test_retracting_an_article_records_the_reason() -> None:
    given = state(registered())

    events = articles.decide_retract(given, ARTICLE_ID, " Data fabricated ")

    assert events == [ArticleRetracted(ARTICLE_ID, "Data fabricated")]


def test_retracting_twice_is_refused() -> None:
    given = state(registered(), ArticleRetracted(ARTICLE_ID, "fabricated"))

    with pytest.raises(AlreadyRetracted) as refused:
        articles.decide_retract(given, ARTICLE_ID, "again")

    assert refused.value.article_id == ARTICLE_ID


@pytest.mark.parametrize("reason", ["", " \n ", None])
def test_a_retraction_needs_a_reason(reason: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        articles.decide_retract(given, ARTICLE_ID, reason)

    assert refused.value.field == "reason"


def test_retracting_an_unknown_article_is_refused() -> None:
    with pytest.raises(NotFound):
        articles.decide_retract(None, ARTICLE_ID, "fabricated")


def test_a_retracted_article_keeps_its_ratings_in_the_folded_state() -> None:
    article = state(
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5, "useful"),
        ArticleRetracted(ARTICLE_ID, "fabricated"),
    )

    assert article is not None
    assert article.retracted is True
    assert article.ratings == {"r1": ActiveRating("a1.r2", "r1", "Physician", 6, 5, "useful")}


def test_a_retracted_article_takes_no_new_ratings() -> None:
    given = state(registered(), ArticleRetracted(ARTICLE_ID, "fabricated"))

    with pytest.raises(ArticleIsRetracted) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert refused.value.article_id == ARTICLE_ID


RETRACTED_AFTER_A_RATING = (
    registered(),
    submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."),
    ArticleRetracted(ARTICLE_ID, "fabricated"),
)


@pytest.mark.parametrize(
    "change",
    [
        lambda given: ratings.decide_submit_rating(given, ARTICLE_ID, NURSE, 6, 5, None),
        lambda given: ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 3, 5, "No."),
        lambda given: ratings.decide_revise_rating(
            given, ARTICLE_ID, PHYSICIAN, 3, 5, commands.UNCHANGED
        ),
        lambda given: ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN),
        lambda given: comments.decide_post_comment(given, ARTICLE_ID, "s1", "Good it was pulled."),
    ],
    ids=["submit", "revise", "revise-keeping-the-comment", "withdraw", "comment"],
)
def test_a_retracted_articles_ratings_and_comments_can_no_longer_change(change: Any) -> None:
    given = state(*RETRACTED_AFTER_A_RATING)

    with pytest.raises(ArticleIsRetracted) as refused:
        change(given)

    assert refused.value.article_id == ARTICLE_ID


def test_a_retracted_articles_comments_may_still_be_moderated() -> None:
    past = (
        registered(),
        CommentPosted(ARTICLE_ID, "a1.c2", "s1", "Spam."),
        ArticleRetracted(ARTICLE_ID, "fabricated"),
    )

    hidden = comments.decide_hide_comment(state(*past), ARTICLE_ID, "a1.c2", "spam")
    restored = comments.decide_restore_comment(
        state(*past, *hidden), ARTICLE_ID, "a1.c2", "not spam after all"
    )

    assert hidden == [CommentHidden(ARTICLE_ID, "a1.c2", "spam")]
    assert restored == [CommentRestored(ARTICLE_ID, "a1.c2", "not spam after all")]


def test_a_retracted_article_may_still_be_corrected() -> None:
    given = state(registered(), ArticleRetracted(ARTICLE_ID, "fabricated"))

    events = articles.decide_correct(given, ARTICLE_ID, {"volume": "16"}, "misprint")

    assert events == [ArticleCorrected(ARTICLE_ID, (("volume", "16"),), "misprint")]


# -- folding ------------------------------------------------------------------------------

HISTORY: list[DomainEvent] = [
    registered(),
    ArticleCorrected(ARTICLE_ID, (("volume", "16"),), "misprint"),
    ArticleTopicsChanged(ARTICLE_ID, ("Spine",)),
    submitted(PHYSICIAN, "a1.r4", 6, 5),
    RatingRevised(ARTICLE_ID, "a1.r4", "r1", "Physician", 5, 5, None),
    POSTED,
    CommentHidden(ARTICLE_ID, "a1.c2", "Spam"),
    CommentRestored(ARTICLE_ID, "a1.c2", "ok"),
    RatingWithdrawn(ARTICLE_ID, "a1.r4", "r1", "Physician"),
    ArticleRetracted(ARTICLE_ID, "fabricated"),
]


@pytest.mark.parametrize("length", range(1, len(HISTORY) + 1))
def test_the_version_is_the_number_of_events_folded(length: int) -> None:
    article = state(*HISTORY[:length])

    assert article is not None
    assert article.version == length


def test_folding_no_events_gives_no_article() -> None:
    assert articles.fold([]) is None


def test_the_article_stream_holds_no_foreign_events() -> None:
    with pytest.raises(TypeError):
        articles.evolve(state(registered()), RaterEnrolled("r1", "p1", "Physician"))


def test_the_article_stream_id_names_the_article() -> None:
    assert articles.stream_id(ARTICLE_ID) == "article:a1"
