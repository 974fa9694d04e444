"""Least privilege: no wildcard actions, '*' resources only where IAM allows nothing else,
and each role holds exactly the actions its code calls."""

from __future__ import annotations

import re

import pytest

from tests.infra.helpers import as_list, functions_by_package, ref_id, render

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
            if statement.get("Sid") == "FramesWriteOnce":  # tests/adversarial/test_write_once
                assert statement["Action"] == "s3:PutObject"
                continue
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
# Powertools idempotency (get/put/update/delete_item); cooldowns are conditional puts.
IDEMPOTENCY = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
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
    | {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "rekognition:IndexFaces",
        "rekognition:DeleteFaces",
        "rekognition:DetectFaces",
        # Rekognition users: one per person, holding their faces.
        "rekognition:CreateUser",
        "rekognition:AssociateFaces",
        "rekognition:DisassociateFaces",
        "rekognition:DeleteUser",
    },
    "analyze": COMMON
    | IDEMPOTENCY
    | {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "ssm:GetParameter",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:PutObject",
        "rekognition:DetectFaces",
        "rekognition:DetectLabels",
        "rekognition:SearchFacesByImage",
        "rekognition:SearchUsersByImage",  # borderline faces: each person's user vector
        # Remembered strangers: index a best crop, delete the one it replaces (and its crop).
        "rekognition:IndexFaces",
        "rekognition:DeleteFaces",
        "s3:DeleteObject",
        "sqs:SendMessage",
    },
    # A daily schedule, no queue: only logs and traces beside the erase.
    "expire_strangers": {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "dynamodb:Scan",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:BatchWriteItem",
        "rekognition:ListFaces",
        "rekognition:DeleteFaces",
        "s3:ListBucket",
        "s3:DeleteObject",
    },
    "notify": COMMON
    | IDEMPOTENCY
    | {
        "ssm:GetParameter",
        "s3:GetObject",
        "ses:SendEmail",
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


def test_edge_role_only_uploads_frames_and_pushes_its_video(each_mode):
    """No gallery read unless `edge_recognition` (tests/infra/test_edge_access.py)."""
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

    verdicts = stack.get_logical_id(stack.verdicts.queues["default"].node.default_child)
    expected = {
        "UploadFrames": (["s3:PutObject"], object_arn(uploads, "/frames/*")),
        # Its verdict queue (infra/constructs/verdicts.py): read and delete, nothing else.
        "ReadVerdicts": (
            ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            {"Fn::GetAtt": [verdicts, "Arn"]},
        ),
    }
    assert faces not in repr(granted)
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


# -- which resource each function action is allowed on ------------------------------------


def grants(stack, role_id: str) -> dict[str, set[tuple[str, str]]]:
    """action -> {(resource, condition)} over the IAM policies attached to `role_id`."""
    found: dict[str, set[tuple[str, str]]] = {}
    for policy in stack.resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        if role_id not in [ref_id(role) for role in props["Roles"]]:
            continue
        for statement in props["PolicyDocument"]["Statement"]:
            condition = repr(statement["Condition"]) if "Condition" in statement else ""
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    found.setdefault(action, set()).add((render(resource), condition))
    return found


def logical(each_mode, *path: str) -> str:
    node = each_mode.stack
    for name in path:
        node = node.node.find_child(name) if not hasattr(node, name) else getattr(node, name)
    return each_mode.stack.get_logical_id(node.node.default_child or node)


@pytest.fixture(scope="module")
def roles_and_ids(synthesized):
    """Per mode: (role logical id per function, logical ids of the resources they use)."""
    out = {}
    for mode, synth in synthesized.items():
        roles = {p: ref_id(props["Role"]) for p, (_, props) in functions_by_package(synth).items()}
        ids = {
            name: logical(synth, *path)
            for name, path in {
                "uploads": ("Storage", "uploads"),
                "faces": ("Storage", "faces"),
                "audit": ("Storage", "audit"),
                "people": ("Tables", "people"),
                "events": ("Tables", "events"),
                "sightings": ("Tables", "sightings"),
                "state": ("Tables", "state"),
                "alerts_queue": ("Alerts", "work", "queue"),
                "armed": ("Alerts", "armed"),
                "rules": ("Alerts", "rules"),
                "collection": ("Faces", "resource"),
                "strangers": ("Strangers", "resource"),
            }.items()
        }
        out[mode] = (roles, ids)
    return out


def test_s3_actions_are_on_the_buckets_and_prefixes_the_code_touches(each_mode, roles_and_ids):
    roles, ids = roles_and_ids[each_mode.mode]
    uploads, faces, audit = (f"<{ids[b]}>" for b in ("uploads", "faces", "audit"))
    frames = {(f"{uploads}/frames/*", ""), (f"{uploads}/kvs/*", "")}
    photos = {(f"{faces}/*", "")}
    expected = {
        "enroll": {
            "s3:GetObject": photos,
            # Rekognition reads photos over 5 MB as S3Object {Version}, as the caller.
            "s3:GetObjectVersion": photos,
            "s3:GetObjectTagging": photos,
            "s3:PutObjectTagging": photos,
            # 404 for a removed photo (so its faces are forgotten), not 403.
            "s3:ListBucket": {(faces, "")},
        },
        "analyze": {
            "s3:GetObject": frames,
            "s3:GetObjectTagging": frames,
            "s3:PutObjectTagging": frames,
            "s3:PutObject": {
                (f"{audit}/processed/*", ""),
                (f"{audit}/rekognition/*", ""),
                (f"{audit}/blurred/*", ""),  # privacy_blur: the blurred copy of a frame
                (f"{audit}/strangers/*", ""),  # strangers' best crops
            },
            "s3:DeleteObject": {(f"{audit}/strangers/*", "")},  # a crop a better one replaced
            "s3:ListBucket": {
                (
                    uploads,
                    repr({"StringLikeIfExists": {"s3:prefix": ["frames/*", "kvs/*"]}}),
                )
            },
        },
        "expire_strangers": {
            "s3:DeleteObject": {(f"{audit}/strangers/*", "")},
            "s3:ListBucket": {
                (audit, repr({"StringLikeIfExists": {"s3:prefix": ["strangers/*"]}}))
            },
        },
        # Presigned links are authorized as the signer: GetObject on the frames, and on the
        # blurred copies (privacy_blur).
        "notify": {"s3:GetObject": frames | {(f"{audit}/blurred/*", "")}},
    }
    for package, role in roles.items():
        granted = {a: r for a, r in grants(each_mode, role).items() if a.startswith("s3:")}
        assert granted == expected[package], package


def test_table_and_message_actions_are_on_the_right_resources(each_mode, roles_and_ids):
    roles, ids = roles_and_ids[each_mode.mode]

    def on(*names):
        return {(f"<{ids[name]}>", "") for name in names}

    expected = {
        "enroll": {
            "dynamodb:GetItem": on("people", "state"),
            "dynamodb:PutItem": on("people", "state"),
            "dynamodb:DeleteItem": on("people", "state"),
            "rekognition:IndexFaces": on("collection"),
            "rekognition:DeleteFaces": on("collection"),
            **{
                f"rekognition:{action}": on("collection")
                for action in ("CreateUser", "AssociateFaces", "DisassociateFaces", "DeleteUser")
            },
        },
        "analyze": {
            "dynamodb:BatchGetItem": on("people"),
            "dynamodb:BatchWriteItem": on("sightings"),
            "dynamodb:PutItem": on("events", "state"),
            "dynamodb:GetItem": on("state"),
            "dynamodb:UpdateItem": on("state"),
            "dynamodb:DeleteItem": on("state"),
            "rekognition:SearchFacesByImage": on("collection", "strangers"),
            "rekognition:SearchUsersByImage": on("collection"),
            "rekognition:IndexFaces": on("strangers"),
            "rekognition:DeleteFaces": on("strangers"),
            # The mode switch and the alert rules, nothing else.
            "ssm:GetParameter": {
                (render(_parameter_arn(each_mode, ids[name])), "") for name in ("armed", "rules")
            },
        },
        "notify": {name: on("state") for name in IDEMPOTENCY},
        "expire_strangers": {
            "dynamodb:Scan": on("state"),
            "dynamodb:DeleteItem": on("state"),
            "dynamodb:Query": on("sightings"),
            "dynamodb:BatchWriteItem": on("sightings"),
            "rekognition:ListFaces": on("strangers"),
            "rekognition:DeleteFaces": on("strangers"),
        },
    }
    for package, role in roles.items():
        granted = {
            action: resources
            for action, resources in grants(each_mode, role).items()
            if action.split(":")[0] in ("dynamodb", "rekognition", "ssm")
            and action not in UNSCOPABLE_ACTIONS
        }
        if package == "notify":
            (webhook,) = granted.pop("ssm:GetParameter")
            assert webhook[0].endswith(":parameter/doorman/webhook-url"), webhook
        assert granted == expected[package], package
    sends = grants(each_mode, roles["analyze"])["sqs:SendMessage"]
    assert (f"<{ids['alerts_queue']}>", "") in sends
    mail = grants(each_mode, roles["notify"])["ses:SendEmail"]
    assert len(mail) == len(each_mode.resources("AWS::SES::EmailIdentity")) == 2


def _parameter_arn(each_mode, parameter_id: str):
    """The ARN CDK renders for a parameter the stack creates (found in analyze's policy)."""
    for policy in each_mode.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Action"] == "ssm:GetParameter":
                resources = statement["Resource"]
                for resource in resources if isinstance(resources, list) else [resources]:
                    if parameter_id in repr(resource):
                        return resource
    raise AssertionError(f"no GetParameter grant on {parameter_id}")
