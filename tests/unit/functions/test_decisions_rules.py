"""Alert rules (core/rules.py) and the decision they drive (core.decisions.decide).

The first test is the proof that DEFAULT_RULES reproduce the fixed policy of before
(assess -> should_alert -> narrow) on every combination of faces, alarm labels, arming and
cooldowns: same status, severity, reason, identities, recipients and cooldown slots taken.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from core.decisions import (
    NO_RULE,
    SILENCED,
    assess,
    decide,
    narrow,
    should_alert,
    subjects,
)
from core.rules import (
    DEFAULT_RULES,
    MAX_DOCUMENT_CHARS,
    RulesRefused,
    Situation,
    Subject,
    first_match,
    in_time_range,
    mode_of,
    parse_rules,
    stored_rules,
)
from core.schemas import BoundingBox, FaceResult, PersonRef

BOX = BoundingBox(width=0.2, height=0.3, left=0.1, top=0.1)
# Friday 2026-05-01 21:30 UTC = 22:30 in London (BST).
FRIDAY_EVENING = datetime(2026, 5, 1, 21, 30, tzinfo=UTC)


def ref(person_id: str, watchlist: str) -> PersonRef:
    name = person_id.replace("-", " ").title()
    return PersonRef(person_id=person_id, name=name, watchlist=watchlist, similarity=99.0)


def face(status: str, person: PersonRef | None = None, **extra: object) -> FaceResult:
    return FaceResult(
        index=0, status=status, bounding_box=BOX, confidence=99.0, person=person, **extra
    )


FACES = {
    "barred": face("barred", ref("bob-barred", "barred")),
    "barred2": face("barred", ref("carl-barred", "barred")),
    "stranger": face("stranger"),
    "known": face("known", ref("grace-hopper", "known")),
    "small": face("too-small"),
}
FREE_PATTERNS: dict[str, Callable[[str], bool]] = {
    "all free": lambda i: True,
    "none free": lambda i: False,
    "only strangers free": lambda i: i == "unknown",
    "only people free": lambda i: i not in ("unknown", "alarm-label"),
    "bob cooling down": lambda i: i != "bob-barred",
}


def _old(faces, hits, armed, free):
    claimed: list[str] = []

    def claim(identity: str) -> bool:
        claimed.append(identity)
        return free(identity)

    plan = assess(faces, hits)
    if plan is None:
        return ("none",), claimed
    if not should_alert(plan, armed=armed):
        return ("disarmed",), claimed
    owed = narrow(plan, armed=armed, free=claim)
    if owed is None:
        return ("cooldown",), claimed
    to = ("owner", "authorities") if owed.severity == "critical" else ("owner",)
    return ("sent", owed.severity, owed.reason, owed.identities, to), claimed


def _new(faces, hits, mode, free):
    claimed: list[str] = []

    def claim(identity: str) -> bool:
        claimed.append(identity)
        return free(identity)

    decision = decide(faces, hits, DEFAULT_RULES, Situation("door", FRIDAY_EVENING, mode), claim)
    if decision.alert is None:
        return (decision.status,), claimed
    a = decision.alert
    assert a.channels == ("email", "sns", "webhook")
    return ("sent", a.severity, a.reason, a.identities, a.recipients), claimed


COMBINATIONS = [
    combo
    for size in range(4)
    for combo in itertools.combinations(FACES, size)
    if not ("barred2" in combo and "barred" not in combo)
]


@pytest.mark.parametrize("names", COMBINATIONS, ids="+".join)
def test_default_rules_reproduce_the_fixed_policy(names) -> None:
    faces = [FACES[n] for n in names]
    compared = 0
    for hits, armed, (pattern, free) in itertools.product(
        ([], ["Person"]), (True, False), FREE_PATTERNS.items()
    ):
        modes = ("away", "night") if armed else ("home",)
        for mode in modes:
            assert _new(faces, hits, mode, free) == _old(faces, hits, armed, free), (
                f"{names} hits={hits} armed={armed} mode={mode} {pattern}"
            )
            compared += 1
    assert compared == 2 * 3 * len(FREE_PATTERNS)


def test_mode_switch_values() -> None:
    assert [mode_of(v) for v in ("home", " AWAY ", "night", "armed", "disarmed", "off")] == [
        "home",
        "away",
        "night",
        "away",
        "home",
        "home",
    ]
    assert mode_of(None) == mode_of("") == mode_of("garbage") == "away"  # fail safe


EXAMPLES = {
    "timezone": "Europe/London",
    "rules": [
        {
            "name": "barred, always",
            "when": {"watchlist": "barred"},
            "then": {"severity": "critical", "recipients": ["owner", "authorities"]},
        },
        {
            "name": "nothing from the street while home",
            "when": {"camera": "street", "mode": ["home"]},
            "then": {"severity": "none"},
        },
        {
            "name": "Grace arrives",
            "when": {"person": "Grace Hopper", "camera": ["front-door"]},
            "then": {"severity": "info", "channels": ["email"], "recipients": ["owner"]},
        },
        {
            "name": "strangers at night",
            "when": {"stranger": True, "time": "22:00-06:00"},
            "then": {"severity": "warning"},
        },
        {
            "name": "regulars on weekdays",
            "when": {"seen_at_least": 3, "days": ["mon", "tue", "wed", "thu", "fri"]},
            "then": {"severity": "info", "channels": ["sns"]},
        },
    ],
}
RULES = parse_rules(json.dumps(EXAMPLES), cameras=["front-door", "street"], people=["Grace Hopper"])


def situation(camera: str = "front-door", mode: str = "away", moment=FRIDAY_EVENING):
    return Situation(camera, moment, mode)  # type: ignore[arg-type]


def _fire(faces, hits=(), **where) -> tuple[str, str, object]:
    decision = decide(faces, list(hits), RULES, situation(**where), lambda i: True)
    return decision.status, decision.rule, decision.alert


def test_a_person_rule_sends_an_info_mail_to_the_owner_only() -> None:
    status, rule, alert = _fire([FACES["known"]])
    assert (status, rule) == ("sent", "Grace arrives")
    assert alert.severity == "info" and alert.reason == "known-person"
    assert alert.channels == ("email",) and alert.recipients == ("owner",)
    # the same person at another camera: no rule, only recorded
    assert _fire([FACES["known"]], camera="street", mode="away")[:2] == ("none", "")


def test_barred_beats_every_later_rule_even_when_home_on_the_street() -> None:
    status, rule, alert = _fire([FACES["barred"], FACES["stranger"]], camera="street", mode="home")
    assert (status, rule) == ("sent", "barred, always")
    assert alert.identities == ("bob-barred",), "the street rule silences the stranger"
    assert alert.recipients == ("owner", "authorities")


def test_street_while_home_is_silenced_and_says_which_rule() -> None:
    assert _fire([FACES["stranger"]], camera="street", mode="home")[:2] == (
        SILENCED,
        "nothing from the street while home",
    )


def test_time_of_day_is_read_in_the_documents_time_zone() -> None:
    # 21:30 UTC is 22:30 in London (inside 22:00-06:00), and 20:30 UTC is 21:30 (outside).
    assert _fire([FACES["stranger"]])[:2] == ("sent", "strangers at night")
    early = datetime(2026, 5, 1, 20, 30, tzinfo=UTC)
    assert _fire([FACES["stranger"]], moment=early)[:2] == (NO_RULE, "")
    assert _fire([FACES["stranger"]], moment=early, mode="home")[:2] == ("disarmed", "")


def test_time_ranges_wrap_midnight() -> None:
    from datetime import time

    assert in_time_range("22:00-06:00", time(23, 59)) and in_time_range("22:00-06:00", time(5))
    assert not in_time_range("22:00-06:00", time(6)) and not in_time_range("22:00-06:00", time(12))
    assert in_time_range("08:00-17:00", time(8)) and not in_time_range("08:00-17:00", time(17))
    assert in_time_range("00:00-24:00", time(12))


def test_rules_test_explains_why_earlier_rules_did_not_fire() -> None:
    match = first_match(RULES, Subject("unknown", "stranger"), situation(camera="street"))
    assert match.rule is not None and match.rule.name == "strangers at night"
    assert dict(match.skipped) == {
        "barred, always": "stranger is not on the barred watchlist",
        "nothing from the street while home": "mode is away, not home",
        "Grace arrives": "stranger is not Grace Hopper",
    }


@pytest.mark.skipif(
    "stranger" not in FaceResult.model_fields, reason="issue 13's FaceResult.stranger not present"
)
def test_a_repeat_stranger_rule_needs_the_count() -> None:
    from core.schemas import StrangerRef  # issue 13

    def seen(times: int) -> FaceResult:
        known = StrangerRef(
            stranger_id="s-1", sightings=times, first_seen="2026-04-01", first_camera="door"
        )
        return face("stranger", stranger=known)

    noon = datetime(2026, 5, 1, 11, 0, tzinfo=UTC)
    assert [s.seen for s in subjects([seen(2), seen(4)], [])] == [4]
    assert _fire([seen(3)], moment=noon)[:2] == ("sent", "regulars on weekdays")
    assert _fire([seen(2)], moment=noon)[:2] == (NO_RULE, "")
    saturday = datetime(2026, 5, 2, 11, 0, tzinfo=UTC)
    assert _fire([seen(5)], moment=saturday)[:2] == (NO_RULE, "")


def test_a_cooling_down_alert_still_names_its_rule() -> None:
    decision = decide([FACES["known"]], [], RULES, situation(), lambda i: False)
    assert (decision.status, decision.rule, decision.alert) == ("cooldown", "Grace arrives", None)


def test_every_error_is_named_by_path() -> None:
    bad = {
        "timezone": "Europe/Lodnon",
        "rules": [
            {"name": "ok", "then": {"severity": "info"}},
            {"name": "ok", "when": {"person": "Grase"}, "then": {"severity": "loud"}},
            {"name": "typo", "when": {"camera": "gardn", "time": "25:00-26:00"}, "then": {}},
            {
                "name": "two",
                "when": {"stranger": True, "watchlist": "barred"},
                "then": {"severity": "info", "channels": ["pigeon"]},
            },
        ],
    }
    with pytest.raises(RulesRefused) as refused:
        parse_rules(json.dumps(bad), cameras=["front-door", "garden"], people=["Grace Hopper"])
    errors = refused.value.errors
    assert 'timezone: unknown IANA time zone "Europe/Lodnon" (e.g. Europe/London)' in errors
    assert 'rules[1].when.person: nobody enrolled is called "Grase"' in errors
    severities = "'critical', 'warning', 'info' or 'none'"
    assert f"rules[1].then.severity: Input should be {severities}" in errors
    assert 'rules[2].when.camera: unknown camera "gardn" (cameras: front-door, garden)' in errors
    assert any(e.startswith("rules[2].when.time: a time range") for e in errors)
    assert "rules[2].then.severity: Field required" in errors
    assert any(e.startswith("rules[3].when: ") and "(got watchlist, stranger)" in e for e in errors)
    assert any(e.startswith("rules[3].then.channels[0]:") for e in errors)
    assert len(errors) == 8, errors


def test_duplicate_names_oversized_and_non_json_documents_are_refused() -> None:
    same = {"rules": [{"name": "A", "then": {"severity": "info"}}] * 2}
    with pytest.raises(RulesRefused, match="two rules are called A"):
        parse_rules(json.dumps(same))
    many = {
        "rules": [
            {"name": f"rule number {n:02d} " + "x" * 40, "when": {"camera": ["front-door"]},
             "then": {"severity": "info"}}
            for n in range(50)
        ]
    }  # fmt: skip
    with pytest.raises(RulesRefused, match=f"SSM standard parameters hold {MAX_DOCUMENT_CHARS}"):
        parse_rules(json.dumps(many))
    with pytest.raises(RulesRefused, match=r"\(document\): not JSON"):
        parse_rules("{rules: []")


def test_analyze_falls_back_to_the_defaults_never_to_silence() -> None:
    assert stored_rules(None) == (DEFAULT_RULES, "no rules stored")
    rules, why = stored_rules('{"rules": [{"name": "x"}]}')
    assert rules == DEFAULT_RULES and why.startswith("stored rules refused (rules[0].then")
    assert stored_rules(RULES.compact())[0] == RULES
    assert len(DEFAULT_RULES.compact()) < MAX_DOCUMENT_CHARS
