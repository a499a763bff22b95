"""Rater enrolment and the discipline registry: given a stream, when decided, then events."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ledger.domain import raters
from ledger.domain.errors import AlreadyExists, NotFound, ValidationFailed
from ledger.domain.events import DisciplineRegistered, RaterEnrolled
from ledger.domain.raters import Enrolment

# The identifier part of a stream id, as the store accepts it (see errors.InvalidStreamId).
STREAM_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


# -- enrolment ----------------------------------------------------------------------------


def test_enrolling_a_rater_in_a_registered_discipline_records_its_registered_spelling() -> None:
    events = raters.decide_enrol(None, "r1", "p1", "Physician", "physician")

    assert events == [RaterEnrolled(rater_id="r1", person_id="p1", discipline="Physician")]


def test_an_enrolment_folds_into_the_raters_discipline() -> None:
    enrolment = raters.fold_enrolment([RaterEnrolled("r1", "p1", "Nurse")])

    assert enrolment == Enrolment(rater_id="r1", person_id="p1", discipline="Nurse")


def test_an_empty_rater_stream_is_no_enrolment() -> None:
    assert raters.fold_enrolment([]) is None


def test_enrolling_in_an_unknown_discipline_is_refused() -> None:
    with pytest.raises(NotFound) as refused:
        raters.decide_enrol(None, "r1", "p1", None, "Chiropractor")

    assert refused.value.kind == "discipline"
    assert refused.value.identifier == "Chiropractor"


def test_enrolling_a_rater_twice_is_refused() -> None:
    given = raters.fold_enrolment([RaterEnrolled("r1", "p1", "Physician")])

    with pytest.raises(AlreadyExists) as refused:
        raters.decide_enrol(given, "r1", "p2", "Nurse", "Nurse")

    assert refused.value.kind == "rater"
    assert refused.value.identifier == "r1"


@pytest.mark.parametrize("rater_id", ["", "-r1", "r 1", "r:1", "r" * 65, None, 1])
def test_a_malformed_rater_id_is_refused(rater_id: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        raters.decide_enrol(None, rater_id, "p1", "Physician", "Physician")

    assert refused.value.field == "rater_id"


def test_the_rater_stream_id_names_the_rater() -> None:
    assert raters.rater_stream_id("r1") == "rater:r1"


# -- the discipline registry --------------------------------------------------------------


def test_registering_a_discipline_records_its_trimmed_name() -> None:
    events = raters.decide_register_discipline(False, "  Occupational therapist ")

    assert events == [DisciplineRegistered(name="Occupational therapist")]


def test_registering_a_discipline_twice_is_refused() -> None:
    with pytest.raises(AlreadyExists) as refused:
        raters.decide_register_discipline(True, "Physician")

    assert refused.value.kind == "discipline"
    assert refused.value.identifier == "Physician"


@pytest.mark.parametrize("name", ["", "   ", None, "d" * 101])
def test_a_bad_discipline_name_is_refused(name: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        raters.decide_register_discipline(False, name)

    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Occupational therapist", "occupational-therapist"),
        ("  Occupational   Therapist ", "occupational-therapist"),
        ("OCCUPATIONAL THERAPIST", "occupational-therapist"),
        ("Physician", "physician"),
        ("Social worker", "social-worker"),
        ("Nurse (RN)", "nurse-rn"),
        ("Speech-language pathologist", "speech-language-pathologist"),
    ],
)
def test_a_discipline_key_is_its_name_case_folded_with_dashes(name: str, key: str) -> None:
    assert raters.discipline_key(name) == key
    assert raters.discipline_stream_id(name) == f"discipline:{key}"


def test_spellings_of_one_discipline_share_one_stream() -> None:
    spellings = ["Occupational therapist", "occupational Therapist", " OCCUPATIONAL  THERAPIST"]

    assert {raters.discipline_stream_id(name) for name in spellings} == {
        "discipline:occupational-therapist"
    }


@pytest.mark.parametrize("name", raters.REFERENCE_DISCIPLINES)
def test_every_reference_discipline_has_a_valid_stream_id(name: str) -> None:
    assert STREAM_IDENTIFIER.fullmatch(raters.discipline_key(name))


def test_different_non_latin_discipline_names_do_not_share_a_key() -> None:
    # "Physician" and "Nurse" in Russian; both currently fold to the key "-".
    assert raters.discipline_key("Врач") != raters.discipline_key("Медсестра")


@pytest.mark.parametrize("name", ["!!!", "Врач", "看護師", "Ergothérapeute"])
def test_a_discipline_name_is_refused_or_gets_a_valid_stream_id(name: str) -> None:
    try:
        raters.decide_register_discipline(False, name)
    except ValidationFailed as refused:
        assert refused.field == "name"
    else:
        assert STREAM_IDENTIFIER.fullmatch(raters.discipline_key(name))
