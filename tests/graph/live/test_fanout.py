"""What the fan-out reads of a process's learnt changes: the changes after a position, or
None (wake everyone) once some of them are forgotten."""

from __future__ import annotations

from ledger.read.changes import Change, ChangeLog


def test_the_changes_after_a_position_are_those_learnt_since_in_order() -> None:
    log = ChangeLog(history=10)
    log.learn([], head=3)
    log.offer([Change(5, "b"), Change(4, "a"), Change(6, None)])

    assert log.after(3) == [Change(4, "a"), Change(5, "b"), Change(6, None)]
    assert log.after(5) == [Change(6, None)]
    assert log.after(6) == []


def test_changes_no_longer_remembered_make_the_answer_unknown() -> None:
    log = ChangeLog(history=2)
    log.learn([], head=0)
    for position in (1, 2, 3):
        log.offer([Change(position, "a")])

    assert log.after(0) is None
    assert log.after(1) == [Change(2, "a"), Change(3, "a")]
    assert ChangeLog().after(0) is None  # nothing learnt yet
