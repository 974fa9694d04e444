"""Edge roles: one per device, writing only its own cameras' frames (and video streams), and
reading the faces bucket only when `edge_recognition` asks for local recognition."""

from __future__ import annotations

import json

import pytest

from infra.config import ConfigError, DoormanConfig
from tests.infra.conftest import Synthesized, cdk_json_context, synthesize
from tests.infra.helpers import as_list, ref_id, render

pytestmark = pytest.mark.infra

DEVICES = {"porch-pi": ["front-door", "garage"], "yard-pi": ["back-yard"]}
CAMERAS = ["front-door", "garage", "back-yard"]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("default", tmp_path_factory.mktemp("cdk-gallery"), edge_recognition=True)


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Streaming, three cameras on two devices, given as `-c devices=<json>` would be."""
    return synthesize(
        "streaming",
        tmp_path_factory.mktemp("cdk-devices"),
        cameras=CAMERAS,
        devices=json.dumps(DEVICES),
    )


def edge_statements(synth: Synthesized, role_id: str) -> dict[str, tuple[list[str], list[str]]]:
    """Sid -> (sorted actions, sorted rendered resources) for the policies of `role_id`."""
    granted = {}
    for policy in synth.resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        if role_id in [ref_id(role) for role in props["Roles"]]:
            for statement in props["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow" and "Condition" not in statement
                granted[statement["Sid"]] = (
                    sorted(as_list(statement["Action"])),
                    sorted(render(r) for r in as_list(statement["Resource"])),
                )
    return granted


def ids(synth: Synthesized) -> dict[str, str]:
    stack = synth.stack
    storage = stack.storage
    return {
        "uploads": stack.get_logical_id(storage.uploads.node.default_child),
        "faces": stack.get_logical_id(storage.faces.node.default_child),
        **{
            f"role:{name}": stack.get_logical_id(role.node.default_child)
            for name, role in stack.edge.roles.items()
        },
        **{
            f"queue:{name}": stack.get_logical_id(queue.node.default_child)
            for name, queue in stack.verdicts.queues.items()
        },
    }


# Each device reads its own verdict queue (infra/constructs/verdicts.py), nothing more.
VERDICT_ACTIONS = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]


def test_by_default_the_edge_reads_nothing_of_the_faces_bucket(synthesized):
    synth = synthesized["default"]
    found = ids(synth)
    assert list(synth.stack.edge.roles) == ["default"]
    granted = edge_statements(synth, found["role:default"])
    assert granted == {
        "UploadFrames": (["s3:PutObject"], [f"<{found['uploads']}>/frames/*"]),
        "ReadVerdicts": (VERDICT_ACTIONS, [f"<{found['queue:default']}>"]),
    }
    assert found["faces"] not in json.dumps(granted)


def test_edge_recognition_grants_only_what_gallery_sync_reads(gallery):
    found = ids(gallery)
    granted = edge_statements(gallery, found["role:default"])
    faces = f"<{found['faces']}>"
    assert granted == {
        "UploadFrames": (["s3:PutObject"], [f"<{found['uploads']}>/frames/*"]),
        "ReadVerdicts": (VERDICT_ACTIONS, [f"<{found['queue:default']}>"]),
        "ListGallery": (["s3:ListBucket"], [faces]),
        "ReadGallery": (["s3:GetObject", "s3:GetObjectTagging"], [f"{faces}/*"]),
    }


def test_the_default_device_keeps_the_single_edge_role_output(synthesized):
    for synth in synthesized.values():
        outputs = synth.json["Outputs"]
        role = ids(synth)["role:default"]
        assert outputs["EdgeRoleArn"]["Value"] == {"Fn::GetAtt": [role, "Arn"]}
        assert json.loads(render(outputs["EdgeRoleArns"]["Value"])) == {"default": f"<{role}>"}


def test_each_device_writes_only_its_own_cameras_frames_and_streams(devices):
    found = ids(devices)
    uploads = f"<{found['uploads']}>"
    streams = {
        camera: f"<{devices.stack.get_logical_id(stream)}>"
        for camera, stream in devices.stack.streaming.video_streams.items()
    }
    assert set(devices.stack.edge.roles) == set(DEVICES)
    for device, cameras in DEVICES.items():
        granted = edge_statements(devices, found[f"role:{device}"])
        assert granted == {
            "UploadFrames": (
                ["s3:PutObject"],
                sorted(f"{uploads}/frames/{camera}/*" for camera in cameras),
            ),
            "PushVideo": (
                [
                    "kinesisvideo:DescribeStream",
                    "kinesisvideo:GetDataEndpoint",
                    "kinesisvideo:PutMedia",
                ],
                sorted(streams[camera] for camera in cameras),
            ),
            "ReadVerdicts": (VERDICT_ACTIONS, [f"<{found[f'queue:{device}']}>"]),
        }, device
        others = [c for c in CAMERAS if c not in cameras]
        text = json.dumps(granted)
        assert not [c for c in others if f"/frames/{c}/" in text or streams[c] in text]


def test_device_roles_are_named_in_the_outputs(devices):
    found = ids(devices)
    outputs = devices.json["Outputs"]
    assert "EdgeRoleArn" not in outputs  # no single role to name
    assert json.loads(render(outputs["EdgeRoleArns"]["Value"])) == {
        device: f"<{found[f'role:{device}']}>" for device in DEVICES
    }
    roles = devices.resources("AWS::IAM::Role")
    for device in DEVICES:
        assert device in roles[found[f"role:{device}"]]["Properties"]["Description"]


# -- the context keys -------------------------------------------------------------------------


def config(**overrides) -> DoormanConfig:
    return DoormanConfig.from_context({**cdk_json_context(), **overrides})


def error_for(**overrides) -> str:
    with pytest.raises(ConfigError) as raised:
        config(**overrides)
    return str(raised.value)


def test_edge_keys_default_to_one_device_without_the_gallery():
    parsed = config()
    assert parsed.edge_recognition is False
    assert parsed.devices == {}
    assert config(edge_recognition="true").edge_recognition is True
    assert config(cameras=CAMERAS, devices=json.dumps(DEVICES)).devices == DEVICES


@pytest.mark.parametrize(
    ("devices", "expected"),
    [
        ({"porch-pi": ["attic"]}, "'attic' is not one of cameras"),
        ({"porch pi": ["front-door"]}, "'porch pi' is not a valid device name"),
        ({"p" * 65: ["front-door"]}, "at most 64"),
        ({"porch-pi": []}, "at least 1"),
        ({"a": ["front-door"], "b": ["front-door"]}, "'front-door' is on devices a and b"),
        ({"Porch": ["front-door"], "porch": ["garage"]}, "differ only in case"),
        ({"porch-pi": ["front-door", "front-door"]}, "listed twice"),
    ],
)
def test_bad_devices_name_the_key(devices, expected):
    message = error_for(cameras=["front-door", "garage"], devices=devices)
    assert "devices" in message and expected in message, message


def test_devices_from_the_command_line_must_be_a_json_object():
    assert "devices" in error_for(devices="porch-pi=front-door")


def test_with_image_generation_each_device_delivers_kvs_images_only_for_its_cameras(
    tmp_path_factory,
):
    """KVS image generation writes images with the PutMedia caller's permissions: a device's
    role may put kvs/{camera}/ objects of its own cameras, never another device's. (With the
    default poller no edge role may write kvs/ at all: tests/infra/test_streaming_modes.py.)"""
    synth = synthesize(
        "images",
        tmp_path_factory.mktemp("cdk-devices-images"),
        streaming="images",
        kvs_image_delivery="generation",
        cameras=CAMERAS,
        devices=json.dumps(DEVICES),
    )
    found = ids(synth)
    uploads = f"<{found['uploads']}>"
    for device, cameras in DEVICES.items():
        granted = edge_statements(synth, found[f"role:{device}"])
        assert granted["DeliverKvsImages"] == (
            ["s3:PutObject"],
            sorted(f"{uploads}/kvs/{camera}/*" for camera in cameras),
        )
