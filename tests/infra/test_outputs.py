"""The outputs are exactly what the `doorman` CLI reads (core.resources), plus a few
for people."""

from __future__ import annotations

import re

import pytest

from core.resources import StackResources
from infra.stack import HUMAN_OUTPUTS

pytestmark = pytest.mark.infra

STREAMING_ONLY = {"StreamProcessorName", "VideoStreams", "FaceSearchStream"}
STREAMING_HUMAN = {"StartStreamProcessorCommand", "StopStreamProcessorCommand"}


def test_output_keys_match_the_cli_model(each_mode):
    keys = set(each_mode.json["Outputs"])
    model = set(StackResources.output_keys().values())
    if each_mode.mode == "streaming":
        assert keys - set(HUMAN_OUTPUTS) == model
        assert keys & set(HUMAN_OUTPUTS) == set(HUMAN_OUTPUTS)
    else:
        assert keys - set(HUMAN_OUTPUTS) == model - STREAMING_ONLY
        assert keys & set(HUMAN_OUTPUTS) == set(HUMAN_OUTPUTS) - STREAMING_HUMAN


def test_stream_outputs_name_every_camera(synthesized):
    outputs = synthesized["streaming"].json["Outputs"]
    names = ["Doorman-front-door", "Doorman-garage"]
    # A processor's name is its stream's plus a hash of its face-search settings.
    processors = outputs["StreamProcessorName"]["Value"].split(",")
    assert [p.rsplit("-", 1)[0] for p in processors] == names
    assert all(re.fullmatch(r"[0-9a-f]{8}", p.rsplit("-", 1)[1]) for p in processors)
    assert outputs["VideoStreams"]["Value"] == ",".join(names)
    for verb, key in (
        ("start", "StartStreamProcessorCommand"),
        ("stop", "StopStreamProcessorCommand"),
    ):
        parts = outputs[key]["Value"]["Fn::Join"][1]
        command = "".join(p if isinstance(p, str) else "<region>" for p in parts)
        assert command == " && ".join(
            f"aws rekognition {verb}-stream-processor --name {name} --region <region>"
            for name in processors
        )


def test_fixed_outputs(synthesized):
    outputs = synthesized["default"].json["Outputs"]
    assert outputs["CollectionId"]["Value"] == "Doorman-faces"
    assert outputs["WebhookParameter"]["Value"] == "/doorman/webhook-url"
    assert "doorman@example.com" in outputs["SesVerification"]["Value"]
