"""`doorman stream`: which processors a camera means, and the calls made for them.

The Rekognition calls are checked against botocore's own API model with its Stubber
(the local face service has no stream processors, and AWS closed them to new accounts)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from adapters.discovery import Target
from core.resources import StackResources
from ops import control
from ops.people import OperatorError

REQUIRED = {n: "x" for n, f in StackResources.model_fields.items() if f.is_required()}


def _target(processors: str, stack: str = "Doorman") -> Target:
    resources = StackResources(**REQUIRED, stream_processor_name=processors)
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return Target(resources, f"stack {stack}", session, stack_name=stack)


def test_camera_selects_its_own_processor_only():
    target = _target("Doorman-front-door,Doorman-back-door")
    assert control.stream_processors(target, "front-door") == ["Doorman-front-door"]
    assert control.stream_processors(target) == ["Doorman-front-door", "Doorman-back-door"]
    with pytest.raises(OperatorError, match="no stream processor for camera 'door'"):
        control.stream_processors(target, "door")
    # Without a stack name (localcloud), the camera is the end of the name.
    assert control.stream_processors(_target("x-back-door", ""), "back-door") == ["x-back-door"]


def test_no_streaming_path_is_explained():
    with pytest.raises(OperatorError, match="streaming=true"):
        control.stream_processors(_target(""))


def test_start_calls_each_processor_then_reports_its_status():
    target = _target("Doorman-front-door")
    client = target.client("rekognition")
    with Stubber(client) as stub:
        stub.add_response("start_stream_processor", {}, {"Name": "Doorman-front-door"})
        stub.add_response(
            "describe_stream_processor",
            {"Name": "Doorman-front-door", "Status": "STARTING"},
            {"Name": "Doorman-front-door"},
        )
        statuses = control.start_streams(target, "front-door")
        stub.assert_no_pending_responses()
    assert statuses == [control.ProcessorStatus("Doorman-front-door", "STARTING", "")]


def test_an_account_without_streaming_gets_a_clear_message():
    target = _target("Doorman-front-door")
    with Stubber(target.client("rekognition")) as stub:
        stub.add_client_error("start_stream_processor", "AccessDeniedException", "not allowed")
        with pytest.raises(OperatorError, match="2026-04-30"):
            control.start_streams(target)
