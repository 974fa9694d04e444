"""The README's example alert rules (docs/rules-example.json), end to end in localcloud:
`doorman rules set` stores them, analyze applies them to real photos through the face
service, notify mails through moto's SES (read back at GET /moto-api/data.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from core.rules import DEFAULT_RULES, RulesDocument, parse_rules

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "docs" / "rules-example.json"
OWNER, POLICE = "owner@example.com", "police@example.com"


def doorman(cloud, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--local-dir", str(cloud.local.data_dir)])


@pytest.fixture(scope="module")
def rules(cloud, gallery) -> Iterator[RulesDocument]:
    """The example rules stored with the CLI; the defaults and mode away put back after."""
    result = doorman(cloud, "rules", "set", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "stored 5 rule(s)" in result.output
    yield parse_rules(EXAMPLE.read_text())
    cloud.ssm.put_parameter(
        Name=cloud.r.rules_parameter, Value=DEFAULT_RULES.compact(), Type="String", Overwrite=True
    )
    cloud.set_armed("armed")


def frame(cloud, body: bytes, camera: str, mode: str) -> dict[str, Any]:
    """Upload one frame in `mode`; its Events item."""
    assert doorman(cloud, "mode", mode).exit_code == 0
    key = cloud.put_frame(body, camera=camera)
    cloud.drain()
    (event,) = [e for e in cloud.events(camera) if e["image_key"] == key]
    return event


def mails(cloud, event: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in cloud.emails() if event["alert_id"] in m["body"]]


def sns_ids(cloud) -> set[str]:
    return {m["alert_id"] for m in cloud.sns_messages()}


def test_grace_arrives_at_front_door_is_an_info_mail_to_the_owner(cloud, rules, augmented):
    event = frame(cloud, augmented("grace_hopper", 5), "front-door", "away")
    assert [f["status"] for f in event["faces"]] == ["known"]
    assert (event["rule"], event["alert_status"]) == ("Grace arrives at front-door", "sent")
    assert event["severity"] == "info", "the frame itself is not alarming"
    assert cloud.audit_json(event["processed_key"])["rule"] == "Grace arrives at front-door"
    (mail,) = mails(cloud, event)
    assert mail["destinations"]["ToAddresses"] == [OWNER]
    assert mail["subject"] == "Doorman info: Seen: Grace Hopper at front-door"
    assert "<td>Grace arrives at front-door</td>" in mail["body"]
    assert event["alert_id"] not in sns_ids(cloud), "the rule asks for email only"

    # `doorman rules test` on the stored event says the same, and why the rules before it
    # did not fire.
    result = doorman(cloud, "rules", "test", f"front-door/{event['event_time']}", "--mode", "away")
    assert result.exit_code == 0, result.output
    assert "Grace Hopper (known):" in result.output
    assert "- barred: critical to owner and authorities, always: no, Grace Hopper (known) " \
        "is not on the barred watchlist" in result.output  # fmt: skip
    assert "=> Grace arrives at front-door: info by email to owner" in result.output


def test_strangers_at_night_warn_and_strangers_at_home_do_not(cloud, rules, sample_faces):
    stranger = sample_faces["luispedro"].read_bytes()
    night = frame(cloud, stranger, "rules-yard", "night")
    assert (night["rule"], night["alert_status"]) == ("strangers at night", "sent")
    (mail,) = mails(cloud, night)
    assert mail["subject"].startswith("Doorman warning: Unknown person at rules-yard")
    assert mail["destinations"]["ToAddresses"] == [OWNER]
    assert night["alert_id"] in sns_ids(cloud)

    home = frame(cloud, stranger, "rules-shed", "home")
    assert (home["rule"], home["alert_status"]) == ("", "disarmed")
    assert home["severity"] == "warning", "still an alarming frame, kept as such"
    assert mails(cloud, home) == []


def test_barred_is_critical_to_owner_and_authorities_always(cloud, rules, sample_faces):
    # Home, and on the street camera the next rule silences: the barred rule comes first.
    event = frame(cloud, sample_faces["astronaut"].read_bytes(), "street", "home")
    assert [f["status"] for f in event["faces"]] == ["barred"]
    assert event["rule"] == "barred: critical to owner and authorities, always"
    (mail,) = mails(cloud, event)
    assert sorted(mail["destinations"]["ToAddresses"]) == [OWNER, POLICE]
    assert mail["subject"] == "Doorman critical: Barred person: Eileen Collins at street"
    assert event["alert_id"] in sns_ids(cloud)


def test_nothing_from_the_street_camera_while_home(cloud, rules, sample_faces):
    stranger = sample_faces["luispedro"].read_bytes()
    home = frame(cloud, stranger, "street", "home")
    assert (home["rule"], home["alert_status"]) == (
        "nothing from the street camera while home",
        "silenced",
    )
    assert mails(cloud, home) == [] and home["alert_id"] not in sns_ids(cloud)

    away = frame(cloud, stranger, "street", "away")  # the silence took no cooldown slot
    assert (away["rule"], away["alert_status"]) == ("strangers while away", "sent")
    assert len(mails(cloud, away)) == 1


def test_a_bad_document_is_refused_by_path_and_the_rules_stay(cloud, rules, tmp_path):
    before = cloud.ssm.get_parameter(Name=cloud.r.rules_parameter)["Parameter"]["Value"]
    bad = json.loads(EXAMPLE.read_text())
    bad["rules"][2]["when"]["camera"] = ["gardn"]
    bad["rules"][3]["when"]["person"] = "Nobody Here"
    bad["rules"][3]["when"].pop("stranger")
    (tmp_path / "bad.json").write_text(json.dumps(bad))

    result = doorman(cloud, "rules", "set", str(tmp_path / "bad.json"))
    assert result.exit_code == 1
    assert 'rules[2].when.camera: unknown camera "gardn"' in result.output
    assert 'rules[3].when.person: nobody enrolled is called "Nobody Here"' in result.output
    assert "the stored rules stay in force" in result.output
    after = cloud.ssm.get_parameter(Name=cloud.r.rules_parameter)["Parameter"]["Value"]
    assert after == before

    shown = doorman(cloud, "rules", "show")
    assert shown.exit_code == 0 and json.loads(shown.output) == json.loads(
        json.dumps(rules.model_dump(mode="json", exclude_defaults=True))
    )
