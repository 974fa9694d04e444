"""infra/config.py: cdk.json context is validated once, with errors that name the key."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, DoormanConfig
from tests.infra.conftest import cdk_json_context

pytestmark = pytest.mark.infra


def config(**overrides):
    return DoormanConfig.from_context({**cdk_json_context(), **overrides})


def error_for(**overrides) -> str:
    with pytest.raises(ConfigError) as raised:
        config(**overrides)
    return str(raised.value)


def test_cdk_json_defaults_are_valid_and_feature_flags_ignored():
    context = cdk_json_context()
    assert any(key.startswith("@aws-cdk/") for key in context)
    parsed = config()
    assert parsed.stack_name == "Doorman"
    assert (parsed.known_threshold, parsed.barred_threshold) == (90, 95)
    assert parsed.streaming is False
    assert parsed.removal_policy == "retain"
    assert parsed.alarm_labels == ["Person", "Human"]


def test_command_line_strings_are_parsed():
    """`-c key=value` gives strings; they must mean what the user typed."""
    parsed = config(
        streaming="true",
        known_threshold="92.5",
        cameras="front-door,garage",
        authorities_emails="police@example.org, guard@example.org",
        alarm_labels='["Person", "Dog"]',
    )
    assert parsed.streaming is True
    assert parsed.known_threshold == 92.5
    assert parsed.cameras == ["front-door", "garage"]
    assert parsed.authorities_emails == ["police@example.org", "guard@example.org"]
    assert parsed.alarm_labels == ["Person", "Dog"]
    assert parsed.recipient_emails == [
        "doorman@example.com",
        "owner@example.com",
        "police@example.org",
        "guard@example.org",
    ]


def test_bad_email_names_the_key():
    message = error_for(owner_email="not-an-email")
    assert "owner_email" in message
    assert "not-an-email" in message


def test_bad_email_in_a_list_names_the_key():
    assert "authorities_emails" in error_for(authorities_emails="ok@example.org,broken@")


def test_threshold_out_of_range_names_the_key():
    message = error_for(known_threshold=120)
    assert "known_threshold" in message
    assert "100" in message


def test_unknown_key_names_the_key():
    message = error_for(know_threshold=91)
    assert "know_threshold" in message
    assert "unknown context key" in message


def test_barred_below_known_names_both_keys_and_values():
    message = error_for(known_threshold=92, barred_threshold=91)
    assert "barred_threshold: 91 must be at least known_threshold (92)" in message


def test_every_problem_is_reported_at_once():
    message = error_for(owner_email="x", barred_threshold=-1, colour="red")
    for key in ("owner_email", "barred_threshold", "colour"):
        assert key in message


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"barred_threshold": 85}, "barred_threshold"),
        ({"possible_match_threshold": 95}, "possible_match_threshold"),
        ({"quiet_retention_days": 60}, "quiet_retention_days"),
        ({"cameras": "a,a"}, "cameras"),
        ({"cameras": "front door"}, "cameras"),
        ({"removal_policy": "sometimes"}, "removal_policy"),
        ({"log_retention_days": 31}, "log_retention_days"),
        ({"webhook_parameter": "no-leading-slash"}, "webhook_parameter"),
        ({"stack_name": "1-bad"}, "stack_name"),
    ],
)
def test_inconsistent_values_name_the_key(overrides, key):
    assert key in error_for(**overrides)


def test_building_the_app_fails_with_the_key_named():
    from aws_cdk import App

    from infra.app import build

    app = App(context={**cdk_json_context(), "sender_email": "doorman-at-example"})
    with pytest.raises(ConfigError, match="sender_email"):
        build(app, nag=False)
