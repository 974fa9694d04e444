"""Least privilege: no wildcard actions, '*' resources only where IAM allows nothing else,
and each role holds exactly the actions its code calls."""

from __future__ import annotations

import re

import pytest

from tests.infra.helpers import as_list, functions_by_package, ref_id

pytestmark = pytest.mark.infra

# APIs with no resource type: IAM accepts only "*" for them.
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",  # tracing (X-Ray has no resource-level permissions)
    "xray:PutTelemetryRecords",
    "rekognition:DetectFaces",  # image APIs: they read an image, not a collection
    "rekognition:DetectLabels",
}
WILDCARD_ACTION = re.compile(r"^(\*|[a-z0-9-]+:\*)$")
POLICY_TYPES = {
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
}


def statements(stack):
    """(resource type, logical id, statement) for every policy statement in the template."""
    for logical_id, resource in stack.json["Resources"].items():
        kind = resource["Type"]
        props = resource.get("Properties", {})
        documents = []
        if kind in POLICY_TYPES:
            documents.append(props[POLICY_TYPES[kind]])
        if kind == "AWS::IAM::Role":
            documents += [policy["PolicyDocument"] for policy in props.get("Policies", [])]
        for document in documents:
            for statement in document["Statement"]:
                yield kind, logical_id, statement


def is_root_delegation(kind, statement) -> bool:
    """The standard first statement of a KMS key policy: the account (through IAM) may
    administer and use its own key. Key policies always name Resource '*' (the key)."""
    principal = statement.get("Principal", {}).get("AWS", {})
    return (
        kind == "AWS::KMS::Key"
        and statement["Action"] == "kms:*"
        and "Fn::Join" in principal
        and principal["Fn::Join"][1][-1] == ":root"
    )


def test_no_statement_allows_every_action(each_mode):
    checked = denied = 0
    for kind, logical_id, statement in statements(each_mode):
        checked += 1
        wildcards = [a for a in as_list(statement["Action"]) if WILDCARD_ACTION.match(a)]
        if statement["Effect"] == "Deny":
            # The TLS-only guards deny every action over plain HTTP: wildcards are right there.
            assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            denied += 1
        elif not is_root_delegation(kind, statement):
            assert not wildcards, f"{logical_id} allows {wildcards}"
    assert checked > 30
    assert denied >= 4 + 6  # every bucket and every queue (and the topic)


def test_star_resources_only_for_apis_without_resource_types(each_mode):
    unscoped = set()
    for kind, logical_id, statement in statements(each_mode):
        if kind == "AWS::KMS::Key" or statement["Effect"] != "Allow":
            continue  # a key policy's Resource "*" means "this key"
        if "*" in as_list(statement.get("Resource", [])):
            actions = set(as_list(statement["Action"]))
            assert actions <= UNSCOPABLE_ACTIONS, f"{logical_id}: {actions - UNSCOPABLE_ACTIONS}"
            unscoped |= actions
    assert unscoped == UNSCOPABLE_ACTIONS


def role_actions(stack, role_id: str) -> set[str]:
    """Every action in the IAM policies attached to `role_id`."""
    actions = set()
    for policy in stack.resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        if role_id in [ref_id(role) for role in props["Roles"]]:
            for statement in props["PolicyDocument"]["Statement"]:
                actions |= set(as_list(statement["Action"]))
    return actions


COMMON = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
DYNAMO_READ = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
}
DYNAMO_WRITE = {
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
}
SSM_READ = {
    "ssm:DescribeParameters",
    "ssm:GetParameter",
    "ssm:GetParameterHistory",
    "ssm:GetParameters",
}
KINESIS_READ = {
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamConsumer",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:ListStreams",
    "kinesis:SubscribeToShard",
}
EXPECTED = {
    "enroll": COMMON
    | DYNAMO_READ
    | DYNAMO_WRITE
    | {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "rekognition:IndexFaces",
        "rekognition:DeleteFaces",
        "rekognition:ListFaces",
        "rekognition:SearchFaces",
        "rekognition:DetectFaces",
    },
    "analyze": COMMON
    | DYNAMO_READ
    | DYNAMO_WRITE
    | SSM_READ
    | {
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:PutObject",
        "rekognition:DetectFaces",
        "rekognition:DetectLabels",
        "rekognition:SearchFacesByImage",
        "sqs:SendMessage",
    },
    "notify": COMMON
    | DYNAMO_READ
    | DYNAMO_WRITE
    | SSM_READ
    | {
        "s3:GetObject",
        "ses:SendEmail",
        "ses:SendRawEmail",
        "sns:Publish",
        "kms:Decrypt",
        "kms:GenerateDataKey*",
    },
}


def test_each_function_role_holds_exactly_what_its_code_calls(each_mode):
    for package, (_, props) in functions_by_package(each_mode).items():
        expected = set(EXPECTED[package])
        if package == "analyze" and each_mode.mode == "streaming":
            expected |= KINESIS_READ
        assert role_actions(each_mode, ref_id(props["Role"])) == expected, package


def test_edge_role_only_uploads_frames_reads_gallery_and_pushes_its_video(each_mode):
    stack = each_mode.stack
    edge = stack.get_logical_id(stack.node.find_child("Edge").role.node.default_child)
    uploads = stack.get_logical_id(stack.node.find_child("Storage").uploads.node.default_child)
    faces = stack.get_logical_id(stack.node.find_child("Storage").faces.node.default_child)
    granted = {}
    for kind, policy_id, statement in statements(each_mode):
        roles = each_mode.json["Resources"][policy_id]["Properties"].get("Roles", [])
        if kind == "AWS::IAM::Policy" and edge in [ref_id(r) for r in roles]:
            granted[statement["Sid"]] = (
                sorted(as_list(statement["Action"])),
                statement["Resource"],
            )

    def object_arn(bucket, suffix):
        return {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, suffix]]}

    expected = {
        "UploadFrames": (["s3:PutObject"], object_arn(uploads, "/frames/*")),
        "ListGallery": (["s3:ListBucket"], {"Fn::GetAtt": [faces, "Arn"]}),
        "ReadGallery": (["s3:GetObject", "s3:GetObjectTagging"], object_arn(faces, "/*")),
    }
    if each_mode.mode == "streaming":
        videos = sorted(each_mode.resources("AWS::KinesisVideo::Stream"))
        actions, resources = granted.pop("PushVideo")
        assert actions == [
            "kinesisvideo:DescribeStream",
            "kinesisvideo:GetDataEndpoint",
            "kinesisvideo:PutMedia",
        ]
        assert sorted(ref_id(r) for r in as_list(resources)) == videos
    assert granted == expected
