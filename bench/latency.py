"""End-to-end latency in localcloud: from the edge writing an event to the email in moto SES.

The edge side is the agent's own Spool and Uploader thread (S3 PutObject with the event's
metadata), in this process; the cloud side is localcloud in a process of its own, as
`doorman local up` runs it (moto, the face service, and the router running analyze and
notify on their queues), reached over HTTP only. Nobody is enrolled, so every face is a
stranger and each event should end in one warning email. Each event comes from its own camera id, so
the (camera, identity) cooldown never suppresses one. Events go one at a time: the clock
starts as the event is handed to the spool and stops when moto's SES first counts one
more sent email (see `Outbox`).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

EVENTS = 50
EMAIL_TIMEOUT_SECONDS = 30.0
CLOUD_START_SECONDS = 180.0
POLL_SECONDS = 0.02
FUNCTIONS_LOG = Path(__file__).resolve().parent / ".cache" / "latency-functions.log"


class Outbox:
    """Counts the emails moto's SES has sent, through SES's own GetSendStatistics.

    (moto's `/moto-api/data.json` lists the messages too, but it dumps every service's
    state on each poll, and in some of our runs moto 5.2 failed to serialise it: HTTP 500,
    "FakeKey is not JSON serializable". The statistics are one small SES call.)
    Delivery attempts count recipients; a stranger's warning goes to the owner alone.
    """

    source = "ses:GetSendStatistics"

    def __init__(self, ses_client: Any) -> None:
        self.ses = ses_client

    def count(self) -> int:
        points = self.ses.get_send_statistics()["SendDataPoints"]
        return sum(int(p.get("DeliveryAttempts", 0)) for p in points)

    def wait_for_more_than(self, count: int, timeout: float = EMAIL_TIMEOUT_SECONDS) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.count()
            if now > count:
                return now
            time.sleep(POLL_SECONDS)
        return None


def sample_frame() -> bytes:
    """A 720p JPEG with one sample face, for when no Doorman event frames are at hand."""
    import cv2

    from bench.faces import FACES_DIR

    face = cv2.imread(str(FACES_DIR / "grace_hopper.jpg"), cv2.IMREAD_COLOR)
    if face is None:
        raise FileNotFoundError(FACES_DIR / "grace_hopper.jpg")
    frame = np.full((720, 1280, 3), 120, np.uint8)
    face = cv2.resize(face, (300, 352))
    frame[180:532, 490:790] = face
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        raise ValueError("no values")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def summarize(latencies: Sequence[float]) -> dict[str, float]:
    return {
        "p50_seconds": percentile(latencies, 50),
        "p95_seconds": percentile(latencies, 95),
        "max_seconds": float(max(latencies)),
        "mean_seconds": float(np.mean(latencies)),
    }


@contextlib.contextmanager
def functions_output_to(log_path: Path) -> Iterator[None]:
    """Send what the handlers print (JSON logs, EMF metric blobs) to a file, not the console.

    Powertools binds its log handler to sys.stdout when a handler module loads, and prints
    metrics to sys.stdout; LocalCloud loads the handlers inside this block.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as sink, contextlib.redirect_stdout(sink):
        yield


def _camera(n: int) -> str:
    return f"bench-latency-{n:03d}"


class CloudProcess:
    """localcloud in its own process (`run_cloud`, what `doorman local up` runs: moto and
    the face service in their own child processes, the router and handlers in this one),
    with the cameras the events use listed. The agent reaches it over HTTP only."""

    def __init__(self, data_dir: Path, cameras: int, log_path: Path) -> None:
        import subprocess
        import sys

        self.data_dir = data_dir
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("w")
        argv = [sys.executable, "-m", "bench.latency", "--serve", str(data_dir)]
        self.process = subprocess.Popen(
            [*argv, "--cameras", str(cameras)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def wait_ready(self, timeout: float = CLOUD_START_SECONDS) -> dict[str, str]:
        """The environment that points boto3 at the cloud, once it is provisioned."""
        import json

        from core.resources import FAKE_CREDENTIALS
        from localcloud.provision import ENDPOINTS_FILE
        from localcloud.services import REGION

        deadline = time.monotonic() + timeout
        while "# Resources:" not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"localcloud did not start:\n{tail}")
            time.sleep(0.2)
        endpoints = json.loads((self.data_dir / ENDPOINTS_FILE).read_text())
        return {**endpoints, **FAKE_CREDENTIALS, "AWS_REGION": REGION}

    def resources(self) -> Any:
        from core.resources import StackResources
        from localcloud.provision import RESOURCES_FILE

        return StackResources.from_file(self.data_dir / RESOURCES_FILE)

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def _ses(env: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "ses",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def run(
    frames: Sequence[bytes],
    events: int = EVENTS,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Send `events` face events (cycling through `frames`, JPEG bytes) and time each email."""
    from edge_agent.events import FrameEvent
    from edge_agent.spool import Spool
    from edge_agent.uploader import Uploader, s3_client
    from localcloud.services import apply_env, restore_env

    if not frames:
        raise ValueError("latency needs at least one frame with a face")
    tick = progress or (lambda: None)
    latencies: list[float] = []
    lost: list[str] = []
    with tempfile.TemporaryDirectory(prefix="doorman-bench-") as tmp:
        cloud = CloudProcess(Path(tmp) / "cloud", events, FUNCTIONS_LOG)
        try:
            env = cloud.wait_ready()
            spool = Spool(Path(tmp) / "spool", max_bytes=50_000_000)
            # The agent finds the endpoint and credentials in its environment, as in the field.
            previous = apply_env(env)
            try:
                s3 = s3_client(region_name=env["AWS_REGION"])
            finally:
                restore_env(previous)
            uploader = Uploader(spool, s3, cloud.resources().uploads_bucket)
            uploader.start()
            outbox = Outbox(_ses(env))
            try:
                for n in range(events):
                    camera = _camera(n)
                    event = FrameEvent(
                        camera_id=camera,
                        track_id=f"{camera}-track",
                        seq=1,
                        captured_at=datetime.now(UTC),
                        kind="face",
                        jpeg=frames[n % len(frames)],
                    )
                    before = outbox.count()
                    started = time.perf_counter()
                    spool.submit(event)
                    if outbox.wait_for_more_than(before) is None:
                        lost.append(camera)
                    else:
                        latencies.append(time.perf_counter() - started)
                    tick()
            finally:
                uploader.stop(drain_timeout=5)
        finally:
            cloud.stop()
    if not latencies:
        raise RuntimeError(f"no email arrived for any of {events} events; see {FUNCTIONS_LOG}")
    return {
        "events": len(latencies),
        "sent": events,
        "lost": lost,
        **summarize(latencies),
        "latencies_seconds": [round(x, 4) for x in latencies],
        "emails_counted_from": outbox.source,
        "notes": [
            "localcloud ran in its own process (localcloud.cloud.run_cloud, as `doorman local "
            "up`: moto and the face service in child processes of it); the edge's spool and "
            "uploader in the benchmark process reached it over HTTP only",
            "one event at a time, each from its own camera id (no cooldown suppression); "
            "stranger faces; the cloud lists those cameras; the router long-polls each queue "
            "with 1 s waits",
            f"the cloud's output (handler logs, metrics) went to {FUNCTIONS_LOG.name} in "
            "bench/.cache/",
        ],
    }


def serve(data_dir: Path, cameras: int) -> None:
    """The child side of CloudProcess: localcloud until SIGTERM."""
    from localcloud.cloud import run_cloud
    from localcloud.provision import LocalConfig

    config = LocalConfig(cameras=tuple(_camera(n) for n in range(cameras)))
    run_cloud(data_dir=data_dir, config=config)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="localcloud for the latency benchmark")
    parser.add_argument("--serve", type=Path, required=True, help="data directory")
    parser.add_argument("--cameras", type=int, default=EVENTS)
    arguments = parser.parse_args()
    serve(arguments.serve, arguments.cameras)
