"""edge_agent.verdicts and edge_agent.mqtt without a network: config, escaping, payloads."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from edge_agent.config import AgentConfig
from edge_agent.mqtt import discovery, state, topic_safe
from edge_agent.verdicts import Verdict, VerdictSettings, _environment

HOSTILE = {
    "alert_id": "a1", "severity": "critical", "reason": "barred-person",
    "camera_id": "porch/#+", "event_time": "2026-05-01T12:00:00Z",
    "people": [{"person_id": "x", "name": '"}; rm -rf / #<b>', "watchlist": "barred",
                "similarity": 99.0}],
    "frame_url": "https://example.com/f.jpg?X-Amz-Signature=abc",
}  # fmt: skip


def test_the_verdicts_section_is_validated() -> None:
    config = AgentConfig(
        verdicts={"queue_url": "https://sqs/q", "actions": {"critical": ["/usr/bin/siren"]}}
    )
    assert config.verdicts.actions == {"critical": ["/usr/bin/siren"]}
    assert config.verdicts.max_age_seconds == 600
    with pytest.raises(ValidationError):
        VerdictSettings(wait_seconds=30)  # SQS long polls 20 s at most
    with pytest.raises(ValidationError):
        VerdictSettings(discovery_prefix="home/#")
    with pytest.raises(ValidationError):
        VerdictSettings(queue="typo")


def test_names_cannot_form_topics_commands_or_payloads() -> None:
    verdict = Verdict.model_validate(HOSTILE)
    assert topic_safe(verdict.camera_id) == "porch___"
    topics = discovery(verdict.camera_id)
    assert all("#" not in t and "+" not in t for t in topics)
    assert set(topics) == {
        f"homeassistant/sensor/doorman_porch___/{field}/config"
        for field in ("person", "severity", "frame")
    }
    payload = json.dumps(state(verdict))
    assert json.loads(payload)["person"] == '"}; rm -rf / #<b>'
    # the command gets the name as an environment variable, never in argv or a shell line
    assert _environment(verdict)["DOORMAN_WHO"] == '"}; rm -rf / #<b>'
