"""The article stream, given past events, when a command is decided, then events or an error.

Pure: every state is folded from events with ``articles.fold``; nothing touches a database.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain import articles, commands, comments, ratings, vocabulary
from ledger.domain.articles import ActiveRating, Article, Comment, Rater
from ledger.domain.errors import (
    AlreadyExists,
    AlreadyRetracted,
    ArticleIsRetracted,
    DuplicateRating,
    NoActiveRating,
    NotFound,
    ValidationFailed,
    WrongCommentState,
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
    RatingSubmitted,
    RatingWithdrawn,
    StudyTypeRegistered,
)

ARTICLE_ID = "a1"
TITLE = (
    "The Analgesic Efficacy of Intradiscal Injection of Bone Marrow Aspirate Concentrate and "
    "Culture-Expanded Bone Marrow Mesenchymal Stromal Cells in Discogenic Pain: "
    "A Systematic Review"
)
CITATION: dict[str, Any] = {
    "title": TITLE,
    "authors": ["Her YF", "Kubrova E", "Martinez Alvarez GA", "D'Souza RS"],
    "journal": "Journal of Pain Research",
    "journal_abbreviation": "J Pain Res",
    "published_on": "2022-10-20",
    "volume": "15",
    "issue": None,
    "pages": "3299-3318",
    "doi": "10.2147/JPR.S373345",
    "pmid": "36324864",
    "publication_note": "eCollection 2022",
    "study_type": "Systematic review",
    "abstract": "Pain originating from the intervertebral disc is a prevalent manifestation.",
}
TOPICS = ["Back Pain", "Chronic Low Back Pain"]

PHYSICIAN = Rater("r1", "Physician")
NURSE = Rater("r2", "Nurse")


def registered(**overrides: Any) -> ArticleRegistered:
    fields: dict[str, Any] = {
        **CITATION,
        "authors": tuple(CITATION["authors"]),
        "topics": tuple(TOPICS),
        **overrides,
    }
    return ArticleRegistered(article_id=ARTICLE_ID, **fields)


def submitted(
    rater: Rater, rating_id: str, relevance: int, newsworthiness: int, comment: str | None = None
) -> RatingSubmitted:
    return RatingSubmitted(
        ARTICLE_ID, rating_id, rater.rater_id, rater.discipline, relevance, newsworthiness, comment
    )


def state(*events: DomainEvent) -> Article | None:
    return articles.fold(list(events))


def register(citation: dict[str, Any], topics: object = TOPICS) -> list[DomainEvent]:
    return articles.decide_register(None, ARTICLE_ID, citation, topics)


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
        lambda given: ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 2, 5, "No."),
        lambda given: ratings.decide_revise_rating(
            given, ARTICLE_ID, PHYSICIAN, 2, 5, commands.UNCHANGED
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


# -- ratings ------------------------------------------------------------------------------


def test_submitting_a_rating_records_it_in_the_raters_discipline() -> None:
    given = state(registered())

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, "Interesting.")

    assert events == [submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting.")]


def test_the_discipline_of_a_rating_comes_from_the_rater_passed_in() -> None:
    given = state(registered())

    [event] = ratings.decide_submit_rating(given, ARTICLE_ID, Rater("r1", "Nurse"), 4, 4, None)

    assert isinstance(event, RatingSubmitted)
    assert event.discipline == "Nurse"


@pytest.mark.parametrize("score", [1, 7])
def test_the_ends_of_the_seven_point_scales_are_accepted(score: int) -> None:
    given = state(registered())

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, score, score, None)

    assert events == [submitted(PHYSICIAN, "a1.r2", score, score)]


BAD_SCORES = [0, 8, -1, 3.5, 5.0, "5", True, False, None]


@pytest.mark.parametrize("score", BAD_SCORES)
def test_a_relevance_outside_whole_numbers_1_to_7_is_refused(score: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, score, 5, None)

    assert refused.value.field == "relevance"


@pytest.mark.parametrize("score", BAD_SCORES)
def test_a_newsworthiness_outside_whole_numbers_1_to_7_is_refused(score: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 5, score, None)

    assert refused.value.field == "newsworthiness"


@pytest.mark.parametrize("score", BAD_SCORES)
def test_a_revision_with_a_bad_score_is_refused(score: Any) -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, score, None)

    assert refused.value.field == "newsworthiness"


def test_a_rating_comment_is_kept_exactly_as_written() -> None:
    given = state(registered())
    comment = "  <b>Low</b> evidence.\n"

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 3, 3, comment)

    assert events == [submitted(PHYSICIAN, "a1.r2", 3, 3, comment)]


@pytest.mark.parametrize("comment", ["", "   ", "x" * 5001, 12])
def test_a_bad_rating_comment_is_refused(comment: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 3, 3, comment)

    assert refused.value.field == "comment"


def test_a_rater_has_at_most_one_active_rating_per_article() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    with pytest.raises(DuplicateRating) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 3, 3, None)

    assert refused.value.article_id == ARTICLE_ID
    assert refused.value.rater_id == "r1"


def test_another_rater_may_rate_the_same_article() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    events = ratings.decide_submit_rating(given, ARTICLE_ID, NURSE, 4, 4, None)

    assert events == [submitted(NURSE, "a1.r3", 4, 4)]


def test_the_same_state_and_command_decide_the_same_rating_id() -> None:
    given = state(registered(), submitted(NURSE, "a1.r2", 4, 4))

    first = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)
    again = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert first == again == [submitted(PHYSICIAN, "a1.r3", 6, 5)]


def test_the_rating_id_follows_the_stream_version() -> None:
    given = state(
        registered(),
        CommentPosted(ARTICLE_ID, "a1.c2", "s1", "First!"),
        ArticleTopicsChanged(ARTICLE_ID, ("Spine",)),
    )

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert events == [submitted(PHYSICIAN, "a1.r4", 6, 5)]


def test_the_folded_state_holds_each_raters_active_rating() -> None:
    article = state(
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."),
        submitted(NURSE, "a1.r3", 4, 3),
    )

    assert article is not None
    assert article.ratings == {
        "r1": ActiveRating("a1.r2", "r1", "Physician", 6, 5, "Interesting."),
        "r2": ActiveRating("a1.r3", "r2", "Nurse", 4, 3, None),
    }


def test_revising_a_rating_keeps_its_id_and_records_the_new_values() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    events = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 5, 5, "On reflection.")

    assert events == [RatingRevised(ARTICLE_ID, "a1.r2", "r1", "Physician", 5, 5, "On reflection.")]
    article = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."), *events)
    assert article is not None
    assert article.ratings["r1"] == ActiveRating("a1.r2", "r1", "Physician", 5, 5, "On reflection.")


def test_a_revision_may_change_only_the_comment() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    events = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert events == [RatingRevised(ARTICLE_ID, "a1.r2", "r1", "Physician", 6, 5, None)]


def test_a_revision_that_leaves_the_comment_out_keeps_the_comment() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    events = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 4, 5, commands.UNCHANGED)

    assert events == [RatingRevised(ARTICLE_ID, "a1.r2", "r1", "Physician", 4, 5, "Interesting.")]


def test_a_revision_that_leaves_everything_as_it_is_is_refused() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, commands.UNCHANGED)

    assert refused.value.field == "rating"


def test_a_revision_identical_to_the_active_rating_is_refused() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, "Interesting.")

    assert refused.value.field == "rating"


def test_a_revision_keeps_the_discipline_the_rating_was_submitted_in() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    [event] = ratings.decide_revise_rating(given, ARTICLE_ID, Rater("r1", "Nurse"), 5, 5, None)

    assert isinstance(event, RatingRevised)
    assert event.discipline == "Physician"


def test_revising_without_an_active_rating_is_refused() -> None:
    given = state(registered(), submitted(NURSE, "a1.r2", 6, 5))

    with pytest.raises(NoActiveRating) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 5, 5, None)

    assert refused.value.article_id == ARTICLE_ID
    assert refused.value.rater_id == "r1"


def test_withdrawing_a_rating_records_which_rating_went() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    events = ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN)

    assert events == [RatingWithdrawn(ARTICLE_ID, "a1.r2", "r1", "Physician")]
    article = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5), *events)
    assert article is not None
    assert article.ratings == {}


def test_withdrawing_without_an_active_rating_is_refused() -> None:
    given = state(registered())

    with pytest.raises(NoActiveRating) as refused:
        ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN)

    assert refused.value.rater_id == "r1"


def test_a_withdrawn_rating_can_be_neither_revised_nor_withdrawn_again() -> None:
    given = state(
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5),
        RatingWithdrawn(ARTICLE_ID, "a1.r2", "r1", "Physician"),
    )

    with pytest.raises(NoActiveRating):
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 5, 5, None)
    with pytest.raises(NoActiveRating):
        ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN)


def test_after_withdrawing_a_rater_may_rate_again_under_a_new_rating_id() -> None:
    history = [
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5),
        RatingWithdrawn(ARTICLE_ID, "a1.r2", "r1", "Physician"),
    ]

    events = ratings.decide_submit_rating(state(*history), ARTICLE_ID, PHYSICIAN, 3, 4, None)

    assert events == [submitted(PHYSICIAN, "a1.r4", 3, 4)]
    article = state(*history, *events)
    assert article is not None
    assert article.ratings == {"r1": ActiveRating("a1.r4", "r1", "Physician", 3, 4, None)}


@pytest.mark.parametrize(
    "decide",
    [
        lambda: ratings.decide_submit_rating(None, ARTICLE_ID, PHYSICIAN, 6, 5, None),
        lambda: ratings.decide_revise_rating(None, ARTICLE_ID, PHYSICIAN, 6, 5, None),
        lambda: ratings.decide_withdraw_rating(None, ARTICLE_ID, PHYSICIAN),
    ],
    ids=["submit", "revise", "withdraw"],
)
def test_rating_an_unknown_article_is_refused(decide: Any) -> None:
    with pytest.raises(NotFound) as refused:
        decide()

    assert refused.value.kind == "article"
    assert refused.value.identifier == ARTICLE_ID


# -- comments -----------------------------------------------------------------------------


def test_posting_a_comment_records_it_with_an_id_from_the_stream_version() -> None:
    given = state(registered())

    events = comments.decide_post_comment(given, ARTICLE_ID, "s1", "Useful review.")

    assert events == [CommentPosted(ARTICLE_ID, "a1.c2", "s1", "Useful review.")]
    article = state(registered(), *events)
    assert article is not None
    assert article.comments == {"a1.c2": Comment("a1.c2", "s1", hidden=False)}


@pytest.mark.parametrize("body", ["", " ", "\n\t  \n", None, 5])
def test_an_empty_comment_is_refused(body: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_post_comment(given, ARTICLE_ID, "s1", body)

    assert refused.value.field == "body"


def test_a_comment_of_5000_characters_after_trimming_is_accepted_as_given() -> None:
    given = state(registered())
    body = "  \n" + "x" * 5000 + " \t"

    events = comments.decide_post_comment(given, ARTICLE_ID, "s1", body)

    assert events == [CommentPosted(ARTICLE_ID, "a1.c2", "s1", body)]


def test_a_comment_of_5001_characters_is_refused() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_post_comment(given, ARTICLE_ID, "s1", "x" * 5001)

    assert refused.value.field == "body"


def test_a_comment_is_stored_exactly_as_written_even_if_it_looks_like_html() -> None:
    given = state(registered())
    body = " <script>alert('x')</script> &amp; <b>bold</b>\n"

    events = comments.decide_post_comment(given, ARTICLE_ID, "s1", body)

    assert events == [CommentPosted(ARTICLE_ID, "a1.c2", "s1", body)]


def test_commenting_on_an_unknown_article_is_refused() -> None:
    with pytest.raises(NotFound):
        comments.decide_post_comment(None, ARTICLE_ID, "s1", "Hello")


POSTED = CommentPosted(ARTICLE_ID, "a1.c2", "s1", "Spam spam spam")


def test_hiding_a_visible_comment_records_the_reason() -> None:
    given = state(registered(), POSTED)

    events = comments.decide_hide_comment(given, ARTICLE_ID, "a1.c2", "  Spam ")

    assert events == [CommentHidden(ARTICLE_ID, "a1.c2", "Spam")]
    article = state(registered(), POSTED, *events)
    assert article is not None
    assert article.comments["a1.c2"].hidden is True


def test_hiding_a_hidden_comment_is_refused() -> None:
    given = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"))

    with pytest.raises(WrongCommentState) as refused:
        comments.decide_hide_comment(given, ARTICLE_ID, "a1.c2", "Spam again")

    assert refused.value.comment_id == "a1.c2"
    assert refused.value.hidden is True


def test_restoring_a_hidden_comment_records_the_reason() -> None:
    given = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"))

    events = comments.decide_restore_comment(given, ARTICLE_ID, "a1.c2", "Not spam after all")

    assert events == [CommentRestored(ARTICLE_ID, "a1.c2", "Not spam after all")]
    article = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"), *events)
    assert article is not None
    assert article.comments["a1.c2"].hidden is False


def test_restoring_a_visible_comment_is_refused() -> None:
    given = state(registered(), POSTED)

    with pytest.raises(WrongCommentState) as refused:
        comments.decide_restore_comment(given, ARTICLE_ID, "a1.c2", "Restore")

    assert refused.value.comment_id == "a1.c2"
    assert refused.value.hidden is False


@pytest.mark.parametrize(
    "decide",
    [comments.decide_hide_comment, comments.decide_restore_comment],
    ids=["hide", "restore"],
)
def test_moderating_an_unknown_comment_is_refused(decide: Any) -> None:
    given = state(registered(), POSTED)

    with pytest.raises(NotFound) as refused:
        decide(given, ARTICLE_ID, "a1.c9", "Why")

    assert refused.value.kind == "comment"
    assert refused.value.identifier == "a1.c9"


@pytest.mark.parametrize(
    "decide",
    [comments.decide_hide_comment, comments.decide_restore_comment],
    ids=["hide", "restore"],
)
def test_moderating_a_comment_of_an_unknown_article_is_refused(decide: Any) -> None:
    with pytest.raises(NotFound) as refused:
        decide(None, ARTICLE_ID, "a1.c2", "Why")

    assert refused.value.kind == "article"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_hiding_a_comment_needs_a_reason(reason: Any) -> None:
    given = state(registered(), POSTED)

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_hide_comment(given, ARTICLE_ID, "a1.c2", reason)

    assert refused.value.field == "reason"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_restoring_a_comment_needs_a_reason(reason: Any) -> None:
    given = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"))

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_restore_comment(given, ARTICLE_ID, "a1.c2", reason)

    assert refused.value.field == "reason"


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


# -- vocabulary ---------------------------------------------------------------------------


def test_a_topic_the_ledger_already_has_is_registered_as_the_ledger_spells_it() -> None:
    known = vocabulary.Vocabulary(topics={"back pain": "Back Pain"})

    [event] = articles.decide_register(
        None, ARTICLE_ID, CITATION, [" back pain", "Sciatica"], known
    )

    assert isinstance(event, ArticleRegistered)
    assert event.topics == ("Back Pain", "Sciatica")


def test_a_study_type_is_taken_from_the_vocabulary_in_its_spelling() -> None:
    [event] = articles.decide_register(
        None, ARTICLE_ID, {**CITATION, "study_type": "randomized CONTROLLED trial"}, TOPICS
    )

    assert isinstance(event, ArticleRegistered)
    assert event.study_type == "Randomized controlled trial"


@pytest.mark.parametrize(
    "decide",
    [
        lambda: articles.decide_register(
            None, ARTICLE_ID, {**CITATION, "study_type": "Horoscope"}, TOPICS
        ),
        lambda: articles.decide_correct(
            state(registered()), ARTICLE_ID, {"study_type": "Horoscope"}, "misfiled"
        ),
    ],
    ids=["register", "correct"],
)
def test_an_unknown_study_type_is_refused_with_the_list(decide: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        decide()

    assert refused.value.field == "study_type"
    for known in vocabulary.DEFAULT_STUDY_TYPES:
        assert known in str(refused.value)


def test_a_study_type_added_by_an_editor_is_accepted() -> None:
    known = vocabulary.Vocabulary(study_types=(*vocabulary.DEFAULT_STUDY_TYPES, "Horoscope"))

    events = articles.decide_correct(
        state(registered()), ARTICLE_ID, {"study_type": "horoscope"}, "misfiled", known
    )

    assert events == [ArticleCorrected(ARTICLE_ID, (("study_type", "Horoscope"),), "misfiled")]


def test_a_study_type_already_in_the_vocabulary_cannot_be_added_again() -> None:
    with pytest.raises(AlreadyExists):
        vocabulary.decide_register_study_type(vocabulary.DEFAULT_STUDY_TYPES, " COHORT ")

    assert vocabulary.decide_register_study_type(vocabulary.DEFAULT_STUDY_TYPES, " Audit ") == [
        StudyTypeRegistered("Audit")
    ]
