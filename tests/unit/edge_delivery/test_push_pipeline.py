"""The KVS pipeline builder: the argv it builds, and that no credential can get into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.push import (
    H264_AU_CAPS,
    PushError,
    build_pipeline,
    pipeline_elements,
)

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
ENV_WITH_SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_SESSION_TOKEN": TOKEN,
}


def test_rtsp_source_is_depayloaded_not_reencoded() -> None:
    argv = build_pipeline(
        "rtsp://127.0.0.1:8554/door",
        "door-cam",
        region="eu-west-1",
        environ=ENV_WITH_SECRETS,
    )
    assert argv == [
        "gst-launch-1.0", "-e",
        "rtspsrc", "location=rtsp://127.0.0.1:8554/door", "protocols=tcp", "latency=200", "!",
        "rtph264depay", "!",
        "h264parse", "!",
        "video/x-h264,stream-format=avc,alignment=au", "!",
        "kvssink", "stream-name=door-cam", "aws-region=eu-west-1",
    ]  # fmt: skip


def test_file_source_is_decoded_paced_and_encoded(tmp_path: Path) -> None:
    video = tmp_path / "front door.mp4"  # a space: gst-launch escapes it per argv item
    video.write_bytes(b"\x00")
    argv = build_pipeline(str(video), "door", region="us-east-1", bitrate_kbps=800)
    assert argv[2:6] == ["filesrc", f"location={video}", "!", "decodebin"]
    assert argv[7:9] == ["identity", "sync=true"]  # real-time pacing for a file
    assert "x264enc" in argv and "bitrate=800" in argv
    assert argv[-5:] == [H264_AU_CAPS, "!", "kvssink", "stream-name=door", "aws-region=us-east-1"]
    unpaced = build_pipeline(str(video), "door", region="us-east-1", realtime=False)
    assert "identity" not in unpaced


def test_usb_camera_is_encoded() -> None:
    argv = build_pipeline("/dev/video0", "door", region="us-east-1")
    assert argv[2:4] == ["v4l2src", "device=/dev/video0"]
    assert pipeline_elements(argv) == [
        "kvssink",
        "v4l2src",
        "videoconvert",
        "x264enc",
        "h264parse",
    ]  # fmt: skip  (the sink first: it is the likeliest to be missing)


def test_fakesink_replaces_kvssink_for_tests() -> None:
    argv = build_pipeline("rtsp://127.0.0.1/x", "door", sink="fakesink", rtsp_transport="udp")
    assert argv[-2:] == ["fakesink", "sync=false"]
    assert "protocols=udp" in argv
    assert not any(item.startswith(("stream-name", "aws-region")) for item in argv)


@pytest.mark.parametrize("name", ["access-key", "secret-key", "session-token"])
def test_credential_properties_are_refused(name: str) -> None:
    with pytest.raises(PushError, match="credential"):
        build_pipeline(
            "rtsp://127.0.0.1/x", "door", region="us-east-1", sink_properties={name: "value"}
        )


def test_no_credentials_in_argv_even_when_the_environment_has_them() -> None:
    argv = build_pipeline(
        "rtsp://127.0.0.1/x",
        "door",
        region="us-east-1",
        sink_properties={"storage-size": "256", "credential-path": "/etc/doorman/kvs-creds"},
        environ=ENV_WITH_SECRETS,
    )
    joined = " ".join(argv)
    assert "storage-size=256" in argv
    assert SECRET not in joined and TOKEN not in joined
    assert "AKIA" not in joined


def test_a_secret_value_smuggled_into_any_argument_is_refused() -> None:
    with pytest.raises(PushError, match="AWS_SECRET_ACCESS_KEY appears in the command line"):
        build_pipeline(
            f"rtsp://cam:{SECRET}@127.0.0.1/x", "door", region="us-east-1", environ=ENV_WITH_SECRETS
        )


@pytest.mark.parametrize(
    ("source", "stream", "region", "message"),
    [
        ("rtsp://127.0.0.1/x", "bad name!", "us-east-1", "not a valid KVS stream name"),
        ("rtsp://127.0.0.1/x", "door", None, "no AWS region"),
        ("http://127.0.0.1/x", "door", "us-east-1", "neither an rtsp:// URL"),
        ("/no/such/file.mp4", "door", "us-east-1", "neither an rtsp:// URL"),
        ('rtsp://127.0.0.1/a"b', "door", "us-east-1", "double quotes"),
    ],
)
def test_bad_input_gets_a_clear_error(source, stream, region, message) -> None:
    with pytest.raises(PushError, match=message):
        build_pipeline(source, stream, region=region, environ={})
