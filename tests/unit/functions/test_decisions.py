from __future__ import annotations

import pytest

from core.decisions import (
    AlertPlan,
    Candidate,
    Thresholds,
    alarm_hits,
    assess,
    classify_face,
    frame_severity,
    is_armed,
    narrow,
    should_alert,
)
from core.schemas import BoundingBox, FaceResult, Label, PersonRef
from core.tablekeys import cooldown_key

T = Thresholds(known=90, barred=95, possible=80)
BOX = BoundingBox(width=0.2, height=0.3, left=0.1, top=0.1)


def match(person_id: str, watchlist: str, similarity: float) -> Candidate:
    ref = PersonRef(
        person_id=person_id, name=person_id.title(), watchlist=watchlist, similarity=similarity
    )
    return Candidate(person=ref, face_id=f"face-{person_id}")


def face(status: str, person: PersonRef | None = None) -> FaceResult:
    return FaceResult(index=0, status=status, bounding_box=BOX, confidence=99.0, person=person)


@pytest.mark.parametrize(
    ("candidates", "status", "possible"),
    [
        ([], "stranger", None),
        ([match("ann", "known", 90.0)], "known", None),
        ([match("ann", "known", 89.9)], "stranger", "ann"),
        ([match("ann", "known", 79.9)], "stranger", None),
        ([match("bob", "barred", 95.0)], "barred", None),
        ([match("bob", "barred", 93.0)], "stranger", "bob"),  # barred needs 95
        ([match("ann", "known", 91.0), match("bob", "barred", 97.0)], "barred", None),
        ([match("bob", "barred", 91.0), match("ann", "known", 92.0)], "known", None),
    ],
)
def test_classify_face_uses_each_watchlists_threshold(candidates, status, possible) -> None:
    verdict = classify_face(candidates, T)
    assert verdict.status == status
    assert (verdict.possible_match.person_id if verdict.possible_match else None) == possible
    if status in ("known", "barred"):
        assert verdict.person is not None and verdict.face_id.startswith("face-")


def test_barred_beats_strangers_and_strangers_beat_labels() -> None:
    bob = match("bob", "barred", 99).person
    plan = assess([face("stranger"), face("barred", bob)], ["Person"])
    assert plan is not None and (plan.severity, plan.reason, plan.identities) == (
        "critical",
        "barred-person",
        ("bob", "unknown"),  # the alert reports both, so both are in cooldown after it
    )
    plan = assess([face("known", match("ann", "known", 99).person), face("stranger")], [])
    assert plan is not None and (plan.reason, plan.identities) == ("unknown-face", ("unknown",))
    plan = assess([], ["Person"])
    assert plan is not None and plan.reason == "alarm-label" and plan.severity == "warning"
    plan = assess([face("too-small")], ["Person"])
    assert plan is not None and plan.reason == "alarm-label"


def test_known_people_and_empty_frames_are_only_recorded() -> None:
    assert assess([face("known", match("ann", "known", 99).person)], []) is None
    assert assess([], []) is None
    assert assess([face("too-small")], []) is None
    assert frame_severity(None) == "info"


def test_labels_alarm_only_without_identified_faces() -> None:
    assert assess([face("known", match("ann", "known", 99).person)], ["Person"]) is None


def test_disarmed_silences_strangers_but_never_barred() -> None:
    critical = assess([face("barred", match("bob", "barred", 99).person)], [])
    warning = assess([face("stranger")], [])
    assert should_alert(critical, armed=False) and should_alert(critical, armed=True)
    assert not should_alert(warning, armed=False) and should_alert(warning, armed=True)
    assert not should_alert(None, armed=True)


@pytest.mark.parametrize(
    ("value", "armed"),
    [
        ("armed", True),
        ("disarmed", False),
        (" DISARMED\n", False),
        ("false", False),
        ("true", True),
        (None, True),
        ("", True),
        ("garbage", True),
    ],
)
def test_armed_switch_fails_safe(value, armed) -> None:
    assert is_armed(value) is armed


def test_alarm_hits_are_case_insensitive() -> None:
    labels = [Label(name="Person", confidence=91), Label(name="Car", confidence=80)]
    assert alarm_hits(labels, ["person", "Human"]) == ["Person"]
    assert alarm_hits(labels, []) == []


def test_cooldown_key_is_per_camera_and_identity() -> None:
    assert cooldown_key("door", "unknown") == "cooldown#door#unknown"
    assert cooldown_key("door", "bob") != cooldown_key("gate", "bob")


class TestNarrow:
    """Arming and cooldowns decide what is still owed, and severity follows what is left."""

    barred_and_stranger = AlertPlan("critical", "barred-person", ("eileen-collins", "unknown"))

    def test_a_stranger_joining_an_alerted_barred_person_is_a_warning(self):
        owed = narrow(self.barred_and_stranger, armed=True, free=lambda i: i == "unknown")
        assert owed == AlertPlan("warning", "unknown-face", ("unknown",))

    def test_barred_person_still_free_keeps_the_critical_alert(self):
        owed = narrow(self.barred_and_stranger, armed=True, free=lambda i: True)
        assert owed == self.barred_and_stranger

    def test_disarmed_drops_the_stranger_but_not_the_barred_person(self):
        claimed: list[str] = []
        owed = narrow(self.barred_and_stranger, armed=False, free=lambda i: not claimed.append(i))
        assert owed == AlertPlan("critical", "barred-person", ("eileen-collins",))
        assert claimed == ["eileen-collins"]  # no cooldown slot taken for the stranger

    def test_everything_cooling_down_owes_nothing(self):
        assert narrow(self.barred_and_stranger, armed=True, free=lambda i: False) is None

    def test_alarm_label_only_while_armed(self):
        plan = AlertPlan("warning", "alarm-label", ("alarm-label",))
        assert narrow(plan, armed=False, free=lambda i: True) is None
        assert narrow(plan, armed=True, free=lambda i: True) == plan
