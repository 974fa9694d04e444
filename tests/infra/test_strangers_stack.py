"""The strangers in the template: their collection, the daily expiry schedule and function,
and what each may do (issue 13)."""

from __future__ import annotations

import pytest

from core.strangers import MAX_CROPS, STRANGER_RETENTION_DAYS, STRANGER_THRESHOLD
from tests.infra.helpers import functions_by_package, ref_id

pytestmark = pytest.mark.infra


def _strangers_collection(synth) -> tuple[str, dict]:
    stack = synth.stack
    logical = stack.get_logical_id(stack.strangers.resource)
    return logical, synth.resources("AWS::Rekognition::Collection")[logical]


def test_the_strangers_have_a_collection_of_their_own(each_mode):
    logical, collection = _strangers_collection(each_mode)
    assert collection["Properties"]["CollectionId"] == "Doorman-strangers"
    faces = each_mode.stack.get_logical_id(each_mode.stack.collection.resource)
    assert logical != faces
    # Retained with the data unless the context says destroy (the streaming synth does).
    policy = "Delete" if each_mode.mode == "streaming" else "Retain"
    assert collection["DeletionPolicy"] == policy
    outputs = each_mode.json["Outputs"]
    assert outputs["StrangersCollectionId"]["Value"] == "Doorman-strangers"
    (_, analyze) = functions_by_package(each_mode)["analyze"]
    variables = analyze["Environment"]["Variables"]
    assert variables["STRANGERS_COLLECTION_ID"] == "Doorman-strangers"
    assert float(variables["STRANGER_THRESHOLD"]) == STRANGER_THRESHOLD
    assert int(variables["STRANGER_CROPS"]) == MAX_CROPS


def test_a_daily_rule_invokes_the_expiry_and_nothing_else_may(each_mode):
    function_id, expire = functions_by_package(each_mode)["expire_strangers"]
    variables = expire["Environment"]["Variables"]
    assert int(variables["STRANGER_RETENTION_DAYS"]) == STRANGER_RETENTION_DAYS
    assert variables["STRANGERS_COLLECTION_ID"] == "Doorman-strangers"
    rules = {
        logical: rule
        for logical, rule in each_mode.resources("AWS::Events::Rule").items()
        if any(ref_id(t["Arn"]) == function_id for t in rule["Properties"].get("Targets", []))
    }
    ((rule_id, rule),) = rules.items()
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(1 day)"
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    permissions = [
        p["Properties"]
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if ref_id(p["Properties"]["FunctionName"]) == function_id
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": permissions[0]["FunctionName"],
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
        }
    ]
    # No queue feeds it: a schedule is its only trigger.
    mappings = each_mode.resources("AWS::Lambda::EventSourceMapping").values()
    assert not [m for m in mappings if ref_id(m["Properties"]["FunctionName"]) == function_id]


def test_the_expiry_is_watched_like_the_other_functions(each_mode):
    function_id, _ = functions_by_package(each_mode)["expire_strangers"]
    alarms = each_mode.resources("AWS::CloudWatch::Alarm").values()
    errors = [
        a
        for a in alarms
        if a["Properties"].get("MetricName") == "Errors"
        and any(ref_id(d["Value"]) == function_id for d in a["Properties"]["Dimensions"])
    ]
    assert len(errors) == 1
