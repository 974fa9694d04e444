"""Sources with fake captures: corrupt frames, reconnects, stalls, dropping, backoff."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_agent.config import CaptureConfig
from edge_agent.sources import (
    Backoff,
    DropOldestQueue,
    FileSource,
    LiveSource,
    SourceError,
    VideoFrame,
    _redact,
    broken,
)

GOOD = np.zeros((48, 64, 3), np.uint8)


class FakeCapture:
    """Plays a script: arrays are frames, None is a failed read, callables run first."""

    def __init__(self, script: list, fps: float = 10.0, count: int | None = None) -> None:
        self.script = list(script)
        self.fps = fps
        self.count = len(script) if count is None else count
        self.position = 0
        self.released = False

    def isOpened(self) -> bool:
        return True

    def read(self):
        if not self.script:
            return False, None
        step = self.script.pop(0)
        if callable(step):
            step = step()
        if step is None:
            return False, None
        self.position += 1
        return True, step

    def get(self, prop: int) -> float:
        return {
            cv2.CAP_PROP_FPS: self.fps,
            cv2.CAP_PROP_FRAME_COUNT: float(self.count),
            cv2.CAP_PROP_POS_MSEC: (self.position - 1) * 1000 / self.fps,
        }.get(prop, 0.0)

    def release(self) -> None:
        self.released = True


def frame(value: int) -> np.ndarray:
    return np.full((48, 64, 3), value, np.uint8)


@pytest.fixture
def video_file(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not read: the capture is faked")
    return path


def read_all(source) -> list[VideoFrame]:
    frames = []
    while (f := source.read()) is not None:
        frames.append(f)
    return frames


def test_file_frames_keep_order_and_presentation_time(video_file: Path) -> None:
    capture = FakeCapture([frame(i) for i in range(5)])
    source = FileSource(video_file, lambda _: capture, start_epoch=100.0)
    frames = read_all(source)
    assert [int(f.bgr[0, 0, 0]) for f in frames] == [0, 1, 2, 3, 4]
    assert [f.t for f in frames] == pytest.approx([100.0, 100.1, 100.2, 100.3, 100.4])
    assert source.stats.frames == 5 and source.stats.corrupt == 0 and capture.released


def test_broken_frames_are_skipped_and_counted(video_file: Path) -> None:
    script = [
        frame(0),
        np.zeros((48, 64), np.uint8),  # grey where colour was expected
        frame(2),
        np.zeros((10, 10, 3), np.uint8),  # wrong size mid-stream
        np.zeros((48, 64, 3), np.float32),  # wrong type
        None,  # a frame that failed to decode
        frame(6),
    ]
    source = FileSource(video_file, lambda _: FakeCapture(script, count=7), start_epoch=0.0)
    frames = read_all(source)
    assert [int(f.bgr[0, 0, 0]) for f in frames] == [0, 2, 6]
    assert [f.index for f in frames] == [0, 1, 2]
    assert source.stats.corrupt == 4


def test_frames_the_container_promised_but_never_came_count_as_corrupt(video_file: Path) -> None:
    capture = FakeCapture([frame(i) for i in range(6)], count=10)  # a truncated file
    source = FileSource(video_file, lambda _: capture, start_epoch=0.0)
    assert len(read_all(source)) == 6
    assert source.stats.corrupt == 4


def test_missing_or_unreadable_files_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such video file"):
        FileSource(tmp_path / "absent.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00" * 1000)
    with pytest.raises(SourceError, match="cannot open"):
        FileSource(garbage)


def test_broken_detects_damage() -> None:
    assert broken(None, None) and broken(np.zeros((0, 0, 3), np.uint8), None)
    assert not broken(GOOD, None) and not broken(GOOD, GOOD.shape)
    assert broken(GOOD, (10, 10, 3))


def fast_config(**kwargs) -> CaptureConfig:
    values = dict(
        queue_size=64,
        stall_timeout_seconds=0.3,
        reconnect_initial_seconds=0.01,
        reconnect_max_seconds=0.05,
    )
    values.update(kwargs)
    return CaptureConfig(**values)


def live(openers: list[Callable[[], FakeCapture]], **kwargs) -> LiveSource:
    pending = list(openers)

    def open_next() -> FakeCapture:
        if not pending:
            return FakeCapture([])  # the camera stays away
        return pending.pop(0)()

    return LiveSource("fake", open_next, fast_config(**kwargs))


def read_n(source: LiveSource, n: int, timeout: float = 5.0) -> list[VideoFrame]:
    frames, deadline = [], time.monotonic() + timeout
    while len(frames) < n and time.monotonic() < deadline:
        f = source.read()
        if f is not None:
            frames.append(f)
    return frames


def test_live_source_reconnects_after_the_stream_is_lost() -> None:
    def refused() -> FakeCapture:
        raise OSError("connection refused")

    source = live(
        [
            lambda: FakeCapture([frame(1), frame(2)]),
            refused,
            lambda: FakeCapture([frame(3), frame(4)]),
        ]
    )
    try:
        frames = read_n(source, 4)
        assert [int(f.bgr[0, 0, 0]) for f in frames] == [1, 2, 3, 4]
        assert source.stats.reconnects == 1
        assert frames[0].t <= frames[-1].t <= time.time()  # wall clock
    finally:
        source.close()
        source.join(2)


def test_a_stalled_stream_is_reopened() -> None:
    def stall() -> None:
        time.sleep(0.4)  # longer than stall_timeout_seconds, then the read fails
        return None

    source = live([lambda: FakeCapture([frame(1), stall]), lambda: FakeCapture([frame(2)])])
    try:
        frames = read_n(source, 2)
        assert [int(f.bgr[0, 0, 0]) for f in frames] == [1, 2]
        assert source.stats.stalls == 1 and source.stats.reconnects == 1
    finally:
        source.close()
        source.join(2)


def test_live_broken_frames_are_counted() -> None:
    source = live([lambda: FakeCapture([frame(1), np.zeros((5, 5), np.uint8), frame(2)])])
    try:
        assert len(read_n(source, 2)) == 2
        assert source.stats.corrupt == 1
    finally:
        source.close()
        source.join(2)


def test_slow_consumer_drops_oldest_frames_and_counts_them() -> None:
    gate = threading.Event()

    def hold() -> np.ndarray:
        gate.wait(5)
        return frame(99)

    source = live([lambda: FakeCapture([*[frame(i) for i in range(10)], hold])], queue_size=3)
    try:
        deadline = time.monotonic() + 5
        while source.stats.frames < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        first = source.read()
        assert first is not None and int(first.bgr[0, 0, 0]) == 7  # 0-6 were dropped
        assert source.stats.dropped == 7
    finally:
        gate.set()
        source.close()
        source.join(2)


def test_close_unblocks_a_reader_waiting_for_a_dead_camera() -> None:
    source = live([])
    threading.Timer(0.2, source.close).start()
    started = time.monotonic()
    assert source.read() is None
    assert time.monotonic() - started < 2
    source.join(2)


def test_drop_oldest_queue() -> None:
    queue = DropOldestQueue(2)
    for i in range(5):
        queue.put(VideoFrame(i, 0.0, GOOD))
    assert queue.dropped == 3
    assert [queue.get(0.01).index, queue.get(0.01).index, queue.get(0.01)] == [3, 4, None]


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum() -> None:
    backoff = Backoff(1.0, 8.0, random.Random(3))
    delays = [backoff.next_delay() for _ in range(6)]
    for n, delay in enumerate(delays):
        ceiling = min(8.0, 2.0**n)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_camera_passwords_are_redacted_in_logs() -> None:
    assert _redact("rtsp://admin:hunter2@10.0.0.5:554/s1") == "rtsp://***@10.0.0.5:554/s1"
    assert _redact("rtsp://10.0.0.5/s1") == "rtsp://10.0.0.5/s1"
