"""Load in localcloud: 1,000 frames from 20 cameras, over HTTP, as `doorman local up` runs.

Each run starts a fresh LocalCloud the way `doorman local up` does (moto and the face
service in child processes, the router and the handlers in this one), enrolls Grace Hopper
(known), and has 20 camera threads upload their frames to the uploads bucket as the edge
agent does (S3 PutObject with the edge's metadata), then waits until every queue is empty.
Every frame shows one face: Grace Hopper, or one of three strangers.

- The same frames go through the sequential router (concurrency 1, how localcloud ran
  before) and the concurrent one (LocalConfig's default); frames per second run from the
  first upload to the last queue emptying.
- Per run: frames without an event (lost), frames with more than one event (duplicates),
  mails beyond the events that sent an alert (duplicated alerts), sent alerts without a mail
  (lost alerts), the DLQs' depth, and the mails against what the cooldown allows: per
  camera, one per alerting face per cooldown window.
- The CPU time of this process and its children (moto, the face service) over each run gives
  the CPU seconds per frame, and from it the most any router could reach on this machine:
  every core busy at that cost per frame (Linux only: it reads /proc).
- Restart: with the concurrent run's events stored, 100 more frames are uploaded and the
  cloud is stopped while they are being handled (what SIGTERM does to `doorman local up`),
  then started again on the same data directory; the stop and the restart are timed, and
  the frames must all end in exactly one event.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.faces import FACES_DIR
from bench.latency import functions_output_to

CAMERAS = tuple(f"load-cam-{n:02d}" for n in range(20))
FRAMES = 1000
QUICK_FRAMES = 100
RESTART_FRAMES = 100
KNOWN = ("grace_hopper.jpg", "Grace Hopper")
STRANGERS = ("luispedro.jpg", "takeo.jpg", "einstein_podium.jpg")
DRAIN_TIMEOUT_SECONDS = 1800.0
FUNCTIONS_LOG = Path(__file__).resolve().parent / ".cache" / "load-functions.log"


def _frame(face_file: str) -> bytes:
    """A 720p JPEG with the sample face in the middle."""
    import cv2

    face = cv2.imread(str(FACES_DIR / face_file), cv2.IMREAD_COLOR)
    if face is None:
        raise FileNotFoundError(FACES_DIR / face_file)
    frame = np.full((720, 1280, 3), 120, np.uint8)
    height = 352
    width = max(1, round(face.shape[1] * height / face.shape[0]))
    face = cv2.resize(face, (min(width, 600), height))
    top, left = 180, (1280 - face.shape[1]) // 2
    frame[top : top + height, left : left + face.shape[1]] = face
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


@dataclass(frozen=True)
class Plan:
    """Which face each camera sends, frame by frame (the same for every run)."""

    frames: int

    @property
    def per_camera(self) -> int:
        return math.ceil(self.frames / len(CAMERAS))

    def face(self, camera: int, n: int) -> str:
        faces = (KNOWN[0], *STRANGERS)
        return faces[(camera + n) % len(faces)]

    def alerting_faces(self, camera: int) -> set[str]:
        count = min(self.per_camera, max(0, self.frames - camera * self.per_camera))
        return {self.face(camera, n) for n in range(count)} - {KNOWN[0]}


class Uploads:
    """The 20 cameras' uploads: one thread per camera, each frame its own key and time."""

    def __init__(self, cloud: Any, images: dict[str, bytes], tick: Callable[[], None]) -> None:
        self.cloud = cloud
        self.bucket = cloud.resources.uploads_bucket
        self.images = images
        self.tick = tick
        self.keys: list[str] = []
        self._lock = threading.Lock()

    def send(self, plan: Plan, first: int = 0) -> None:
        threads = [
            threading.Thread(target=self._camera, args=(plan, index, first), daemon=True)
            for index in range(len(CAMERAS))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _camera(self, plan: Plan, index: int, first: int) -> None:
        s3 = self.cloud.client("s3")
        camera = CAMERAS[index]
        start = datetime.now(UTC)
        for n in range(plan.per_camera):
            if index * plan.per_camera + n >= plan.frames:
                return
            moment = start + timedelta(milliseconds=n)
            track = f"{camera}-{first + n:04d}-{uuid.uuid4().hex[:6]}"
            key = f"frames/{camera}/{moment:%Y/%m/%d}/{track}-001.jpg"
            s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=self.images[plan.face(index, n)],
                ContentType="image/jpeg",
                Metadata={
                    "camera-id": camera,
                    "captured-at": moment.isoformat(timespec="milliseconds"),
                    "track-id": track,
                    "kind": "face",
                    "agent-version": "bench-load",
                },
            )
            with self._lock:
                self.keys.append(key)
            self.tick()


def _events(cloud: Any) -> list[dict[str, Any]]:
    dynamodb = cloud.client("dynamodb")
    items: list[dict[str, Any]] = []
    for camera in CAMERAS:
        pages = dynamodb.get_paginator("query").paginate(
            TableName=cloud.resources.events_table,
            KeyConditionExpression="camera_id = :c",
            ExpressionAttributeValues={":c": {"S": camera}},
            ProjectionExpression="image_key, alert_status",
        )
        items += [i for page in pages for i in page["Items"]]
    return [{k: v["S"] for k, v in item.items()} for item in items]


def _dlq_depth(cloud: Any) -> int:
    sqs = cloud.client("sqs")
    r = cloud.resources
    depth = 0
    for url in (r.frames_queue_url, r.enroll_queue_url, r.alerts_queue_url):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url + "-dlq",
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        depth += sum(int(v) for v in attributes.values())
    return depth


def _queued(cloud: Any) -> int:
    """Frames in the frames queue, waiting or being handled."""
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.resources.frames_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def _mails(cloud: Any) -> int:
    """Messages moto's SES has sent (its send quota counts messages, not recipients)."""
    return int(float(cloud.client("ses").get_send_quota()["SentLast24Hours"]))


def cpu_seconds() -> float | None:
    """CPU time (user and system) of this process and its live children, from /proc; None
    where there is no /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    me, total = os.getpid(), 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # fields after the command name: state ppid ... utime (12th) stime (13th)
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(entry.name) == me or int(fields[1]) == me:
            total += int(fields[11]) + int(fields[12])
    return total / ticks_per_second


def tally(cloud: Any, keys: list[str], plan: Plan, seconds: float, cooldown: int) -> dict[str, Any]:
    """What happened to `keys`: lost, duplicated, alerts and mails against the cooldown."""
    events = _events(cloud)
    per_key: dict[str, int] = {}
    for event in events:
        per_key[event.get("image_key", "")] = per_key.get(event.get("image_key", ""), 0) + 1
    sent = sum(1 for e in events if e.get("alert_status") == "sent")
    mails = _mails(cloud)
    windows = math.floor(seconds / cooldown) + 1
    allowance = windows * sum(len(plan.alerting_faces(i)) for i in range(len(CAMERAS)))
    return {
        "frames": len(keys),
        "events": len(events),
        "lost": sum(1 for key in keys if key not in per_key),
        "duplicates": sum(count - 1 for count in per_key.values() if count > 1),
        "alerts_sent": sent,
        "mails": mails,
        "duplicated_alerts": max(0, mails - sent),
        "lost_alerts": max(0, sent - mails),
        "mail_allowance": allowance,
        "dlq_depth": _dlq_depth(cloud),
    }


def _enroll(cloud: Any) -> None:
    photo, name = KNOWN
    cloud.client("s3").put_object(
        Bucket=cloud.resources.faces_bucket,
        Key=f"console/{photo}",
        Body=(FACES_DIR / photo).read_bytes(),
        Tagging=urllib.parse.urlencode({"name": name, "watchlist": "known"}),
    )
    cloud.drain(120)


def _config(concurrency: int) -> Any:
    from localcloud.provision import LocalConfig

    return LocalConfig(cameras=CAMERAS, concurrency=concurrency)


def _start(config: Any, data_dir: Path) -> Any:
    from localcloud.cloud import LocalCloud

    return LocalCloud(config, data_dir=data_dir, own_processes=True).start()


def load_run(
    concurrency: int,
    plan: Plan,
    images: dict[str, bytes],
    data_dir: Path,
    tick: Callable[[], None],
) -> tuple[dict[str, Any], Any, Uploads]:
    """One run of `plan` through a fresh cloud; returns its figures, the (running) cloud
    and its uploads."""
    config = _config(concurrency)
    cloud = _start(config, data_dir)
    try:
        _enroll(cloud)
        uploads = Uploads(cloud, images, tick)
        cpu_before, started = cpu_seconds(), time.perf_counter()
        uploads.send(plan)
        cloud.drain(DRAIN_TIMEOUT_SECONDS)
        seconds = time.perf_counter() - started
        cpu_after = cpu_seconds()
        figures = tally(cloud, uploads.keys, plan, seconds, config.cooldown_seconds)
    except BaseException:
        cloud.stop()
        raise
    figures.update(
        concurrency=concurrency,
        seconds=round(seconds, 2),
        frames_per_second=round(len(uploads.keys) / seconds, 3),
        router_errors=list(cloud.router.errors[:10]) if cloud.router else [],
    )
    if cpu_before is not None and cpu_after is not None:
        cpu = cpu_after - cpu_before
        figures.update(
            cpu_seconds=round(cpu, 1),
            cpu_ms_per_frame=round(1000 * cpu / len(uploads.keys), 1),
            cores_busy=round(cpu / seconds, 2),
        )
    return figures, cloud, uploads


def restart_run(
    cloud: Any, uploads: Uploads, images: dict[str, bytes], data_dir: Path, seconds: float
) -> dict[str, Any]:
    """Upload RESTART_FRAMES more, stop while they are handled, start again, drain."""
    stored = len(_events(cloud))
    extra = Plan(RESTART_FRAMES)
    more = Uploads(cloud, images, lambda: None)
    more.send(extra, first=10_000)
    queued_at_stop = _queued(cloud)
    started = time.perf_counter()
    cloud.stop()
    stop_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = _start(cloud.config, data_dir)
    restart_seconds = time.perf_counter() - started
    try:
        kept = len(_events(again))
        again.drain(DRAIN_TIMEOUT_SECONDS)
        keys = uploads.keys + more.keys
        figures = tally(
            again, keys, Plan(len(uploads.keys)), seconds, cloud.config.cooldown_seconds
        )
    finally:
        again.stop()
    return {
        "events_stored": stored,
        "events_after_restart": kept,
        "frames_added": len(more.keys),
        "queued_at_stop": queued_at_stop,
        "stop_seconds": round(stop_seconds, 2),
        "restart_seconds": round(restart_seconds, 2),
        **{f"after_{k}": v for k, v in figures.items()},
    }


def _images() -> dict[str, bytes]:
    """The frames the cameras send, by face file."""
    return {name: _frame(name) for name in (KNOWN[0], *STRANGERS)}


def _sequential_run(frames: int, tick: Callable[[], None]) -> dict[str, Any]:
    """The sequential router's run (in its own process; see `run`)."""
    images = _images()
    with (
        tempfile.TemporaryDirectory(prefix="doorman-load-") as tmp,
        functions_output_to(FUNCTIONS_LOG.with_name("load-functions-sequential.log")),
    ):
        figures, cloud, _ = load_run(1, Plan(frames), images, Path(tmp) / "data", tick)
        cloud.stop()
    return figures


def _concurrent_run(frames: int, tick: Callable[[], None]) -> dict[str, Any]:
    """The concurrent router's run, then the restart (in its own process; see `run`)."""
    from localcloud.router import DEFAULT_CONCURRENCY

    images = _images()
    with (
        tempfile.TemporaryDirectory(prefix="doorman-load-") as tmp,
        functions_output_to(FUNCTIONS_LOG),
    ):
        data_dir = Path(tmp) / "data"
        figures, cloud, uploads = load_run(
            DEFAULT_CONCURRENCY, Plan(frames), images, data_dir, tick
        )
        restart = restart_run(cloud, uploads, images, data_dir, figures["seconds"])
    return {"run": figures, "restart": restart}


def _child(work: str, frames: int, messages: Any) -> None:
    """Runs `work` (a function of this module) in a child process, reporting each tick, then
    the result or the error, on `messages`."""
    try:
        result = globals()[work](frames, lambda: messages.put(("tick", None)))
    except BaseException:
        messages.put(("error", traceback.format_exc()))
    else:
        messages.put(("done", result))


def in_fresh_process(work: str, frames: int, tick: Callable[[], None]) -> Any:
    """`work(frames, tick)` in a new Python process (spawned, not forked), so no run
    inherits another's threads, handler modules or heap, nor the sections before it."""
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    child = context.Process(target=_child, args=(work, frames, messages), name=f"load-{work}")
    child.start()
    try:
        while True:
            try:
                kind, value = messages.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    message = f"{work} ended without a result (exit {child.exitcode})"
                    raise RuntimeError(message) from None
                continue
            if kind == "tick":
                tick()
            elif kind == "error":
                raise RuntimeError(f"{work} failed in its process:\n{value}")
            else:
                return value
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()


def run(quick: bool = False, tick: Callable[[], None] | None = None) -> dict[str, Any]:
    """The load section: the sequential and the concurrent router on the same frames, each
    in a fresh process of its own (the bench's earlier sections leave a large heap, and the
    second run would otherwise inherit the first one's), then the restart with the
    concurrent run's events stored."""
    progress = tick or (lambda: None)
    frames = QUICK_FRAMES if quick else FRAMES
    sequential = in_fresh_process("_sequential_run", frames, progress)
    concurrent = in_fresh_process("_concurrent_run", frames, progress)
    return {
        "frames": frames,
        "cameras": len(CAMERAS),
        "runs": {"sequential": sequential, "concurrent": concurrent["run"]},
        "speed_up": round(
            concurrent["run"]["frames_per_second"] / sequential["frames_per_second"], 2
        ),
        "speed_up_ceiling": speed_up_ceiling(sequential, concurrent["run"]),
        "restart": concurrent["restart"],
        "notes": [
            "each run: a fresh LocalCloud laid out as `doorman local up` (moto and the face "
            "service in child processes), Grace Hopper enrolled, 20 camera threads uploading",
            "each router runs in a new Python process of its own (spawned), so neither inherits "
            "the other's heap or the bench's earlier sections",
            "frames per second from the first upload until every queue is empty",
            f"the handlers' logs and metrics went to {FUNCTIONS_LOG.name} (and "
            "load-functions-sequential.log) in bench/.cache/",
        ],
    }


def speed_up_ceiling(sequential: dict[str, Any], concurrent: dict[str, Any]) -> float | None:
    """The speed-up every core of this machine would give, busy all the time at the
    concurrent run's CPU cost per frame, over the sequential run's frames per second."""
    per_frame = concurrent.get("cpu_ms_per_frame")
    if not per_frame:
        return None
    best_frames_per_second = (os.cpu_count() or 1) * 1000 / per_frame
    return round(best_frames_per_second / sequential["frames_per_second"], 2)


def upload_count(quick: bool) -> int:
    """Progress ticks: one per frame uploaded, in both runs."""
    return 2 * (QUICK_FRAMES if quick else FRAMES)
