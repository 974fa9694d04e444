"""The agent against a real RTSP server (GstRtspServer on 127.0.0.1).

- A scenario served over RTSP gives the same events as the file itself.
- The server is killed and restarted: the agent reconnects and keeps working; SIGTERM then
  flushes the open track and exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from edge_agent.folder_sink import read_events

# Fixtures shared with the file tests (generated scenarios, sample face encodings).
from tests.integration.test_edge_watch import known_encodings, scenario, watch, who  # noqa: F401
from tests.support.rtsp import available, serve_file

pytestmark = [pytest.mark.integration, pytest.mark.rtsp]

DOORMAN = [str(Path(sys.executable).with_name("doorman"))]


@pytest.fixture(scope="module", autouse=True)
def _rtsp_server_available() -> None:
    reason = available()
    assert reason is None, reason  # make setup installs GStreamer's RTSP server


class Agent:
    """`doorman watch` in a child process, with its JSON log lines collected."""

    def __init__(
        self, url: str | None, out: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.summary = out.with_suffix(".summary.json")
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                *DOORMAN,
                "watch",
                *([url] if url else []),  # None: the cameras of the config
                "--dry-run",
                str(out),
                "--summary-json",
                str(self.summary),
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def count(self, message: str) -> int:
        return sum(f'"message":"{message}"' in line for line in self.lines)

    def wait_for(self, message: str, times: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(message) < times:
            assert self.process.poll() is None, "".join(self.lines[-20:])
            assert time.monotonic() < deadline, f"no {message!r} after {timeout}s:\n" + "".join(
                self.lines[-20:]
            )
            time.sleep(0.1)

    def finish(self, timeout: float = 60.0) -> dict:
        code = self.process.wait(timeout=timeout)
        assert code == 0, "".join(self.lines[-30:])
        return json.loads(self.summary.read_text())


def test_rtsp_stream_gives_the_same_events_as_the_file(request, tmp_path) -> None:
    known = request.getfixturevalue("known_encodings")
    video, truth = request.getfixturevalue("scenario")("two_people")
    watch(video, tmp_path / "file")
    from_file = read_events(tmp_path / "file")
    with serve_file(video) as server:
        agent = Agent(
            server.url,
            tmp_path / "rtsp",
            "--max-frames",
            str(truth["frames"]),
            env={"DOORMAN_CAPTURE__QUEUE_SIZE": "256"},
        )
        summary = agent.finish()
    from_stream = read_events(tmp_path / "rtsp")
    assert summary["frames"] == truth["frames"] and summary["dropped"] == 0

    def people(events: list[dict], folder: Path) -> list[str]:
        """Everyone the face events show (people who came together share a frame)."""
        return sorted(
            who(folder / e["key"], face, known)[0]
            for e in events
            if e["kind"] == "face"
            for face in e["faces"]
        )

    assert people(from_stream, tmp_path / "rtsp") == people(from_file, tmp_path / "file")
    assert people(from_stream, tmp_path / "rtsp") == ["astronaut", "luispedro"]
    assert [e["kind"] for e in from_stream if e["kind"] == "motion"] == []


def test_agent_reconnects_after_a_server_restart_and_stops_cleanly_on_sigterm(
    request, tmp_path
) -> None:
    known = request.getfixturevalue("known_encodings")
    video, _ = request.getfixturevalue("scenario")("one_person")
    server = serve_file(video)
    agent = Agent(
        server.url,
        tmp_path / "events",
        env={
            "DOORMAN_CAPTURE__RECONNECT_INITIAL_SECONDS": "0.2",
            "DOORMAN_CAPTURE__RECONNECT_MAX_SECONDS": "1",
            "DOORMAN_CAPTURE__STALL_TIMEOUT_SECONDS": "3",
        },
    )
    try:
        agent.wait_for("source connected")
        time.sleep(1.5)
        server.stop()  # the camera dies mid-stream
        agent.wait_for("source lost; reconnecting")
        time.sleep(1.0)
        restarted_at = time.time()
        server = serve_file(video, port=server.port)
        agent.wait_for("source connected", times=2)
        time.sleep(4.0)  # the person is in front of the door again
        agent.process.send_signal(signal.SIGTERM)
        summary = agent.finish()
    finally:
        if agent.process.poll() is None:
            agent.process.kill()
        server.stop()
    assert summary["reconnects"] >= 1
    after = [
        e
        for e in read_events(tmp_path / "events")
        if e["kind"] == "face"
        and datetime.fromisoformat(e["captured_at"]).timestamp() >= restarted_at
    ]
    assert after, "no face event after the reconnect"
    assert (
        who(tmp_path / "events" / after[0]["key"], after[0]["faces"][0], known)[0] == "grace_hopper"
    )
    assert agent.count("stopping") == 1
