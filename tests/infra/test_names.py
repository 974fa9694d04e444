"""Names built from stack_name and the camera ids fit the services that receive them
(defect 5: a stream processor name could reach 129 characters, Rekognition allows 128).

The limits in infra/config.py are compared with botocore's service models here, so they
cannot drift from what the APIs accept.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import botocore
import pytest

from infra.config import (
    COLLECTION_ID,
    NAME_RULES,
    PROCESSOR_NAME_SUFFIX_LENGTH,
    STREAM_PROCESSOR_NAME,
    VIDEO_STREAM_NAME,
    ConfigError,
    DoormanConfig,
)
from tests.infra.conftest import cdk_json_context

pytestmark = pytest.mark.infra

BOTOCORE_DATA = Path(botocore.__file__).parent / "data"


def config(**overrides) -> DoormanConfig:
    return DoormanConfig.from_context({**cdk_json_context(), **overrides})


def error_for(**overrides) -> str:
    with pytest.raises(ConfigError) as raised:
        config(**overrides)
    return str(raised.value)


def _shape(service: str, shape: str) -> dict:
    (model,) = sorted((BOTOCORE_DATA / service).glob("*/service-2.json*"))[-1:]
    opener = gzip.open if model.suffix == ".gz" else open
    with opener(model, "rt") as handle:
        return json.load(handle)["shapes"][shape]


@pytest.mark.parametrize("rule", NAME_RULES, ids=lambda rule: rule.shape)
def test_limits_are_the_ones_in_botocores_models(rule):
    shape = _shape(rule.service, rule.shape)
    assert shape["max"] == rule.max_length
    assert shape.get("min", 1) == 1
    assert shape["pattern"] == rule.pattern


def test_the_settings_hash_suffix_is_one_constant():
    """streaming.py may append `-{hash8}` to processor names: validated as the worst case."""
    assert len("-0123abcd") == PROCESSOR_NAME_SUFFIX_LENGTH
    assert {STREAM_PROCESSOR_NAME, VIDEO_STREAM_NAME, COLLECTION_ID} <= set(NAME_RULES)


def test_a_camera_id_that_makes_the_processor_name_too_long_names_its_index():
    stack = "Doorman-" + "x" * 52  # 60 characters
    message = error_for(stack_name=stack, cameras=["front-door", "c" * 64])
    assert "cameras[1]" in message
    assert "cameras[0]" not in message
    assert "stream processor" in message
    assert "128" in message
    # the exact worst case that used to pass: 60 + 1 + 64 + 9 = 134 characters
    assert "134" in message


def test_the_longest_names_that_fit_are_accepted():
    budget = 128 - PROCESSOR_NAME_SUFFIX_LENGTH - 1  # "{stack}-{camera}" + suffix <= 128
    stack = "D" + "o" * 63  # 64 characters, the old maximum
    parsed = config(stack_name=stack, cameras=["c" * (budget - len(stack))])
    name = f"{parsed.stack_name}-{parsed.cameras[0]}"
    assert len(name) + PROCESSOR_NAME_SUFFIX_LENGTH == 128
    assert "stream processor" in error_for(stack_name=stack, cameras=["c" * (budget - 63)])


def test_a_stack_name_that_leaves_no_room_for_any_camera_names_stack_name():
    message = error_for(stack_name="D" + "o" * 117, cameras=["a"])  # 118 + 1 + 1 + 9 = 129
    assert "stack_name" in message
    assert "stream processor" in message
    assert "cameras[" not in message  # the stack name is the problem, not the camera


def test_stack_names_up_to_cloudformations_limit_are_allowed_when_names_fit():
    """CloudFormation allows 128 characters; only the generated names bound it further."""
    parsed = config(stack_name="D" + "o" * 99, cameras=["garage"])
    assert parsed.collection_id == "D" + "o" * 99 + "-faces"
    assert "stack_name" in error_for(stack_name="D" + "o" * 128)


@pytest.mark.parametrize(
    "name",
    [
        "/aws/doorman/webhook",  # reserved prefix
        "/SSM/webhook",  # reserved, case-insensitive
        "/" + "/".join(["level"] * 16),  # deeper than 15 levels
        "/" + "w" * 1000,  # the full ARN would pass 1011 characters
        "/doorman/web hook",
    ],
)
def test_webhook_parameter_names_past_ssm_rules_are_refused(name):
    assert "webhook_parameter" in error_for(webhook_parameter=name)


def test_webhook_parameter_names_within_ssm_rules_are_accepted():
    deep = "/" + "/".join(["level"] * 15)
    assert config(webhook_parameter=deep).webhook_parameter == deep
    assert config(webhook_parameter="/home/awsome-hook").webhook_parameter == "/home/awsome-hook"


def test_patterns_match_whole_names():
    assert re.fullmatch(STREAM_PROCESSOR_NAME.pattern, "Doorman-front-door")
    assert not STREAM_PROCESSOR_NAME.fits("Doorman-front door")
    assert not VIDEO_STREAM_NAME.fits("x" * 257)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"cameras": ["front-door\n"]}, "cameras"),
        ({"stack_name": "Doorman\n"}, "stack_name"),
        ({"webhook_parameter": "/doorman/webhook-url\n"}, "webhook_parameter"),
    ],
)
def test_a_trailing_newline_is_not_part_of_a_valid_name(overrides, key):
    """`$` also matches before a final newline: names are matched whole."""
    assert key in error_for(**overrides)
