"""The local Lambda runtime (localcloud.router) and the handlers' batch contract, offline."""

from __future__ import annotations

import base64
import contextlib
import json
import os
from datetime import UTC, datetime

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from core.settings import AnalyzeSettings, EnrollSettings, NotifySettings
from localcloud.router import (
    LambdaContext,
    LocalFunction,
    failed_ids,
    kinesis_record,
    sandbox,
    sqs_record,
)

ARN = "arn:aws:sqs:us-east-1:123456789012:doorman-enroll"
MESSAGE = {
    "MessageId": "m-1",
    "ReceiptHandle": "rh-1",
    "MD5OfBody": "abc",
    "Body": '{"Records": []}',
    "Attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1", "Junk": "x"},
    "MessageAttributes": {"severity": {"DataType": "String", "StringValue": "critical"}},
}
# Endpoints nobody listens on: these tests must not need the network.
OFFLINE = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ENDPOINT_URL_REKOGNITION": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
SETTINGS = {
    "enroll": EnrollSettings,
    "analyze": AnalyzeSettings,
    "notify": NotifySettings,
}


def test_sqs_records_have_the_lambda_shape() -> None:
    record = sqs_record(MESSAGE, ARN, "us-east-1")
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == ARN
    assert record["attributes"] == {"ApproximateReceiveCount": "2", "SentTimestamp": "1"}
    assert record["messageAttributes"]["severity"] == {
        "stringValue": "critical",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }


def test_kinesis_records_have_the_lambda_shape() -> None:
    got = {
        "SequenceNumber": "495",
        "PartitionKey": "cam",
        "Data": b'{"a": 1}',
        "ApproximateArrivalTimestamp": datetime(2026, 5, 1, tzinfo=UTC),
    }
    record = kinesis_record(got, "arn:aws:kinesis:us-east-1:1:stream/s", "shardId-0", "us-east-1")
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventID"] == "shardId-0:495"
    assert json.loads(base64.b64decode(record["kinesis"]["data"])) == {"a": 1}
    assert (
        record["kinesis"]["approximateArrivalTimestamp"]
        == datetime(2026, 5, 1, tzinfo=UTC).timestamp()
    )


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),
        ({"batchItemFailures": [{}]}, {"a", "b"}),
    ],
)
def test_partial_batch_responses_follow_lambdas_rules(response, failed) -> None:
    assert failed_ids(response, ["a", "b"]) == failed


def test_context_counts_down() -> None:
    context = LambdaContext("doorman-enroll", 512, 60, "us-east-1")
    assert 0 < context.get_remaining_time_in_millis() <= 60_000
    assert context.invoked_function_arn.endswith(":function:doorman-enroll")


def test_sandbox_sets_and_restores_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("DOORMAN_PROBE", "before")
    with sandbox({"DOORMAN_PROBE": "inside", "DOORMAN_NEW": "1"}):
        assert os.environ["DOORMAN_PROBE"] == "inside" and os.environ["DOORMAN_NEW"] == "1"
    assert os.environ["DOORMAN_PROBE"] == "before" and "DOORMAN_NEW" not in os.environ


def _env(name: str) -> dict[str, str]:
    """The variables the function cannot start without; the rest keep their defaults."""
    model = SETTINGS[name]
    env = {field.upper(): "x" for field, info in model.model_fields.items() if info.is_required()}
    env.update({"OWNER_EMAIL": "o@example.com", "SENDER_EMAIL": "s@example.com"})
    return {**OFFLINE, **env}


@pytest.mark.parametrize("name", ["enroll", "analyze"])
def test_one_bad_record_fails_alone(name: str) -> None:
    function = LocalFunction(name, _env(name), region="us-east-1")
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    good = {**MESSAGE, "MessageId": "good", "Body": json.dumps(test_event)}
    bad = {**MESSAGE, "MessageId": "bad", "Body": "{truncated"}
    response = function.invoke({"Records": [sqs_record(m, ARN, "us-east-1") for m in (good, bad)]})
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_a_batch_of_malformed_alerts_fails_whole() -> None:
    function = LocalFunction("notify", _env("notify"), region="us-east-1")
    bad = {**MESSAGE, "MessageId": "bad", "Body": '{"alert_id": "a"}'}
    with pytest.raises(BatchProcessingError):
        function.invoke({"Records": [sqs_record(bad, ARN, "us-east-1")]})


@pytest.mark.parametrize("name", ["enroll", "analyze", "notify"])
def test_a_cold_start_builds_no_aws_client_until_it_is_needed(name: str, monkeypatch) -> None:
    made: list[str] = []
    build = boto3.client

    def counted(service: str, *args, **kwargs):
        made.append(service)
        return build(service, *args, **kwargs)

    monkeypatch.setattr(boto3, "client", counted)
    function = LocalFunction(name, _env(name), region="us-east-1")
    assert made == [], "importing the handler made clients"

    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    record = sqs_record({**MESSAGE, "Body": json.dumps(test_event)}, ARN, "us-east-1")
    with contextlib.suppress(BatchProcessingError):  # notify: not an alert
        function.invoke({"Records": [record]})
    expected = {"notify": []}.get(name, ["rekognition"])  # counted for RekognitionCalls
    assert made == expected, "only what the invocation used"


def test_a_reload_gets_fresh_wiring() -> None:
    function = LocalFunction("analyze", _env("analyze"), region="us-east-1")
    first = function.module.deps
    with function.reconfigured(COOLDOWN_SECONDS="60") as changed:
        assert changed.module.deps is not first
        assert changed.module.deps.settings.cooldown_seconds == 60
    assert function.module.deps.settings.cooldown_seconds == 300
