"""End-to-end latency in localcloud: from the edge writing an event to the email in moto SES.

The edge side is the agent's own Spool and Uploader thread (S3 PutObject with the event's
metadata); the cloud side is `LocalCloud` (moto, the face service, and the router running
analyze and notify on their queues). Nobody is enrolled, so every face is a stranger and
each event should end in one warning email. Each event comes from its own camera id, so
the (camera, identity) cooldown never suppresses one. Events go one at a time: the clock
starts as the event is handed to the spool and stops when moto's SES first counts one
more sent email (see `Outbox`).

The analyze handler's own time per frame comes from the router's invocation timings.
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


def handler_times(durations: Sequence[tuple[int, float]]) -> dict[str, float]:
    """Per-frame handler time from (records, seconds) per invocation."""
    per_frame = [seconds / records for records, seconds in durations if records]
    if not per_frame:
        raise ValueError("the handler was never invoked with records")
    return {
        "frames": sum(records for records, _ in durations),
        "invocations": len(durations),
        "p50_ms": percentile(per_frame, 50) * 1000,
        "p95_ms": percentile(per_frame, 95) * 1000,
        "max_ms": max(per_frame) * 1000,
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


def run(
    frames: Sequence[bytes],
    events: int = EVENTS,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Send `events` face events (cycling through `frames`, JPEG bytes) and time each email."""
    from edge_agent.events import FrameEvent
    from edge_agent.spool import Spool
    from edge_agent.uploader import Uploader, s3_client
    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig
    from localcloud.services import apply_env, restore_env

    if not frames:
        raise ValueError("latency needs at least one frame with a face")
    tick = progress or (lambda: None)
    latencies: list[float] = []
    lost: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="doorman-bench-") as tmp,
        functions_output_to(FUNCTIONS_LOG),
        # analyze alerts only on configured cameras: list every camera the events use.
        LocalCloud(
            LocalConfig(cameras=tuple(_camera(n) for n in range(events))),
            data_dir=Path(tmp) / "cloud",
        ) as cloud,
    ):
        env = cloud.env()
        assert cloud.resources is not None
        spool = Spool(Path(tmp) / "spool", max_bytes=50_000_000)
        # The agent finds the endpoint and credentials in its environment, as in the field.
        previous = apply_env(env)
        try:
            s3 = s3_client(region_name=env["AWS_REGION"])
        finally:
            restore_env(previous)
        uploader = Uploader(spool, s3, cloud.resources.uploads_bucket)
        uploader.start()
        outbox = Outbox(cloud.client("ses"))
        analyze = cloud.functions["analyze"]
        cloud.drain()  # set-up messages (S3's test event) are not frames
        first_invocation = len(analyze.durations)
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
            handler = handler_times(analyze.durations[first_invocation:])
            router_errors = list(cloud.router.errors) if cloud.router else []
        finally:
            uploader.stop(drain_timeout=5)
    if not latencies:
        raise RuntimeError(f"no email arrived for any of {events} events; router: {router_errors}")
    return {
        "events": len(latencies),
        "sent": events,
        "lost": lost,
        **summarize(latencies),
        "latencies_seconds": [round(x, 4) for x in latencies],
        "analyze_handler": handler,
        "emails_counted_from": outbox.source,
        "router_errors": router_errors[:10],
        "notes": [
            "one event at a time, each from its own camera id (no cooldown suppression); "
            "stranger faces; LocalConfig listing those cameras; "
            "router long-polls each queue with 1 s waits",
            f"the handlers' logs and metrics went to {FUNCTIONS_LOG.name} in bench/.cache/",
        ],
    }
