"""A command is declared once: the API's inputs, the import format and the fingerprint of a
retry are all read from the command dataclasses and the citation's fields."""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, fields

import pytest

from graph.schema import inputs
from ledger.domain import commands
from ledger.domain.citation import CITATION_FIELDS, FIELDS
from ledger.store.records import Actor
from ledger.use_cases.importing import FIELDS as IMPORT_FIELDS
from ledger.use_cases.importing import REQUIRED
from ledger.use_cases.runner import command_fingerprint
from ledger.use_cases.service import USE_CASES

# Each API input and the command it is read into; what the caller's token gives is not input.
INPUTS = {
    inputs.RegisterDisciplineInput: (commands.RegisterDiscipline, set()),
    inputs.EnrollRaterInput: (commands.EnrolRater, set()),
    inputs.RegisterStudyTypeInput: (commands.RegisterStudyType, set()),
    inputs.RegisterArticleInput: (commands.RegisterArticle, {"citation"}),
    inputs.CorrectArticleInput: (commands.CorrectArticle, {"changes"}),
    inputs.RetractArticleInput: (commands.RetractArticle, set()),
    inputs.SubmitRatingInput: (commands.SubmitRating, {"rater_id"}),
    inputs.ReviseRatingInput: (commands.ReviseRating, {"rater_id"}),
    inputs.WithdrawRatingInput: (commands.WithdrawRating, {"rater_id"}),
    inputs.PostCommentInput: (commands.PostComment, {"author_id"}),
    inputs.HideCommentInput: (commands.HideComment, set()),
    inputs.RestoreCommentInput: (commands.RestoreComment, set()),
}


@pytest.mark.parametrize("input_type", list(INPUTS), ids=lambda t: t.__name__)
def test_every_field_of_a_command_is_in_its_input_by_the_same_name(input_type: type) -> None:
    command, from_elsewhere = INPUTS[input_type]
    given = set(input_type.__annotations__)

    assert {f.name for f in fields(command)} - from_elsewhere <= given


def test_every_command_has_a_use_case() -> None:
    declared = {c for c in vars(commands).values() if isinstance(c, type)}
    subclasses = {c for c in declared if issubclass(c, commands.Command)} - {commands.Command}
    assert subclasses == set(USE_CASES)


def test_the_citation_fields_are_the_api_inputs_and_the_import_format() -> None:
    assert set(CITATION_FIELDS) <= set(inputs.RegisterArticleInput.__annotations__)
    assert set(CITATION_FIELDS) <= set(inputs.CorrectArticleInput.__annotations__)
    assert sorted(IMPORT_FIELDS.values()) == sorted(CITATION_FIELDS)
    assert IMPORT_FIELDS["journalAbbreviation"] == "journal_abbreviation"
    assert REQUIRED == ("title", "journal", "studyType", "abstract", "topics")
    assert [f.name for f in FIELDS if f.required] == ["title", "journal", "study_type", "abstract"]


def test_a_command_keeps_the_fingerprint_stored_keys_were_made_with() -> None:
    # The fingerprint as it was first written; retries of requests stored before must match.
    actor = Actor("rater-1", "rater")
    old = json.dumps(
        ["revise_rating", "a1", "r1", 5, 4, commands.UNCHANGED, "rater-1", "rater"],
        sort_keys=True,
        default=repr,
    )
    command = commands.ReviseRating("a1", "r1", 5, 4, expected_version=3)

    assert command_fingerprint(command, actor) == hashlib.sha256(old.encode()).hexdigest()


def test_an_article_registration_fingerprint_is_as_it_was() -> None:
    actor = Actor("editor-1", "editor")
    citation = {"title": "T", "authors": ("A", "B")}
    old = json.dumps(
        ["register_article", dict(citation), ["X"], None, "editor-1", "editor"],
        sort_keys=True,
        default=repr,
    )
    command = commands.RegisterArticle(citation, ("X",))

    assert command_fingerprint(command, actor) == hashlib.sha256(old.encode()).hexdigest()


def test_an_assignment_without_author_raters_keeps_its_fingerprint() -> None:
    actor = Actor("editor-1", "editor")
    old = json.dumps(
        ["assign_disciplines", "a1", ["Nurse"], [], "editor-1", "editor"],
        sort_keys=True,
        default=repr,
    )
    command = commands.AssignDisciplines("a1", ["Nurse"], [])  # author raters kept as they are
    named = commands.AssignDisciplines("a1", ["Nurse"], [], author_raters=("n1",))
    cleared = commands.AssignDisciplines("a1", ["Nurse"], [], author_raters=())

    assert command_fingerprint(command, actor) == hashlib.sha256(old.encode()).hexdigest()
    assert command_fingerprint(named, actor) != command_fingerprint(command, actor)
    assert command_fingerprint(cleared, actor) != command_fingerprint(command, actor)


def test_the_api_requires_at_registration_the_citation_fields_the_domain_requires() -> None:
    definition = inputs.RegisterArticleInput.__strawberry_definition__  # type: ignore[attr-defined]
    required = {
        f.python_name
        for f in definition.fields
        if f.default is MISSING and f.default_factory is MISSING
    }

    assert required & set(CITATION_FIELDS) == {f.name for f in FIELDS if f.required}
