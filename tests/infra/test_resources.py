"""Every resource the issue names is in the template, with the properties that matter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match

from infra.constructs.function import ASSET_PACKAGES, REPO_ROOT, RUNTIME
from tests.infra.helpers import (
    FUNCTIONS,
    IMAGES_MODE_ONLY,
    as_list,
    functions_by_package,
    ref_id,
)

pytestmark = pytest.mark.infra

# -- storage -------------------------------------------------------------------------------


def test_buckets_are_private_encrypted_and_tls_only(each_mode):
    buckets = each_mode.resources("AWS::S3::Bucket")
    assert len(buckets) == 4  # uploads, faces, audit, access logs
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policies = each_mode.resources("AWS::S3::BucketPolicy")
    tls_only = {
        ref_id(policy["Properties"]["Bucket"])
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    }
    assert tls_only == set(buckets)


def test_data_buckets_log_access_and_faces_is_versioned(each_mode):
    stack = each_mode.stack
    storage = stack.node.find_child("Storage")
    logical = {
        name: stack.get_logical_id(getattr(storage, name).node.default_child)
        for name in ("uploads", "faces", "audit", "access_logs")
    }
    buckets = each_mode.resources("AWS::S3::Bucket")
    for name in ("uploads", "faces", "audit"):
        logging = buckets[logical[name]]["Properties"]["LoggingConfiguration"]
        assert ref_id(logging["DestinationBucketName"]) == logical["access_logs"]
    assert buckets[logical["faces"]]["Properties"]["VersioningConfiguration"] == {
        "Status": "Enabled"
    }


def test_uploads_lifecycle_expires_by_classification_tag_and_by_prefix(each_mode):
    stack = each_mode.stack
    uploads = stack.get_logical_id(stack.node.find_child("Storage").uploads.node.default_child)
    rules = each_mode.resources("AWS::S3::Bucket")[uploads]["Properties"]["LifecycleConfiguration"][
        "Rules"
    ]

    def days(**match) -> int:
        for rule in rules:
            if all(rule.get(key) == value for key, value in match.items()):
                assert rule["Status"] == "Enabled"
                return rule["ExpirationInDays"]
        raise AssertionError(f"no lifecycle rule {match}")

    assert days(TagFilters=[{"Key": "classification", "Value": "quiet"}]) == 1
    assert days(TagFilters=[{"Key": "classification", "Value": "rejected"}]) == 1
    assert days(TagFilters=[{"Key": "classification", "Value": "alarm"}]) == 30
    assert days(Prefix="frames/") == 30  # catch-all: untagged or rejected frames
    assert days(Prefix="kvs/") == 30


def test_audit_bucket_expires(each_mode):
    stack = each_mode.stack
    audit = stack.get_logical_id(stack.node.find_child("Storage").audit.node.default_child)
    rules = each_mode.resources("AWS::S3::Bucket")[audit]["Properties"]["LifecycleConfiguration"][
        "Rules"
    ]
    expiring = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules}
    from infra.constructs.storage import AUDIT_EXPIRING_PREFIXES

    assert {"processed/", "rekognition/"} <= set(expiring)
    assert expiring == dict.fromkeys(AUDIT_EXPIRING_PREFIXES, 30)
    # Strangers' crops are erased by the expiry function, never by age alone.
    assert not any("strangers/".startswith(prefix) for prefix in expiring)


# What `removal_policy=retain` keeps after `cdk destroy`: the data, and the function logs.
RETAINED_TYPES = {
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::Rekognition::Collection",
    "AWS::Logs::LogGroup",
}


def test_removal_policy_follows_context(synthesized):
    retained = synthesized["default"].json["Resources"]
    destroyed = synthesized["streaming"].json["Resources"]
    for resources, policy in ((retained, "Retain"), (destroyed, "Delete")):
        for resource in resources.values():
            if resource["Type"] in RETAINED_TYPES:
                assert resource["DeletionPolicy"] == policy
    kept = {r["Type"] for r in retained.values() if r.get("DeletionPolicy") == "Retain"}
    assert kept == RETAINED_TYPES
    # destroy leaves nothing behind (a retained Kinesis shard, say, would bill on)
    kept = {r["Type"] for r in destroyed.values() if r.get("DeletionPolicy") == "Retain"}
    assert kept == set()
    # destroy empties the buckets first, so `cdk destroy` can delete them
    assert len(synthesized["streaming"].resources("Custom::S3AutoDeleteObjects")) == 4
    assert not synthesized["default"].resources("Custom::S3AutoDeleteObjects")


# -- tables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "keys", "ttl"),
    [
        ("people", [("person_id", "HASH")], None),
        ("events", [("camera_id", "HASH"), ("event_time", "RANGE")], "expires_at"),
        ("sightings", [("person_id", "HASH"), ("sighting_key", "RANGE")], "expires_at"),
        ("state", [("pk", "HASH")], "expires_at"),
    ],
)
def test_tables(each_mode, name, keys, ttl):
    stack = each_mode.stack
    table = getattr(stack.node.find_child("Tables"), name)
    props = each_mode.resources("AWS::DynamoDB::Table")[
        stack.get_logical_id(table.node.default_child)
    ]["Properties"]
    assert [(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]] == keys
    assert {a["AttributeType"] for a in props["AttributeDefinitions"]} == {"S"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    if ttl:
        assert props["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props


# -- queues and event sources --------------------------------------------------------------


def test_work_queues_have_dlq_encryption_and_tls(each_mode):
    queues = each_mode.resources("AWS::SQS::Queue")
    work = {qid: q for qid, q in queues.items() if "RedrivePolicy" in q["Properties"]}
    assert len(work) == 3  # enroll, frames, alerts
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    for queue in work.values():
        redrive = queue["Properties"]["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == 3
        assert ref_id(redrive["deadLetterTargetArn"]) in queues
    tls_only = {
        ref_id(queue_ref)
        for policy in each_mode.resources("AWS::SQS::QueuePolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for queue_ref in policy["Properties"]["Queues"]
    }
    assert tls_only == set(queues)


def test_a_queue_cannot_feed_a_consumer_slower_than_its_visibility_allows():
    from aws_cdk import Duration, Stack

    from infra.constructs.work_queue import WorkQueue

    stack = Stack()
    work = WorkQueue(stack, "Work", consumer_timeout=Duration.seconds(10))
    function = lambda_.Function(
        stack,
        "Slow",
        runtime=RUNTIME,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
        timeout=Duration.seconds(11),
    )
    with pytest.raises(ValueError, match="visibility timeout 60 s is under 6 x"):
        work.feed(function, batch_size=1)


def test_sqs_batch_sizes_are_the_shared_ones_the_local_router_uses(each_mode):
    from core.queues import BATCH_SIZES

    stack = each_mode.stack
    queue_of = {
        "enroll": stack.node.find_child("Enrollment").work.queue,
        "frames": stack.node.find_child("Analysis").work.queue,
        "alerts": stack.node.find_child("Alerts").work.queue,
    }
    sizes = {
        ref_id(m["Properties"]["EventSourceArn"]): m["Properties"]["BatchSize"]
        for m in each_mode.resources("AWS::Lambda::EventSourceMapping").values()
    }
    assert BATCH_SIZES == {"enroll": 5, "frames": 10, "alerts": 10}
    for name, queue in queue_of.items():
        assert sizes[stack.get_logical_id(queue.node.default_child)] == BATCH_SIZES[name], name


def test_sqs_consumers_report_batch_failures_and_visibility_is_six_timeouts(each_mode):
    queues = each_mode.resources("AWS::SQS::Queue")
    functions = each_mode.resources("AWS::Lambda::Function")
    mappings = [
        m["Properties"]
        for m in each_mode.resources("AWS::Lambda::EventSourceMapping").values()
        if ref_id(m["Properties"]["EventSourceArn"]) in queues
    ]
    assert len(mappings) == 3
    for mapping in mappings:
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue = queues[ref_id(mapping["EventSourceArn"])]["Properties"]
        timeout = functions[ref_id(mapping["FunctionName"])]["Properties"]["Timeout"]
        assert queue["VisibilityTimeout"] >= 6 * timeout


def test_bucket_notifications_feed_the_queues(each_mode):
    stack = each_mode.stack
    storage = stack.node.find_child("Storage")
    uploads = stack.get_logical_id(storage.uploads.node.default_child)
    faces = stack.get_logical_id(storage.faces.node.default_child)
    frames_queue = stack.get_logical_id(
        stack.node.find_child("Analysis").work.queue.node.default_child
    )
    enroll_queue = stack.get_logical_id(
        stack.node.find_child("Enrollment").work.queue.node.default_child
    )
    by_bucket = {
        ref_id(n["Properties"]["BucketName"]): n["Properties"]["NotificationConfiguration"]
        for n in each_mode.resources("Custom::S3BucketNotifications").values()
    }
    frames = by_bucket[uploads]["QueueConfigurations"]
    assert {
        (c["Events"][0], c["Filter"]["Key"]["FilterRules"][0]["Value"], ref_id(c["QueueArn"]))
        for c in frames
    } == {
        ("s3:ObjectCreated:*", "frames/", frames_queue),
        ("s3:ObjectCreated:*", "kvs/", frames_queue),
    }
    enroll = by_bucket[faces]["QueueConfigurations"]
    assert {(c["Events"][0], ref_id(c["QueueArn"])) for c in enroll} == {
        ("s3:ObjectCreated:*", enroll_queue),
        ("s3:ObjectTagging:Put", enroll_queue),
        ("s3:ObjectRemoved:*", enroll_queue),
    }


# -- functions -----------------------------------------------------------------------------


FUNCTIONS_DIR = REPO_ROOT / "functions"


def test_runtime_is_the_newest_python_cdk_offers():
    pythons = [
        getattr(lambda_.Runtime, name)
        for name in dir(lambda_.Runtime)
        if name.startswith("PYTHON_3_")
    ]
    newest = max(pythons, key=lambda runtime: int(runtime.name.split(".")[1]))
    assert RUNTIME.name == newest.name


def test_functions_share_the_defaults(each_mode):
    functions = functions_by_package(each_mode)
    assert set(functions) == FUNCTIONS - IMAGES_MODE_ONLY
    log_groups = each_mode.resources("AWS::Logs::LogGroup")
    roles = set()
    for package, (_, props) in functions.items():
        assert props["Handler"] == f"functions.{package}.handler.lambda_handler"
        assert props["Runtime"] == RUNTIME.name
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        log_group = log_groups[ref_id(props["LoggingConfig"]["LogGroup"])]["Properties"]
        assert log_group["RetentionInDays"] == 30
        # one layer, the stack's own (tests/infra/test_layer.py checks what it holds)
        assert [ref_id(layer) for layer in props["Layers"]] == list(
            each_mode.resources("AWS::Lambda::LayerVersion")
        )
        roles.add(ref_id(props["Role"]))
    assert len(roles) == len(functions)  # one role per function


def test_handlers_named_by_the_stack_exist_in_the_asset():
    """The asset holds core/, adapters/ and functions/; each handler module defines
    lambda_handler (parsed, not imported: importing would need the function's environment)."""
    assert ASSET_PACKAGES == ("core", "adapters", "functions")
    for package in FUNCTIONS:
        source = (FUNCTIONS_DIR / package / "handler.py").read_text()
        names = {
            node.targets[0].id if isinstance(node, ast.Assign) else node.name
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef | ast.Assign)
            and (not isinstance(node, ast.Assign) or isinstance(node.targets[0], ast.Name))
        }
        assert "lambda_handler" in names, package


def _shipped(path: Path) -> bool:
    """A package file Lambda needs: not a cache, not a dotfile."""
    parts = path.relative_to(REPO_ROOT).parts
    return not any(p == "__pycache__" or p.startswith(".") for p in parts) and path.suffix != ".pyc"


def test_the_function_asset_holds_exactly_core_adapters_and_functions(synthesized):
    """The staged asset the three functions share: every file of the three packages (the
    mail template included), and nothing else - no tests/, bench/, .venv, dotfiles or caches."""
    default = synthesized["default"]
    (key,) = {props["Code"]["S3Key"] for _, props in functions_by_package(default).values()}
    asset = Path(default.app.outdir) / f"asset.{key.removesuffix('.zip')}"
    assert sorted(p.name for p in asset.iterdir()) == sorted(ASSET_PACKAGES)
    staged = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()}
    expected = {
        p.relative_to(REPO_ROOT).as_posix()
        for package in ASSET_PACKAGES
        for p in (REPO_ROOT / package).rglob("*")
        if p.is_file() and _shipped(p)
    }
    assert staged == expected
    assert {f"functions/{package}/handler.py" for package in FUNCTIONS} <= staged
    assert "core/templates/alert_email.html" in staged


# -- alerts --------------------------------------------------------------------------------


def test_alerts_topic_identities_and_switches(each_mode):
    template = each_mode.template
    template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "owner@example.com"}
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )
    identities = {
        r["Properties"]["EmailIdentity"]
        for r in each_mode.resources("AWS::SES::EmailIdentity").values()
    }
    assert identities == {"doorman@example.com", "owner@example.com"}
    template.has_resource_properties("AWS::SSM::Parameter", {"Type": "String", "Value": "armed"})


def test_alarms_cover_every_dlq_and_function_and_publish_to_the_topic(each_mode):
    stack = each_mode.stack
    topic = stack.get_logical_id(stack.node.find_child("Alerts").topic.node.default_child)
    alarms = each_mode.resources("AWS::CloudWatch::Alarm")
    dlq_alarms = [a for a in alarms.values() if a["Properties"].get("Namespace") == "AWS/SQS"]
    error_alarms = [a for a in alarms.values() if a["Properties"].get("MetricName") == "Errors"]
    dlqs = 4 if each_mode.mode == "streaming" else 3  # + the Kinesis on-failure queue
    assert len(dlq_alarms) == dlqs
    assert len(error_alarms) == len(functions_by_package(each_mode))
    for alarm in alarms.values():
        assert [ref_id(action) for action in alarm["Properties"]["AlarmActions"]] == [topic]
        assert alarm["Properties"]["Threshold"] == 1
    assert len(each_mode.resources("AWS::CloudWatch::Dashboard")) == 1


ENROLLMENT_METRIC_EXPRESSION = "'Enrollment' + result.outcome.title().replace('-', '')"
# functions/observability.py: every handler reports Records through this helper, and
# RekognitionCalls when it passes the Rekognition adapter (`rekognition=`).
INVOCATION_METRICS = {"Records": None, "RekognitionCalls": "rekognition"}


def _metric_calls(tree: ast.AST) -> list[ast.expr]:
    """The `name=` of every `add_metric(...)` call, resolved through `name = ...` locals."""
    assigned = {
        node.targets[0].id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    names = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "add_metric":
            (name,) = [k.value for k in call.keywords if k.arg == "name"]
            names.append(assigned[name.id] if isinstance(name, ast.Name) else name)
    return names


def _emitted_metrics() -> set[tuple[str, str]]:
    """(service, name) for every metric the functions emit: literal `add_metric(name=...)`
    calls in any module of functions/<service>/, enroll's "Enrollment" + outcome names, and
    the shared invocation metrics of functions/observability.py."""
    from typing import get_args

    from core.enrollment import Outcome

    shared = ast.parse((FUNCTIONS_DIR / "observability.py").read_text())
    assert {ast.literal_eval(n) for n in _metric_calls(shared)} == set(INVOCATION_METRICS)
    for module in FUNCTIONS_DIR.glob("*.py"):  # no other shared module emits metrics
        if module.name != "observability.py":
            assert _metric_calls(ast.parse(module.read_text())) == [], module.name

    emitted = set()
    for service in FUNCTIONS:
        for module in sorted((FUNCTIONS_DIR / service).rglob("*.py")):
            tree = ast.parse(module.read_text())
            for name in _metric_calls(tree):
                if isinstance(name, ast.Constant):
                    emitted.add((service, name.value))
                else:  # enroll: "Enrollment" + result.outcome.title().replace("-", "")
                    assert service == "enroll", ast.unparse(name)
                    assert ast.unparse(name) == ENROLLMENT_METRIC_EXPRESSION
                    for outcome in (*get_args(Outcome), "removed"):
                        emitted.add((service, "Enrollment" + outcome.title().replace("-", "")))
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == (
                    "invocation_metrics"
                ):
                    given = {k.arg for k in call.keywords}
                    emitted |= {
                        (service, metric)
                        for metric, needs in INVOCATION_METRICS.items()
                        if needs is None or needs in given
                    }
    return emitted


def test_dashboard_shows_exactly_the_metrics_the_handlers_emit(synthesized):
    from infra.constructs.monitoring import CUSTOM_METRICS

    emitted = _emitted_metrics()
    assert {name for _, name in emitted} >= {
        "FramesAnalyzed",
        "FramesRejected",
        "FramesIgnored",
        "FacesDetected",
        "AlertsQueued",
        "AlertsSent",
        "WebhookPosts",
        "WebhookFailures",
        "RekognitionCalls",
        "Records",
        "EnrollmentIndexed",
        "EnrollmentNoFace",
        "EnrollmentRemoved",
    }
    assert set(CUSTOM_METRICS) == emitted
    (dashboard,) = synthesized["default"].resources("AWS::CloudWatch::Dashboard").values()
    body = "".join(
        part
        for part in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
        if isinstance(part, str)
    )
    for service, name in emitted:
        shown = f'"Doorman","{name}","service","{service}"' in body
        # The images poller's metrics are on its dashboard alone (test_streaming_modes.py).
        assert shown == (service not in IMAGES_MODE_ONLY), (service, name)


# -- streaming -----------------------------------------------------------------------------


def test_default_mode_has_no_streaming_resources(synthesized):
    default = synthesized["default"]
    for resource_type in (
        "AWS::KinesisVideo::Stream",
        "AWS::Kinesis::Stream",
        "AWS::Rekognition::StreamProcessor",
    ):
        assert not default.resources(resource_type)
    # The watchlists' collection and the remembered strangers' one.
    default.template.resource_count_is("AWS::Rekognition::Collection", 2)


def test_streaming_resources(synthesized):
    streaming = synthesized["streaming"]
    videos = streaming.resources("AWS::KinesisVideo::Stream")
    assert sorted(v["Properties"]["Name"] for v in videos.values()) == [
        "Doorman-front-door",
        "Doorman-garage",
    ]
    ((data_stream_id, data_stream),) = streaming.resources("AWS::Kinesis::Stream").items()
    assert data_stream["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS"
    faces = streaming.stack.collection.resource
    collection_id = streaming.stack.get_logical_id(faces)
    collection = streaming.resources("AWS::Rekognition::Collection")[collection_id]
    processors = streaming.resources("AWS::Rekognition::StreamProcessor")
    assert len(processors) == 2  # a processor reads exactly one video stream
    for processor in processors.values():
        props = processor["Properties"]
        threshold = props["FaceSearchSettings"]["FaceMatchThreshold"]
        assert 80 <= threshold <= 100  # Rekognition's 0-100 scale, not 0.80
        assert (
            props["FaceSearchSettings"]["CollectionId"] == collection["Properties"]["CollectionId"]
        )
        assert collection_id in processor["DependsOn"]
        assert ref_id(props["KinesisDataStream"]["Arn"]) == data_stream_id
        assert ref_id(props["KinesisVideoStream"]["Arn"]) in videos


def test_rekognition_role_is_limited_to_exactly_those_streams(synthesized):
    streaming = synthesized["streaming"]
    processors = streaming.resources("AWS::Rekognition::StreamProcessor").values()
    (role_id,) = {ref_id(p["Properties"]["RoleArn"]) for p in processors}
    statements = [
        statement
        for policy in streaming.resources("AWS::IAM::Policy").values()
        if role_id in [ref_id(role) for role in policy["Properties"]["Roles"]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    videos = set(streaming.resources("AWS::KinesisVideo::Stream"))
    (data_stream,) = streaming.resources("AWS::Kinesis::Stream")
    granted = {
        (tuple(sorted(s["Action"])), tuple(sorted(ref_id(r) for r in as_list(s["Resource"]))))
        for s in statements
    }
    assert granted == {
        (("kinesisvideo:GetDataEndpoint", "kinesisvideo:GetMedia"), tuple(sorted(videos))),
        (("kinesis:PutRecord", "kinesis:PutRecords"), (data_stream,)),
    }
    trust = streaming.json["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "rekognition.amazonaws.com"}


def test_analyze_consumes_the_stream_with_bisect_bounded_retries_and_failure_queue(synthesized):
    streaming = synthesized["streaming"]
    (data_stream,) = streaming.resources("AWS::Kinesis::Stream")
    analyze_id, _ = functions_by_package(streaming)["analyze"]
    (mapping,) = [
        m["Properties"]
        for m in streaming.resources("AWS::Lambda::EventSourceMapping").values()
        if ref_id(m["Properties"]["EventSourceArn"]) == data_stream
    ]
    assert ref_id(mapping["FunctionName"]) == analyze_id
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 5
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    destination = ref_id(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    assert destination in streaming.resources("AWS::SQS::Queue")
