"""The vocabulary: study types editors add, topics reused as the ledger spells them.

Pure: every state is folded from events with ``articles.fold``; nothing touches a database.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain import articles, vocabulary
from ledger.domain.errors import (
    AlreadyExists,
    ValidationFailed,
)
from ledger.domain.events import (
    ArticleCorrected,
    ArticleRegistered,
    StudyTypeRegistered,
)
from tests.unit.article_events import (
    ARTICLE_ID,
    CITATION,
    TOPICS,
    registered,
    state,
)

# -- vocabulary ---------------------------------------------------------------------------


def test_a_topic_the_ledger_already_has_is_registered_as_the_ledger_spells_it() -> None:
    known = vocabulary.Vocabulary(topics={"back pain": "Back Pain"})

    [event] = articles.decide_register(
        None, ARTICLE_ID, CITATION, [" back pain", "Sciatica"], known
    )

    assert isinstance(event, ArticleRegistered)
    assert event.topics == ("Back Pain", "Sciatica")


def test_the_known_spelling_of_a_topic_is_the_first_the_ledger_holds_by_code_point() -> None:
    held = ["back pain", "Sciatica", "Back Pain", "BACK PAIN", "Neck Pain"]

    spellings = vocabulary.known_spellings([" back PAIN ", "sciatica", "Knee"], held)

    assert spellings == {"back pain": "BACK PAIN", "sciatica": "Sciatica"}


def test_topics_differing_beyond_ascii_case_have_spellings_of_their_own() -> None:
    # topic_key folds ASCII letters only, as both databases' SQL for it does.
    spellings = vocabulary.known_spellings(["épaule"], ["Épaule", "épaule"])

    assert spellings == {"épaule": "épaule"}


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
