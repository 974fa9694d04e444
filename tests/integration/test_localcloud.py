"""localcloud provisions what the stack creates, with the same roles and keys."""

from __future__ import annotations

import json
import threading
import time

import pytest

from core.resources import StackResources
from core.settings import AnalyzeSettings, EnrollSettings, KvsImagesSettings, NotifySettings
from localcloud.provision import LocalConfig, function_environments

pytestmark = pytest.mark.integration


def test_resources_file_has_the_stack_output_keys(local_cloud) -> None:
    outputs = json.loads(local_cloud.resources_file.read_text())
    assert set(outputs) == set(StackResources.output_keys().values())
    assert StackResources.from_file(local_cloud.resources_file) == local_cloud.resources
    endpoints = json.loads((local_cloud.data_dir / "endpoints.json").read_text())
    assert set(endpoints) == {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_REKOGNITION"}


def test_tables_have_the_contract_keys_and_ttls(cloud) -> None:
    expected = {
        cloud.r.people_table: ([("person_id", "HASH")], None),
        cloud.r.events_table: ([("camera_id", "HASH"), ("event_time", "RANGE")], "expires_at"),
        cloud.r.sightings_table: (
            [("person_id", "HASH"), ("sighting_key", "RANGE")],
            "expires_at",
        ),
        cloud.r.state_table: ([("pk", "HASH")], "expires_at"),
    }
    for table, (keys, ttl) in expected.items():
        described = cloud.dynamodb.describe_table(TableName=table)["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in described["KeySchema"]] == keys
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        spec = cloud.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        assert spec.get("AttributeName") == ttl, table


def test_work_queues_have_dlqs_after_three_receives(cloud) -> None:
    for url in (cloud.r.frames_queue_url, cloud.r.enroll_queue_url, cloud.r.alerts_queue_url):
        attributes = cloud.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
        assert policy["maxReceiveCount"] == 3
        assert policy["deadLetterTargetArn"].endswith(url.rsplit("/", 1)[1] + "-dlq")


def test_buckets_are_private_and_notify_the_right_queues(cloud) -> None:
    s3, r = cloud.s3, cloud.r
    assert s3.get_bucket_versioning(Bucket=r.faces_bucket)["Status"] == "Enabled"
    for bucket in (r.uploads_bucket, r.faces_bucket, r.audit_bucket):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values())
        assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]

    frames_arn = cloud.local.queue_arn(r.frames_queue_url)
    uploads = s3.get_bucket_notification_configuration(Bucket=r.uploads_bucket)
    prefixes = sorted(
        rule["Value"]
        for config in uploads["QueueConfigurations"]
        if config["QueueArn"] == frames_arn and config["Events"] == ["s3:ObjectCreated:*"]
        for rule in config["Filter"]["Key"]["FilterRules"]
    )
    assert prefixes == ["frames/", "kvs/"]
    (faces,) = s3.get_bucket_notification_configuration(Bucket=r.faces_bucket)[
        "QueueConfigurations"
    ]
    assert faces["QueueArn"] == cloud.local.queue_arn(r.enroll_queue_url)
    assert sorted(faces["Events"]) == [
        "s3:ObjectCreated:*",
        "s3:ObjectRemoved:*",
        "s3:ObjectTagging:Put",
    ]


def test_identities_switches_and_collection(cloud) -> None:
    identities = cloud.local.client("ses").list_identities()["Identities"]
    assert {"owner@example.com", "doorman@example.com", "police@example.com"} <= set(identities)
    armed = cloud.ssm.get_parameter(Name=cloud.r.armed_parameter)["Parameter"]["Value"]
    assert armed == "armed"
    described = cloud.rekognition.describe_collection(CollectionId=cloud.r.collection_id)
    assert described["FaceCount"] >= 0
    assert cloud.r.alerts_topic_arn.endswith(":" + cloud.local.config.name("alerts"))


def test_functions_get_exactly_their_settings_plus_runtime_variables(local_cloud) -> None:
    envs = function_environments(local_cloud.resources, local_cloud.config)
    assert set(envs["enroll"]) == EnrollSettings.required_environment()
    assert set(envs["analyze"]) == AnalyzeSettings.required_environment()
    assert set(envs["notify"]) == NotifySettings.required_environment()
    assert set(envs["kvs_images"]) == KvsImagesSettings.required_environment()
    for name, function in local_cloud.functions.items():
        env = function.environment()
        assert {k: env[k] for k in envs[name]} == envs[name]
        assert env["AWS_ENDPOINT_URL"] == local_cloud.env()["AWS_ENDPOINT_URL"]
        assert env["AWS_ENDPOINT_URL_REKOGNITION"]
        assert env["AWS_LAMBDA_FUNCTION_NAME"] == local_cloud.config.name(name)
        assert env["_HANDLER"] == f"functions.{name}.handler.lambda_handler"


def test_run_cloud_serves_until_stopped(tmp_path) -> None:
    """What `doorman local up` runs: its own servers, resources.json, then a clean stop."""
    from localcloud.cloud import run_cloud

    stop = threading.Event()
    config = LocalConfig(prefix="dmup")
    thread = threading.Thread(
        target=run_cloud, kwargs={"data_dir": tmp_path, "config": config, "stop_event": stop}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "resources.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        resources = StackResources.from_file(tmp_path / "resources.json")
        assert resources.uploads_bucket == "dmup-uploads"
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
