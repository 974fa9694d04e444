"""The alert rules and the mode in the synthesized stack (issue 14)."""

from __future__ import annotations

import re

import pytest

from core.rules import DEFAULT_RULES, parse_rules
from tests.infra.helpers import functions_by_package

pytestmark = pytest.mark.infra


def _parameter(each_mode, construct: str) -> tuple[str, dict]:
    stack = each_mode.stack
    node = stack.node.find_child("Alerts").node.find_child(construct).node.default_child
    logical = stack.get_logical_id(node)
    return logical, each_mode.resources("AWS::SSM::Parameter")[logical]["Properties"]


def test_the_stack_creates_the_rules_parameter_holding_the_defaults(each_mode) -> None:
    logical, props = _parameter(each_mode, "Rules")
    assert props["Type"] == "String" and props["Tier"] == "Standard"
    assert parse_rules(props["Value"]) == DEFAULT_RULES
    _, analyze = functions_by_package(each_mode)["analyze"]
    assert analyze["Environment"]["Variables"]["RULES_PARAMETER"] == {"Ref": logical}
    outputs = each_mode.json["Outputs"]
    assert outputs["RulesParameter"]["Value"] == {"Ref": logical}


def test_the_mode_switch_takes_the_three_modes_and_the_old_values(each_mode) -> None:
    _, props = _parameter(each_mode, "Armed")
    pattern = re.compile(props["AllowedPattern"])
    for value in ("home", "away", "night", "armed", "disarmed"):
        assert pattern.match(value), value
    assert not pattern.match("holiday")


def test_privacy_blur_reaches_analyze_and_bad_values_are_refused(each_mode) -> None:
    from infra.config import ConfigError, DoormanConfig
    from tests.infra.conftest import cdk_json_context

    _, analyze = functions_by_package(each_mode)["analyze"]
    assert analyze["Environment"]["Variables"]["PRIVACY_BLUR"] == "none"
    context = cdk_json_context()
    assert DoormanConfig.from_context({**context, "privacy_blur": "known"}).privacy_blur == "known"
    with pytest.raises(ConfigError, match="privacy_blur"):
        DoormanConfig.from_context({**context, "privacy_blur": "everyone"})


def test_each_edge_device_reads_its_own_verdict_queue(each_mode) -> None:
    """One queue per device, subscribed to the alerts topic with raw delivery and a filter
    on the device's cameras; SNS may send to it only from this topic; the device's role may
    only receive, delete and read attributes on it."""
    stack = each_mode.stack
    topic = stack.get_logical_id(stack.node.find_child("Alerts").topic.node.default_child)
    queues = {
        device: stack.get_logical_id(queue.node.default_child)
        for device, queue in stack.verdicts.queues.items()
    }
    assert list(queues) == ["default"]
    (subscription,) = [
        r["Properties"]
        for r in each_mode.resources("AWS::SNS::Subscription").values()
        if r["Properties"]["Protocol"] == "sqs"
    ]
    assert subscription["TopicArn"] == {"Ref": topic}
    assert subscription["Endpoint"] == {"Fn::GetAtt": [queues["default"], "Arn"]}
    assert subscription["RawMessageDelivery"] is True
    assert subscription["FilterPolicy"] == {"camera_id": list(stack.config.cameras)}

    (policy,) = [
        r["Properties"]
        for r in each_mode.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queues["default"]} in r["Properties"]["Queues"]
    ]
    (send,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == "sqs:SendMessage"]
    assert send["Principal"] == {"Service": "sns.amazonaws.com"}
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}}

    role = stack.edge.roles["default"]
    statements = [
        s
        for r in each_mode.resources("AWS::IAM::Policy").values()
        if {"Ref": stack.get_logical_id(role.node.default_child)} in r["Properties"]["Roles"]
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if any(str(a).startswith("sqs:") for a in _list(s["Action"]))
    ]
    assert [(sorted(_list(s["Action"])), s["Resource"]) for s in statements] == [
        (
            ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            {"Fn::GetAtt": [queues["default"], "Arn"]},
        )
    ]
    queue = each_mode.resources("AWS::SQS::Queue")[queues["default"]]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 86400


def _list(value):
    return value if isinstance(value, list) else [value]


def test_blurred_copies_expire_with_the_events(each_mode) -> None:
    stack = each_mode.stack
    audit = stack.get_logical_id(stack.storage.audit.node.default_child)
    rules = each_mode.json["Resources"][audit]["Properties"]["LifecycleConfiguration"]["Rules"]
    (blurred,) = [r for r in rules if r.get("Prefix") == "blurred/"]
    assert blurred["ExpirationInDays"] == stack.config.event_retention_days
    assert blurred["Status"] == "Enabled"
