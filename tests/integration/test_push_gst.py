"""`doorman push` with real GStreamer: the pipeline runs up to fakesink, credentials travel
only through a private credential file that is rewritten before they expire, a killed
pipeline is restarted, SIGTERM stops it cleanly, and a missing kvssink gets build
instructions."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import rtsp

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOORMAN = [sys.executable, "-c", "from cli import main; main()"]
SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYzzSECRETzz"
FRAMES = 30


def make_video(path: Path, frames: int, size: str = "160x120") -> Path:
    width, height = size.split("x")
    subprocess.run(
        [
            "gst-launch-1.0", "-q",
            "videotestsrc", f"num-buffers={frames}", "pattern=ball", "!",
            f"video/x-raw,format=I420,width={width},height={height},framerate=15/1", "!",
            "x264enc", "!", "mp4mux", "!", "filesink", f"location={path}",
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("push videos")  # a space on purpose
    return {
        "short": make_video(folder / "front door.mp4", FRAMES),
        "long": make_video(folder / "long.mp4", 15 * 60),  # a minute at real time
    }


def env_with_credentials(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(REPO),
        **extra,
    }


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for_child(pid: int, other_than: int | None = None, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for kid in children(pid):
            try:  # gst-inspect children come and go while we look
                command = Path(f"/proc/{kid}/cmdline").read_bytes()
            except OSError:
                continue
            if kid != other_than and b"gst-launch" in command:
                return kid
        time.sleep(0.05)
    raise AssertionError("no gst-launch child appeared")


def test_file_pipeline_runs_to_fakesink_with_kvs_ready_caps(videos: dict[str, Path]) -> None:
    result = subprocess.run(
        [
            *DOORMAN, "push", str(videos["short"]), "--stream", "door",
            "--sink", "fakesink", "--sink-property", "silent=false",
            "--as-fast-as-possible", "--verbose",
        ],
        env=env_with_credentials(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    buffers = [line for line in result.stdout.splitlines() if "last-message = chain" in line]
    assert len(buffers) == FRAMES  # every frame reached the sink as one access unit
    sink_caps = [
        line
        for line in result.stdout.splitlines()
        if "GstFakeSink" in line and "GstPad:sink: caps =" in line
    ]
    assert sink_caps and "stream-format=(string)avc, alignment=(string)au" in sink_caps[0]
    assert "chroma-format=(string)4:2:0" in sink_caps[0]
    assert "pipeline finished" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_killed_pipeline_restarts_and_sigterm_stops_cleanly(videos: dict[str, Path]) -> None:
    process = subprocess.Popen(
        [
            *DOORMAN, "push", str(videos["long"]), "--stream", "door",
            "--sink", "fakesink", "--max-backoff", "1",
        ],
        env=env_with_credentials(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        first = wait_for_child(process.pid)
        # Credentials reach kvssink through its credential file: never argv or environment.
        assert SECRET.encode() not in Path(f"/proc/{first}/cmdline").read_bytes()
        assert SECRET.encode() not in Path(f"/proc/{first}/environ").read_bytes()

        os.kill(first, signal.SIGKILL)  # the pipeline dies: the supervisor restarts it
        second = wait_for_child(process.pid, other_than=first)
        time.sleep(0.5)  # let it reach PLAYING

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        stop_seconds = time.monotonic() - started
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "restarting in" in stderr and "pipeline stopped" in stderr
    assert not Path(f"/proc/{second}").exists() or b"Z" in Path(f"/proc/{second}/stat").read_bytes()
    assert stop_seconds < 10


def test_missing_kvssink_exits_non_zero_with_build_instructions(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    # An empty plugin registry: kvssink is missing whatever is installed on this machine.
    no_plugins = env_with_credentials(
        GST_PLUGIN_SYSTEM_PATH_1_0=str(tmp_path),
        GST_PLUGIN_PATH_1_0=str(tmp_path),
        GST_REGISTRY_1_0=str(tmp_path / "registry.bin"),
    )
    result = subprocess.run(
        [*DOORMAN, "push", str(videos["short"]), "--stream", "door", "--region", "us-east-1"],
        env=no_plugins,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    message = result.stderr
    assert "'kvssink' is not installed" in message
    assert "amazon-kinesis-video-streams-producer-sdk-cpp" in message
    assert "-DBUILD_GSTREAMER_PLUGIN=ON" in message
    assert "GST_PLUGIN_PATH" in message
    assert "Traceback" not in message


# A `credential_process` (botocore's default chain runs it) that issues new role-like
# credentials on every call, each living LIFETIME seconds, and records what it issued.
LIFETIME = 4
CREDENTIAL_PROCESS = """
import json, pathlib, secrets, sys
from datetime import UTC, datetime, timedelta
issued = pathlib.Path(sys.argv[1])
n = len(issued.read_text().splitlines()) + 1 if issued.exists() else 1
credentials = {
    "Version": 1,
    "AccessKeyId": f"ASIAFAKEROLE{n:08d}",
    "SecretAccessKey": secrets.token_urlsafe(30),
    "SessionToken": "FQoGZXIvYXdzE" + secrets.token_urlsafe(60),
    "Expiration": (datetime.now(UTC) + timedelta(seconds=float(sys.argv[2])))
    .strftime("%Y-%m-%dT%H:%M:%SZ"),
}
with issued.open("a") as log:
    log.write(json.dumps(credentials) + "\\n")
print(json.dumps(credentials))
"""


def env_with_expiring_role(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose default chain is a role whose sessions last LIFETIME seconds."""
    script = tmp_path / "issue_credentials.py"
    script.write_text(CREDENTIAL_PROCESS)
    issued = tmp_path / "issued.jsonl"
    command = shlex.join([sys.executable, str(script), str(issued), str(LIFETIME)])
    config = tmp_path / "aws_config"
    config.write_text(f"[default]\ncredential_process = {command}\n")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no_credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(REPO),
    )
    return env, issued


def issued_credentials(issued: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in issued.read_text().splitlines()]


def test_expiring_role_credentials_are_rotated_in_the_file_while_the_stream_runs(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    env, issued = env_with_expiring_role(tmp_path)
    process = subprocess.Popen(
        [
            *DOORMAN, "push", str(videos["long"]), "--stream", "door",
            "--sink", "fakesink", "--sink-property", "silent=false", "--verbose",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        out, err = _Lines(process.stdout), _Lines(process.stderr)
        err.wait("kvssink credentials file: ")
        (announced,) = [line for line in err.lines if "kvssink credentials file: " in line]
        match = re.search(r"kvssink credentials file: (\S+) ", announced)
        assert match, announced
        path = Path(match.group(1))
        assert path.parent.parent == tmp_path / "run"  # on the per-user runtime directory
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)
        assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)
        pipeline = wait_for_child(process.pid)

        # Several expiries go by: each time the file holds the newly issued credentials,
        # while buffers keep reaching the sink from the one pipeline that was started.
        versions: list[str] = []
        frames_at_version: list[int] = []
        deadline = time.monotonic() + 30
        while len(versions) < 4:
            assert time.monotonic() < deadline, f"the file changed only {len(versions)} times"
            text = path.read_text()
            if text not in versions:
                versions.append(text)
                frames_at_version.append(out.count("last-message = chain"))
            time.sleep(0.05)
        out.wait("last-message = chain", at_least=frames_at_version[-1] + 15)
        assert frames_at_version == sorted(frames_at_version) and frames_at_version[-1] > 0
        assert err.count("pipeline started") == 1 and err.count("pipeline exited") == 0
        by_key = {c["AccessKeyId"]: c for c in issued_credentials(issued)}
        for text in versions:
            marker, key, expiration, secret, token = text.split()
            assert marker == "CREDENTIALS"
            assert [expiration, secret, token] == [
                by_key[key]["Expiration"],
                by_key[key]["SecretAccessKey"],
                by_key[key]["SessionToken"],
            ]

        argv = Path(f"/proc/{pipeline}/cmdline").read_bytes()
        environ = Path(f"/proc/{pipeline}/environ").read_bytes()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    time.sleep(0.2)  # let the pipe readers drain
    logs = "".join(out.lines) + "".join(err.lines)
    credentials = issued_credentials(issued)
    assert len(credentials) >= 4
    for issued_set in credentials:
        for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            value = issued_set[name]
            assert value.encode() not in argv and value.encode() not in environ, name
            assert value not in logs, f"{name} appears in the logs"
    assert not path.exists() and not path.parent.exists()  # removed at exit


class _Lines:
    """Collects a pipe's lines on a thread so the test can wait for patterns."""

    def __init__(self, pipe) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=lambda: self.lines.extend(pipe), daemon=True)
        self._thread.start()

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def wait(self, text: str, at_least: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.count(text) < at_least:
            assert time.monotonic() < deadline, f"waited {timeout} s for {at_least}x {text!r}"
            time.sleep(0.05)


@pytest.mark.rtsp
def test_rtsp_pipeline_runs_to_fakesink_and_survives_a_camera_restart(
    videos: dict[str, Path],
) -> None:
    reason = rtsp.available()
    assert reason is None, reason  # make setup installs the RTSP server; never skip silently
    camera = rtsp.serve_file(videos["long"])
    process = subprocess.Popen(
        [
            *DOORMAN, "push", camera.url, "--stream", "door", "--sink", "fakesink",
            "--sink-property", "silent=false", "--verbose", "--max-backoff", "1",
        ],
        env=env_with_credentials(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        out, err = _Lines(process.stdout), _Lines(process.stderr)
        out.wait("last-message = chain", at_least=15)  # a second of H.264 from the camera
        caps = [
            line for line in out.lines if "GstFakeSink" in line and "GstPad:sink: caps =" in line
        ]
        assert "stream-format=(string)avc, alignment=(string)au" in caps[0]

        camera.stop()  # the camera goes away: the pipeline fails and is restarted
        err.wait("pipeline exited with")
        before = out.count("last-message = chain")
        camera = rtsp.serve_file(videos["long"], port=camera.port)
        out.wait("last-message = chain", at_least=before + 15)  # frames flow again
        assert err.count("pipeline started") >= 2

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        camera.stop()
