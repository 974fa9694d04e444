"""Several cameras in one agent (`doorman watch` with `[[cameras]]` in the config).

A file camera and an RTSP camera whose server is not up yet run side by side: the file
camera gives its events while the other one fails and retries; once its server starts, that
camera connects on its own and gives its events too; SIGTERM stops both and exits 0. Each
event carries its own camera id, and each camera its own settings.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from edge_agent.folder_sink import read_events
from tests.integration.test_edge_watch import known_encodings, scenario, who  # noqa: F401
from tests.integration.test_rtsp_watch import Agent
from tests.support.rtsp import available, serve_file

pytestmark = [pytest.mark.integration, pytest.mark.rtsp]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def events_of(out: Path, camera: str) -> list[dict]:
    return [e for e in read_events(out) if e["metadata"]["camera-id"] == camera]


def wait_until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def faces_in(events: list[dict]) -> int:
    return sum(len(e["faces"]) for e in events if e["kind"] == "face")


def test_a_failing_camera_retries_on_its_own_and_does_not_disturb_the_others(
    request, tmp_path: Path
) -> None:
    assert available() is None, available()
    known = request.getfixturevalue("known_encodings")
    make = request.getfixturevalue("scenario")
    porch_video, _ = make("one_person")
    garage_video, _ = make("two_people")
    port = free_port()
    config = tmp_path / "cameras.toml"
    config.write_text(
        "[capture]\nreconnect_initial_seconds = 0.2\nreconnect_max_seconds = 1.0\n"
        "stall_timeout_seconds = 3.0\nopen_timeout_seconds = 2.0\n\n"
        f'[[cameras]]\nid = "porch"\nsource = "{porch_video}"\n\n'
        f'[[cameras]]\nid = "garage"\nsource = "rtsp://127.0.0.1:{port}/scene"\n'
        "min_face_px = 60\n"
    )
    out = tmp_path / "events"
    agent = Agent(None, out, "--config", str(config))  # no SOURCE: the config's cameras
    server = None
    try:
        agent.wait_for("camera finished", timeout=60)  # the porch file, with the garage down
        agent.wait_for("source lost; reconnecting", times=2, timeout=30)
        porch = events_of(out, "porch")
        assert [e["kind"] for e in porch] == ["face"] and events_of(out, "garage") == []
        server = serve_file(garage_video, port=port)  # the garage camera comes back
        # Both people at the garage: in one shared frame or in frames of their own.
        wait_until(lambda: faces_in(events_of(out, "garage")) >= 2, 60, "garage face events")
        agent.process.send_signal(15)
        summary = agent.finish()
    finally:
        if agent.process.poll() is None:
            agent.process.kill()
        if server is not None:
            server.stop()
    garage = [e for e in events_of(out, "garage") if e["kind"] == "face"]
    people = {who(out / e["key"], face, known)[0] for e in garage for face in e["faces"]}
    assert people == {"astronaut", "luispedro"}
    assert who(out / porch[0]["key"], porch[0]["faces"][0], known)[0] == "grace_hopper"
    assert all(e["key"].startswith("frames/garage/") for e in garage)
    assert summary["cameras"]["porch"]["events"] == 1
    assert agent.count("source open failed") >= 1
