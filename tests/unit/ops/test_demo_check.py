"""The demo's verdict: ground truth -> expectations, and what counts as a mismatch."""

from __future__ import annotations

from localcloud.demo import check, expected_from_truth
from ops.events import EventView, FaceView

TRUTH = {
    "front-door": {"people": [{"identity": "grace_hopper", "face_boxes": [[3, 1, 2, 3, 4]]}]},
    "garden": {
        "people": [
            {"identity": "astronaut", "face_boxes": [[5, 1, 2, 3, 4]]},
            {"identity": "luispedro", "face_boxes": [[5, 1, 2, 3, 4]]},
        ]
    },
    "side-gate": {"people": [{"identity": "luispedro", "face_boxes": [[9, 1, 2, 3, 4]]}]},
    "porch": {"people": [{"identity": "takeo", "face_boxes": []}]},  # back turned: no face
}
OWNER, POLICE = "owner@example.com", "police@example.com"


LUIS = "stranger:00000000a1b2"  # the scenes' luispedro, remembered (core.strangers)


def face(status: str, name: str = "", stranger_id: str = LUIS) -> FaceView:
    pid = name.lower().replace(" ", "-") if name else "unknown"
    remembered = stranger_id if status == "stranger" else ""
    return FaceView(pid, name, status, 99.0 if name else None, {}, stranger_id=remembered)


def event(camera: str, severity: str, faces, sent: bool, status: str = "none") -> EventView:
    return EventView(
        camera_id=camera,
        event_time="2026-05-01T10:00:00.000Z#h",
        captured_at="2026-05-01T10:00:00.000Z",
        severity=severity,
        alarm=severity != "info",
        alerted=sent,
        bucket="uploads",
        image_key=f"frames/{camera}/x.jpg",
        processed_key="",
        kind="face",
        alert_status="sent" if sent else status,
        faces=faces,
    )


def email(severity: str, *to: str) -> dict:
    subject = f"Doorman {severity}: someone at somewhere"
    return {"subject": subject, "destinations": {"ToAddresses": list(to)}}


CRITICAL, WARNING = email("critical", OWNER, POLICE), email("warning", OWNER)


GOOD = [
    event("front-door", "info", [face("known", "Grace Hopper")], sent=False),
    event("garden", "critical", [face("barred", "Eileen Collins"), face("stranger")], sent=True),
    event("side-gate", "warning", [face("stranger")], sent=True),
]


def test_expectations_come_from_the_visible_faces_in_the_truth():
    expected = expected_from_truth(TRUTH)
    assert expected.who == {
        "front-door": {"Grace Hopper"},
        "garden": {"Eileen Collins", "stranger"},
        "side-gate": {"stranger"},
        "porch": set(),
    }
    assert expected.critical == {"garden"}
    assert expected.warning == {"garden", "side-gate"}
    assert expected.critical_emails == 1
    assert expected.slots == {"front-door": 0, "garden": 2, "side-gate": 1, "porch": 0}
    assert expected.same_stranger == [{"garden", "side-gate"}]


def test_the_garden_and_side_gate_stranger_must_be_one_remembered_stranger():
    expected = expected_from_truth(TRUTH)
    other = face("stranger", stranger_id="stranger:00000000c3d4")
    two = [GOOD[0], GOOD[1], event("side-gate", "warning", [other], sent=True)]
    assert check(expected, two, [CRITICAL, WARNING]) == [
        "the same stranger should be one remembered stranger (garden: ['stranger:00000000a1b2'], "
        "side-gate: ['stranger:00000000c3d4'])"
    ]
    nameless = face("stranger", stranger_id="")
    anonymous = [*GOOD[:2], event("side-gate", "warning", [nameless], sent=True)]
    assert check(expected, anonymous, [CRITICAL, WARNING])[0].endswith("side-gate: none)")


def test_what_the_demo_should_see_matches():
    assert check(expected_from_truth(TRUTH), GOOD, [CRITICAL, WARNING]) == []


def test_the_second_garden_frame_in_cooldown_matches():
    again = event("garden", "critical", GOOD[1].faces, sent=False, status="cooldown")
    assert check(expected_from_truth(TRUTH), [*GOOD, again], [CRITICAL, WARNING]) == []


def test_a_stranger_joining_an_alerted_barred_person_may_add_one_warning():
    alone = event("garden", "critical", [face("barred", "Eileen Collins")], sent=True)
    joined = event("garden", "critical", GOOD[1].faces, sent=True)
    events = [GOOD[0], alone, joined, GOOD[2]]
    assert check(expected_from_truth(TRUTH), events, [CRITICAL, WARNING, WARNING]) == []


def test_a_second_critical_alert_for_the_same_visit_is_a_mismatch():
    again = event("garden", "critical", GOOD[1].faces, sent=True)
    problems = check(expected_from_truth(TRUTH), [*GOOD, again], [CRITICAL, CRITICAL, WARNING])
    assert problems == ["2 critical emails, expected 1"]


def test_a_second_warning_from_the_same_camera_is_a_mismatch():
    again = event("side-gate", "warning", [face("stranger")], sent=True)
    problems = check(expected_from_truth(TRUTH), [*GOOD, again], [CRITICAL, WARNING, WARNING])
    assert problems == ["side-gate: 2 alerts, at most 1 expected"]


def test_a_known_person_taken_for_a_stranger_is_a_mismatch():
    wrong = [event("front-door", "warning", [face("stranger")], sent=True), *GOOD[1:]]
    problems = check(expected_from_truth(TRUTH), wrong, [CRITICAL, WARNING, WARNING])
    assert any(p.startswith("front-door: expected ['Grace Hopper']") for p in problems)
    assert "warning alerts from ['front-door']" in problems


def test_missing_alerts_and_emails_are_mismatches():
    quiet = [*GOOD[:2], event("side-gate", "warning", [face("stranger")], sent=False)]
    problems = check(expected_from_truth(TRUTH), quiet, [email("critical", OWNER)])
    assert "no warning alert from ['side-gate']" in problems
    assert "a critical email did not reach the authorities" in problems
    assert check(expected_from_truth(TRUTH), GOOD, [CRITICAL]) == ["1 emails for 2 alerts"]
