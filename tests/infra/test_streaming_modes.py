"""The three cloud paths of `-c streaming=false|true|images`: what each creates, that a
settings change stays deployable, and that analyze knows which camera each stream is."""

from __future__ import annotations

import json
import re

import pytest

from core.settings import KvsImagesSettings
from functions.kvs_images.logic import FINAL_PASS_MILLIS
from infra.config import ConfigError, DoormanConfig
from tests.infra.conftest import cdk_json_context, synthesize
from tests.infra.helpers import as_list, functions_by_package, ref_id
from tests.infra.test_environment import POWERTOOLS
from tests.infra.test_iam import WILDCARD_ACTION, render, statements

pytestmark = pytest.mark.infra

CAMERAS = ["front-door", "garage"]


def outputs(synth) -> dict[str, object]:
    return {key: value["Value"] for key, value in synth.json["Outputs"].items()}


def analyze_environment(synth) -> dict[str, str]:
    _, props = functions_by_package(synth)["analyze"]
    return props["Environment"]["Variables"]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return synthesize(
        "images", tmp_path_factory.mktemp("cdk-images"), streaming="images", cameras=CAMERAS
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """images mode with KVS image generation to S3 (producers that tag their fragments)."""
    return synthesize(
        "images",
        tmp_path_factory.mktemp("cdk-generated"),
        streaming="images",
        cameras=CAMERAS,
        kvs_image_delivery="generation",
    )


@pytest.fixture(scope="module")
def processors_at(tmp_path_factory):
    """The streaming stack synthesized at two face-match thresholds (and one repeat)."""

    def synth(threshold: int, tag: str):
        return synthesize(
            "streaming",
            tmp_path_factory.mktemp(f"cdk-threshold-{tag}"),
            cameras=CAMERAS,
            possible_match_threshold=threshold,
        )

    return {"80": synth(80, "80"), "85": synth(85, "85"), "80-again": synth(80, "80b")}


# -- config --------------------------------------------------------------------------------


def test_streaming_is_one_of_three_modes():
    def parsed(**overrides):
        return DoormanConfig.from_context({**cdk_json_context(), **overrides})

    default = parsed()
    assert (default.streaming, default.stream_processors, default.image_generation) == (
        False,
        False,
        False,
    )
    assert default.image_interval_seconds == 2
    for text, processors, images in (("true", True, False), ("images", False, True)):
        mode = parsed(streaming=text)
        assert (mode.stream_processors, mode.image_generation) == (processors, images)
    with pytest.raises(ConfigError, match="streaming: 'pictures' is not a streaming mode"):
        parsed(streaming="pictures")
    # KVS image generation cannot sample faster than every 200 ms.
    with pytest.raises(ConfigError, match="image_interval_seconds"):
        parsed(streaming="images", image_interval_seconds="0.1")


# -- defect 2: which camera a stream belongs to -------------------------------------------


def test_analyze_gets_the_stream_to_camera_map_in_every_mode(synthesized, images):
    default = analyze_environment(synthesized["default"])
    assert json.loads(default["STREAM_CAMERAS"]) == {}
    expected = {"Doorman-front-door": "front-door", "Doorman-garage": "garage"}
    for synth in (synthesized["streaming"], images):
        assert json.loads(analyze_environment(synth)["STREAM_CAMERAS"]) == expected
        assert outputs(synth)["Cameras"] == "front-door,garage"
        assert outputs(synth)["VideoStreams"] == "Doorman-front-door,Doorman-garage"
    assert outputs(synthesized["default"])["Cameras"] == "front-door"


def test_a_mixed_case_stack_name_maps_its_own_streams(tmp_path):
    synth = synthesize("streaming", tmp_path, stack_name="HomeCams", cameras=["Back_Yard", "porch"])
    streams = sorted(
        v["Properties"]["Name"] for v in synth.resources("AWS::KinesisVideo::Stream").values()
    )
    assert streams == ["HomeCams-Back_Yard", "HomeCams-porch"]
    assert json.loads(analyze_environment(synth)["STREAM_CAMERAS"]) == {
        "HomeCams-Back_Yard": "Back_Yard",
        "HomeCams-porch": "porch",
    }


# -- defect 3: a threshold change must be deployable ---------------------------------------


def processor_names(synth) -> dict[str, str]:
    """camera -> processor name, read through the video stream each processor reads."""
    streams = {
        logical_id: resource["Properties"]["Name"]
        for logical_id, resource in synth.resources("AWS::KinesisVideo::Stream").items()
    }
    return {
        streams[ref_id(p["Properties"]["KinesisVideoStream"]["Arn"])].removeprefix("Doorman-"): p[
            "Properties"
        ]["Name"]
        for p in synth.resources("AWS::Rekognition::StreamProcessor").values()
    }


def test_a_new_threshold_renames_every_processor_so_cloudformation_can_replace_it(
    processors_at,
):
    """FaceSearchSettings changes require replacement, and CloudFormation cannot replace a
    custom-named resource under the same name: the name must change with the settings."""
    at_80, at_85 = processor_names(processors_at["80"]), processor_names(processors_at["85"])
    assert set(at_80) == set(at_85) == set(CAMERAS)
    for camera in CAMERAS:
        assert re.fullmatch(rf"Doorman-{camera}-[0-9a-f]{{8}}", at_80[camera]), at_80[camera]
        assert at_80[camera] != at_85[camera]
        assert len(at_80[camera]) <= 128  # Rekognition's limit on processor names
    assert processor_names(processors_at["80-again"]) == at_80  # same settings, same names
    # The video streams keep their names: only the processors are replaced.
    for synth in processors_at.values():
        assert outputs(synth)["VideoStreams"] == "Doorman-front-door,Doorman-garage"


def test_processor_outputs_follow_the_renamed_processors(processors_at):
    for synth in processors_at.values():
        names = processor_names(synth)
        ordered = [names[camera] for camera in CAMERAS]
        values = outputs(synth)
        assert values["StreamProcessorName"] == ",".join(ordered)
        assert values["Cameras"] == ",".join(CAMERAS)  # the same order: ops/control.py
        for verb, key in (
            ("start", "StartStreamProcessorCommand"),
            ("stop", "StopStreamProcessorCommand"),
        ):
            parts = values[key]["Fn::Join"][1]
            command = "".join(p if isinstance(p, str) else "<region>" for p in parts)
            assert command == " && ".join(
                f"aws rekognition {verb}-stream-processor --name {name} --region <region>"
                for name in ordered
            )


# -- streaming=images ------------------------------------------------------------------------


def test_images_mode_has_video_streams_and_no_processor_or_data_stream(images):
    videos = images.resources("AWS::KinesisVideo::Stream")
    assert sorted(v["Properties"]["Name"] for v in videos.values()) == [
        "Doorman-front-door",
        "Doorman-garage",
    ]
    assert all(v["Properties"]["DataRetentionInHours"] > 0 for v in videos.values())
    assert not images.resources("AWS::Rekognition::StreamProcessor")
    assert not images.resources("AWS::Kinesis::Stream")  # so analyze reads no stream
    keys = set(outputs(images))
    assert {"VideoStreams", "Cameras"} <= keys
    assert not keys & {
        "StreamProcessorName",
        "FaceSearchStream",
        "StartStreamProcessorCommand",
        "StopStreamProcessorCommand",
    }


def test_each_stream_sends_a_jpeg_every_interval_to_its_camera_prefix(generated):
    images = generated
    resources = images.resources("Custom::AWS")
    assert len(resources) == len(CAMERAS)
    uploads = images.stack.get_logical_id(images.stack.storage.uploads.node.default_child)
    videos = set(images.resources("AWS::KinesisVideo::Stream"))
    seen = set()
    for resource in resources.values():
        props = resource["Properties"]
        create = _sdk_call(props["Create"])
        delete = _sdk_call(props["Delete"])
        update = _sdk_call(props["Update"])
        assert create["service"] == "KinesisVideo"
        assert create["action"] == "updateImageGenerationConfiguration"
        assert update == create
        assert create["parameters"]["StreamARN"].strip("<>") in videos
        configuration = create["parameters"]["ImageGenerationConfiguration"]
        camera = configuration["DestinationConfig"]["Uri"]["parts"][-1].rsplit("/", 1)[1]
        seen.add(camera)
        assert configuration["DestinationConfig"]["Uri"]["parts"] == [
            "s3://",
            f"<{uploads}>",
            f"/kvs/{camera}",
        ]
        assert configuration["Status"] == "ENABLED"
        assert configuration["Format"] == "JPEG"
        assert configuration["SamplingInterval"] == 2000  # ms: the 2 s default
        assert configuration["ImageSelectorType"] == "PRODUCER_TIMESTAMP"
        # Delete turns generation off for that stream, with the same (required) fields.
        assert delete["parameters"]["ImageGenerationConfiguration"] == {
            **configuration,
            "Status": "DISABLED",
        }
        assert delete["ignoreErrorCodesMatching"] == "ResourceNotFoundException"
    assert seen == set(CAMERAS)


def _sdk_call(value) -> dict:
    """An AwsCustomResource call property (a JSON string with tokens) as a dict; tokens are
    rendered `<LogicalId>` and strings built with Fn::Join become {"parts": [...]}."""
    if isinstance(value, str):
        return json.loads(value)
    parts = value["Fn::Join"][1]
    marks = {}
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            mark = f"@@{len(marks)}@@"
            marks[mark] = render(part) if "Ref" in part or "Fn::GetAtt" in part else part
            text += mark
    call = json.loads(text)

    def restore(node):
        if isinstance(node, dict):
            return {k: restore(v) for k, v in node.items()}
        if isinstance(node, str) and "@@" in node:
            pieces = [p for p in re.split(r"(@@\d+@@)", node) if p]
            if pieces == [node]:
                return marks[node]
            return {"parts": [marks.get(p, p) for p in pieces]}
        return node

    return restore(call)


def test_the_custom_resource_may_only_configure_those_streams(generated):
    images = generated
    videos = set(images.resources("AWS::KinesisVideo::Stream"))
    granted = []
    for kind, policy_id, statement in statements(images):
        if "kinesisvideo:UpdateImageGenerationConfiguration" in as_list(statement["Action"]):
            assert as_list(statement["Action"]) == [
                "kinesisvideo:UpdateImageGenerationConfiguration"
            ]
            granted += [ref_id(r) for r in as_list(statement["Resource"])]
        assert not [a for a in as_list(statement["Action"]) if WILDCARD_ACTION.match(a)] or (
            statement["Effect"] == "Deny" or kind == "AWS::KMS::Key"
        ), policy_id
    assert sorted(granted) == sorted(videos)


def test_the_edge_pushes_video_and_kvs_writes_images_with_its_permissions(generated):
    """KVS delivers the images with the permissions of the role that calls PutMedia (the
    developer guide's s3-real-time-image-create page): the edge role, on kvs/ only."""
    images = generated
    stack = images.stack
    edge = stack.get_logical_id(stack.edge.role.node.default_child)
    uploads = stack.get_logical_id(stack.storage.uploads.node.default_child)
    granted = {}
    for kind, policy_id, statement in statements(images):
        roles = images.json["Resources"][policy_id]["Properties"].get("Roles", [])
        if kind == "AWS::IAM::Policy" and edge in [ref_id(r) for r in roles]:
            granted[statement["Sid"]] = (
                sorted(as_list(statement["Action"])),
                sorted(render(r) for r in as_list(statement["Resource"])),
            )
    videos = sorted(f"<{v}>" for v in images.resources("AWS::KinesisVideo::Stream"))
    assert granted["PushVideo"] == (
        ["kinesisvideo:DescribeStream", "kinesisvideo:GetDataEndpoint", "kinesisvideo:PutMedia"],
        videos,
    )
    assert granted["DeliverKvsImages"] == (["s3:PutObject"], [f"<{uploads}>/kvs/*"])
    assert granted["UploadFrames"] == (["s3:PutObject"], [f"<{uploads}>/frames/*"])


def test_the_edge_may_not_write_kvs_images_when_the_poller_does(images):
    stack = images.stack
    edge = stack.get_logical_id(stack.edge.role.node.default_child)
    for kind, policy_id, statement in statements(images):
        roles = images.json["Resources"][policy_id]["Properties"].get("Roles", [])
        if kind == "AWS::IAM::Policy" and edge in [ref_id(r) for r in roles]:
            assert "kvs/" not in json.dumps(statement["Resource"]), statement


# -- streaming=images, the default delivery: the GetImages poller ---------------------------


def test_the_poller_is_the_default_delivery_and_configures_no_image_generation(images):
    assert DoormanConfig.from_context(cdk_json_context()).kvs_image_delivery == "poller"
    assert images.resources("Custom::AWS") == {}
    _, props = functions_by_package(images)["kvs_images"]
    variables = props["Environment"]["Variables"]
    assert set(variables) - POWERTOOLS == KvsImagesSettings.required_environment()
    streams = json.loads(variables["STREAM_CAMERAS"])
    assert streams == {f"Doorman-{camera}": camera for camera in CAMERAS}
    assert variables["IMAGE_INTERVAL_SECONDS"] == "2.0" and variables["POLL_SECONDS"] == "50"
    # Its last pass ends before the timeout: poll time + one interval + the final-pass margin.
    assert props["Timeout"] >= 50 + 2 + FINAL_PASS_MILLIS / 1000


def test_a_rule_runs_the_poller_every_minute_without_retries(images):
    function, _ = functions_by_package(images)["kvs_images"]
    ((rule_id, rule),) = [
        (rule_id, rule)
        for rule_id, rule in images.resources("AWS::Events::Rule").items()
        if [t["Arn"] for t in rule["Properties"]["Targets"]] == [{"Fn::GetAtt": [function, "Arn"]}]
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Properties"]["State"] == "ENABLED"
    (target,) = rule["Properties"]["Targets"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0
    (permission,) = [
        p["Properties"]
        for p in images.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
        and p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]}
    ]
    assert permission["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}


def test_the_poller_reads_only_the_camera_streams_and_writes_only_their_kvs_prefixes(images):
    _, props = functions_by_package(images)["kvs_images"]
    role = ref_id(props["Role"])
    uploads = images.stack.get_logical_id(images.stack.storage.uploads.node.default_child)
    state = images.stack.get_logical_id(images.stack.tables.state.node.default_child)
    videos = sorted(f"<{v}>" for v in images.resources("AWS::KinesisVideo::Stream"))
    granted = []
    for kind, policy_id, statement in statements(images):
        roles = images.json["Resources"][policy_id]["Properties"].get("Roles", [])
        if kind == "AWS::IAM::Policy" and role in [ref_id(r) for r in roles]:
            resources = sorted(render(r) for r in as_list(statement["Resource"]))
            granted.append((sorted(as_list(statement["Action"])), resources))
    assert (["kinesisvideo:GetDataEndpoint", "kinesisvideo:GetImages"], videos) in granted
    kvs = sorted(f"<{uploads}>/kvs/{camera}/*" for camera in CAMERAS)
    assert (["s3:PutObject"], kvs) in granted
    assert (["dynamodb:GetItem", "dynamodb:PutItem"], [f"<{state}>"]) in granted
    actions = {action for statement_actions, _ in granted for action in statement_actions}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "kinesisvideo:GetDataEndpoint",
        "kinesisvideo:GetImages",
        "s3:PutObject",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    }


def test_the_poller_has_an_error_alarm_and_its_metrics_on_the_dashboard(images):
    from infra.constructs.monitoring import IMAGE_METRICS

    function, _ = functions_by_package(images)["kvs_images"]
    alarmed = [
        alarm["Properties"]
        for alarm in images.resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "Errors"
        and [ref_id(d["Value"]) for d in alarm["Properties"]["Dimensions"]] == [function]
    ]
    assert len(alarmed) == 1
    (dashboard,) = images.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for service, name in IMAGE_METRICS:
        assert f'\\"Doorman\\",\\"{name}\\",\\"service\\",\\"{service}\\"' in body


@pytest.mark.parametrize("delivery", ["poller", "generation"])
def test_images_mode_passes_cdk_nag_with_narrow_reasoned_acknowledgements(tmp_path, delivery):
    """A real synth with the AwsSolutions pack plugged in (what `cdk synth` does)."""
    from aws_cdk import App

    from infra.app import build
    from infra.nag import acknowledgements, findings

    context = {
        **cdk_json_context(),
        "aws:cdk:bundling-stacks": [],
        "streaming": "images",
        "cameras": CAMERAS,
        "kvs_image_delivery": delivery,
    }
    app = App(context=context, outdir=str(tmp_path))
    stack = build(app, nag=True)
    app.synth()  # raises on any unacknowledged finding
    assert findings(app) == []
    for ack in acknowledgements(app):
        assert ack.path != stack.node.path, ack
        assert len(ack.reason) > 40, ack


def test_doorman_stream_finds_each_camera_s_renamed_processor(processors_at):
    """`doorman stream start --camera garage` reads the outputs as the CLI does."""
    import boto3

    from adapters.discovery import Target
    from core.resources import StackResources, output_key
    from ops import control

    synth = processors_at["85"]
    literal = {key: value for key, value in outputs(synth).items() if isinstance(value, str)}
    placeholders = {
        output_key(name): "x"
        for name, field in StackResources.model_fields.items()
        if field.is_required()
    }
    resources = StackResources.from_outputs({**placeholders, **literal})
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    target = Target(resources, "stack Doorman", session, stack_name="Doorman")
    names = processor_names(synth)
    for camera in CAMERAS:
        assert control.stream_processors(target, camera) == [names[camera]]
    assert control.stream_processors(target) == [names[camera] for camera in CAMERAS]
