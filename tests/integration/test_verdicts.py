"""Verdicts back at the camera, end to end: analyze -> notify -> SNS (moto) -> each edge
device's queue (filter policy on its cameras, raw delivery) -> the edge's VerdictListener:
a local action per severity (a real command, with a timeout) and Home Assistant discovery
and state on a real mosquitto broker, started on 127.0.0.1 with a free port."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from adapters.messaging import VerdictQueue
from edge_agent.mqtt import HomeAssistant
from edge_agent.verdicts import LocalActions, Verdict, VerdictListener, VerdictSettings
from tests.support.cloud import CloudKit, enroll_samples
from tests.support.images import FACES_DIR

pytestmark = pytest.mark.integration
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
DEVICES = (("porch-pi", ("porch",)), ("garage-pi", ("garage",)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mosquitto:
    """A real mosquitto on 127.0.0.1 (Debian's package), without persistence: stopped and
    started again on the same port, it has forgotten every retained message."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        if not Path(MOSQUITTO).exists():
            pytest.fail("mosquitto is not installed (make apt installs it)")
        self.port = port or free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Mosquitto:
        process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.PIPE)
        self.process = process
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    assert process.stderr is not None
                    error = process.stderr.read()
                    raise RuntimeError(f"mosquitto did not start: {error!r}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="module")
def broker(tmp_path_factory) -> Iterator[int]:
    mosquitto = Mosquitto(tmp_path_factory.mktemp("mosquitto")).start()
    yield mosquitto.port
    mosquitto.stop()


class Subscriber:
    """Everything published under the given topics, by topic (retained messages too)."""

    def __init__(self, port: int, *topics: str) -> None:
        self.messages: dict[str, dict] = {}
        self.arrived = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-ha")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        for topic in topics:
            self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self.arrived:
            self.messages[message.topic] = json.loads(message.payload)
            self.arrived.notify_all()

    def wait_for(self, topic: str, timeout: float = 10) -> dict:
        with self.arrived:
            self.arrived.wait_for(lambda: topic in self.messages, timeout)
        return self.messages[topic]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(scope="module")
def kit(aws_env, tmp_path_factory, sample_faces) -> Iterator[CloudKit]:
    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig

    config = LocalConfig(
        prefix=f"dmverd{uuid.uuid4().hex[:5]}",
        visibility_timeout=2,
        cameras=("porch", "garage"),
        devices=DEVICES,
    )
    local = LocalCloud(config, data_dir=tmp_path_factory.mktemp("verdicts"), endpoints=aws_env)
    local.start()
    kit = CloudKit(local)
    enroll_samples(kit, sample_faces, ("barred",))  # Eileen Collins
    yield kit
    local.stop()


def queue(kit: CloudKit, device: str) -> VerdictQueue:
    return VerdictQueue(kit.sqs, json.loads(kit.r.verdict_queue_urls)[device])


def test_a_barred_person_sounds_the_porch_siren_and_reaches_home_assistant(
    kit, broker, tmp_path
) -> None:
    marker = tmp_path / "siren"
    siren = [sys.executable, "-c",
             f"import os; open({str(marker)!r}, 'w').write(os.environ['DOORMAN_SEVERITY'] + ' '"
             " + os.environ['DOORMAN_CAMERA'] + ' ' + os.environ['DOORMAN_WHO'])"]  # fmt: skip
    ha = Subscriber(broker, "homeassistant/#", "doorman/#")
    home = HomeAssistant("127.0.0.1", broker, client_id="doorman-porch-pi")
    actions = LocalActions({"critical": siren}, timeout=20)
    porch = VerdictListener(queue(kit, "porch-pi"), VerdictSettings(), actions, home)
    garage = VerdictListener(queue(kit, "garage-pi"), VerdictSettings(), LocalActions({}, 5))
    try:
        kit.put_frame((FACES_DIR / "astronaut.png").read_bytes(), camera="porch")
        kit.drain()
        assert porch.poll_once(wait_seconds=5) == 1
        assert garage.poll_once(wait_seconds=1) == 0, "the filter policy kept it off the garage"
        assert porch.counts == {"handled": 1}
        for thread in actions.threads:
            thread.join(30)
        (result,) = actions.results
        assert (result.severity, result.status) == ("critical", 0)
        assert marker.read_text() == "critical porch Eileen Collins"

        configs = [
            ha.wait_for(f"homeassistant/sensor/doorman_porch/{field}/config")
            for field in ("person", "severity", "frame")
        ]
        assert {c["unique_id"] for c in configs} == {
            "doorman_porch_person", "doorman_porch_severity", "doorman_porch_frame"
        }  # fmt: skip
        assert {c["state_topic"] for c in configs} == {"doorman/porch/state"}
        assert configs[0]["device"] == {
            "identifiers": ["doorman_porch"], "name": "Doorman porch", "manufacturer": "Doorman"
        }  # fmt: skip
        state = ha.wait_for("doorman/porch/state")
        assert (state["person"], state["severity"]) == ("Eileen Collins", "critical")
        assert state["frame_url"].startswith("http") and "X-Amz-Signature" in state["frame_url"]
    finally:
        ha.close()
        home.close()


def test_stale_verdicts_are_dropped_and_counted_and_actions_never_block(kit, tmp_path) -> None:
    sns = kit.local.client("sns")

    def publish(captured: datetime, alert_id: str) -> None:
        message = {
            "alert_id": alert_id, "severity": "warning", "reason": "unknown-face",
            "camera_id": "garage", "event_time": captured.isoformat(), "unknown_faces": 1,
        }  # fmt: skip
        sns.publish(
            TopicArn=kit.r.alerts_topic_arn,
            Message=json.dumps(message),
            MessageAttributes={"camera_id": {"DataType": "String", "StringValue": "garage"}},
        )

    now = datetime.now(UTC)
    publish(now - timedelta(hours=2), "old-one")  # the device was offline for two hours
    publish(now - timedelta(seconds=5), "fresh-one")
    slow = [sys.executable, "-c", "import time; time.sleep(30)"]
    actions = LocalActions({"warning": slow}, timeout=1)
    listener = VerdictListener(
        queue(kit, "garage-pi"), VerdictSettings(max_age_seconds=600), actions
    )
    read = 0
    for _ in range(5):
        read += listener.poll_once(wait_seconds=2)
        if read >= 2:
            break
    assert listener.counts == {"stale": 1, "handled": 1}
    # poll_once did not wait for the 30 s command: it ran in a thread of its own and hit
    # its timeout there.
    (thread,) = actions.threads
    thread.join(30)
    (result,) = actions.results
    assert (result.alert_id, result.status, result.error) == (
        "fresh-one",
        None,
        "timed out after 1 s",
    )
    assert listener.poll_once(wait_seconds=1) == 0, "both were deleted"

    sns.publish(
        TopicArn=kit.r.alerts_topic_arn,
        Message="not json at all",
        MessageAttributes={"camera_id": {"DataType": "String", "StringValue": "garage"}},
    )
    assert listener.poll_once(wait_seconds=2) == 1 and listener.counts["malformed"] == 1


def test_the_watch_agent_starts_the_listener_from_its_config(kit, tmp_path) -> None:
    """What `doorman watch` runs (cli/watch.py): the `[verdicts]` section of the edge
    config, read by the config loader, starts the listener thread; stop() ends it with its
    counts."""
    from edge_agent import verdicts
    from edge_agent.config import load_config

    marker = tmp_path / "light"
    write = f"import os; open({str(marker)!r}, 'w').write(os.environ['DOORMAN_CAMERA'])"
    light = [sys.executable, "-c", write]
    url = json.loads(kit.r.verdict_queue_urls)["garage-pi"]
    section = {"queue_url": url, "wait_seconds": 1, "actions": {"warning": light}}
    config = load_config(overrides={"verdicts": section})
    stop = verdicts.start(config.verdicts, "us-east-1")
    assert stop is not None
    try:
        # A stranger: a warning (the barred visitor's alerts are rate-limited by now).
        kit.put_frame((FACES_DIR / "luispedro.jpg").read_bytes(), camera="garage")
        kit.drain()
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        counts = stop()
    assert marker.read_text() == "garage"
    assert counts["handled"] >= 1
    assert verdicts.start(load_config().verdicts) is None, "no queue configured: off"


def _verdict(camera: str, who: str, severity: str = "warning") -> Verdict:
    return Verdict.model_validate(
        {
            "alert_id": f"a-{uuid.uuid4().hex[:8]}",
            "severity": severity,
            "reason": "unknown-face",
            "camera_id": camera,
            "event_time": datetime.now(UTC).isoformat(),
            "people": [{"person_id": "p-1", "name": who, "watchlist": "known", "similarity": 99.0}],
        }
    )


def test_home_assistant_catches_up_when_the_broker_comes_up_late_or_restarts(tmp_path) -> None:
    """The broker is down when the agent starts: publishing neither fails nor blocks, and
    the latest state is there once the broker is up. The broker restarts without
    persistence: discovery and the latest state are sent again."""
    mosquitto = Mosquitto(tmp_path)  # not started yet
    home = HomeAssistant("127.0.0.1", mosquitto.port, client_id="doorman-late")
    ha: Subscriber | None = None
    try:
        started = time.monotonic()
        home.publish(_verdict("porch", "first visitor"))
        home.publish(_verdict("porch", "second visitor"))
        assert time.monotonic() - started < 1.0, "publishing waited for an absent broker"
        assert not home.connected

        mosquitto.start()
        ha = Subscriber(mosquitto.port, "homeassistant/#", "doorman/#")
        state = ha.wait_for("doorman/porch/state", timeout=20)
        assert state["person"] == "second visitor", "the latest state, not the first"
        ha.wait_for("homeassistant/sensor/doorman_porch/person/config")
        ha.close()
        ha = None

        mosquitto.stop()  # retained messages are gone with it
        home.publish(_verdict("porch", "third visitor", "critical"))
        mosquitto.start()
        ha = Subscriber(mosquitto.port, "homeassistant/#", "doorman/#")
        state = ha.wait_for("doorman/porch/state", timeout=40)
        assert (state["person"], state["severity"]) == ("third visitor", "critical")
        assert ha.wait_for("homeassistant/sensor/doorman_porch/severity/config")["unique_id"] == (
            "doorman_porch_severity"
        )
    finally:
        if ha is not None:
            ha.close()
        home.close()
        mosquitto.stop()
