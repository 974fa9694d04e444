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
