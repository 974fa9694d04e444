"""Frame sources: video files, RTSP cameras and USB cameras (OpenCV's FFmpeg/V4L2 backends).

- Files are read completely, in order, with presentation timestamps (file start + PTS), so
  the same file always gives the same events.
- Live sources (RTSP, USB) are read by a thread into a small queue that drops the oldest
  frame when the pipeline falls behind (counted in `dropped`). Timestamps are wall clock.
  A lost or stalled stream is reopened with exponential backoff and jitter; FFmpeg's read
  timeout is the stall watchdog (no frame for `stall_timeout_seconds` -> reconnect).
- Frames that cannot be decoded, or that come out broken, are skipped and counted in
  `corrupt`.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import cv2
import numpy as np

from edge_agent.config import CaptureConfig

log = logging.getLogger(__name__)

LIVE_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://")
MAX_CONSECUTIVE_FILE_FAILURES = 25


class SourceError(RuntimeError):
    """The source cannot be opened at all (missing file, unsupported format)."""


@dataclass(eq=False)
class VideoFrame:
    index: int
    t: float
    bgr: np.ndarray

    @cached_property
    def gray(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)

    @cached_property
    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2RGB)


class FrameReader(Protocol):
    """What `doorman watch` needs of a source, whichever decoder is behind it."""

    stats: SourceStats

    @property
    def live(self) -> bool: ...
    @property
    def total_frames(self) -> int | None: ...

    def read(self) -> Any: ...
    def close(self) -> None: ...


class Capture(Protocol):
    """The part of cv2.VideoCapture the sources use (fakes implement it in tests)."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


@dataclass
class SourceStats:
    frames: int = 0
    corrupt: int = 0
    dropped: int = 0
    reconnects: int = 0
    stalls: int = 0
    skipped: int = 0  # frames never decoded (keyframe gating while quiet)


def broken(image: np.ndarray | None, shape: tuple[int, ...] | None) -> bool:
    """True for frames a decoder handed back damaged: None, empty, wrong type or size."""
    if image is None or not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        return True
    if image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        return True
    return shape is not None and image.shape != shape


class FileSource:
    """Every frame of a video file, in order; `t` = file modification time + PTS."""

    live = False

    def __init__(
        self,
        path: Path,
        open_capture: Callable[[str], Capture] | None = None,
        start_epoch: float | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such video file")
        opener = open_capture or (lambda p: cv2.VideoCapture(p, cv2.CAP_FFMPEG))
        self._capture = opener(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(f"{self.path}: cannot open as video")
        self.start_epoch = self.path.stat().st_mtime if start_epoch is None else start_epoch
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or 0.0
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.total_frames: int | None = count if count > 0 else None
        self.stats = SourceStats()
        self._shape: tuple[int, ...] | None = None
        self._position = 0  # frames consumed from the container, good or bad
        self._done = False

    def read(self) -> VideoFrame | None:
        failures = 0
        while not self._done:
            ok, image = self._capture.read()
            if not ok:
                failures += 1
                if failures >= MAX_CONSECUTIVE_FILE_FAILURES or not self._more_expected():
                    self._finish()
                    return None
                self._skip_corrupt()
                continue
            self._position += 1
            if broken(image, self._shape):
                self.stats.corrupt += 1
                continue
            assert image is not None
            self._shape = self._shape or image.shape
            pts_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
            if pts_ms <= 0 and self._position > 1 and self.fps:
                pts_ms = (self._position - 1) * 1000.0 / self.fps
            frame = VideoFrame(self.stats.frames, self.start_epoch + pts_ms / 1000.0, image)
            self.stats.frames += 1
            return frame
        return None

    def close(self) -> None:
        self._done = True
        self._capture.release()

    def _more_expected(self) -> bool:
        return self.total_frames is not None and self._position < self.total_frames

    def _skip_corrupt(self) -> None:
        self._position += 1
        self.stats.corrupt += 1

    def _finish(self) -> None:
        # Frames the container announced but that never decoded (e.g. a truncated file).
        if self.total_frames is not None and self._position < self.total_frames:
            missing = self.total_frames - self._position
            log.warning("video ended early", extra={"path": str(self.path), "missing": missing})
            self.stats.corrupt += missing
            self._position = self.total_frames
        self._done = True
        self._capture.release()


Item = TypeVar("Item")


class HandOverQueue(Generic[Item]):
    """A bounded hand-over from a reader thread to the pipeline: `get` waits for an item,
    `wake` releases a waiting reader. Subclasses decide in `put` what to drop when full."""

    def __init__(self, size: int) -> None:
        self._items: deque[Item] = deque()
        self._size = size
        self._ready = threading.Condition()
        self.dropped = 0

    def get(self, timeout: float) -> Item | None:
        with self._ready:
            if not self._items:
                self._ready.wait(timeout)
            return self._items.popleft() if self._items else None

    def wake(self) -> None:
        with self._ready:
            self._ready.notify_all()


class DropOldestQueue(HandOverQueue[VideoFrame]):
    """Frames from the reader thread; when full, the oldest frame makes room."""

    def put(self, item: VideoFrame) -> None:
        with self._ready:
            if len(self._items) >= self._size:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()


@dataclass
class Backoff:
    """Exponential backoff with jitter: the n-th delay is in [base*2^n/2, base*2^n]."""

    initial: float
    maximum: float
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * (2**self.attempt))
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


class LiveSource:
    """An RTSP or USB camera read by a background thread that never gives up."""

    live = True
    total_frames = None

    def __init__(
        self,
        name: str,
        open_capture: Callable[[], Capture],
        config: CaptureConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.config = config
        self.stats = SourceStats()
        self._open_capture = open_capture
        self._clock = clock
        self._queue = DropOldestQueue(config.queue_size)
        self._closed = threading.Event()
        self._backoff = Backoff(config.reconnect_initial_seconds, config.reconnect_max_seconds)
        self._thread = threading.Thread(target=self._run, name=f"source-{name}", daemon=True)
        self._thread.start()

    def read(self) -> VideoFrame | None:
        """Next frame; blocks while the camera is away; None once closed."""
        while not self._closed.is_set():
            frame = self._queue.get(timeout=0.5)
            if frame is not None:
                self.stats.dropped = self._queue.dropped
                return frame
        return None

    def close(self) -> None:
        """Stop reading and wait for the reader to release the camera.

        The reader may be inside FFmpeg's read for up to the stall timeout; exiting the
        process under it would abort (SIGABRT) instead of shutting down cleanly.
        """
        self.interrupt()
        if threading.current_thread() is not self._thread:
            self._thread.join(self.config.stall_timeout_seconds + 2.0)

    def interrupt(self) -> None:
        """Make `read()` return None soon; safe in a signal handler (does not wait)."""
        self._closed.set()
        self._queue.wake()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        connected_once = False
        while not self._closed.is_set():
            capture = self._open()
            if capture is None:
                self._wait_before_retry("cannot open")
                continue
            if connected_once:
                self.stats.reconnects += 1
            connected_once = True
            log.info("source connected", extra={"source": self.name})
            reason = self._pump(capture)
            capture.release()
            if not self._closed.is_set():
                self._wait_before_retry(reason)

    def _open(self) -> Capture | None:
        try:
            capture = self._open_capture()
        except Exception as exc:  # a driver or network error is a retry, not a crash
            log.warning("source open failed", extra={"source": self.name, "error": str(exc)})
            return None
        if not capture.isOpened():
            capture.release()
            return None
        return capture

    def _pump(self, capture: Capture) -> str:
        """Read until the stream fails, stalls or the source is closed; say why it ended."""
        shape: tuple[int, ...] | None = None
        last_frame = time.monotonic()
        bad_in_a_row = 0
        while not self._closed.is_set():
            ok, image = capture.read()
            now = time.monotonic()
            if not ok:
                if now - last_frame >= self.config.stall_timeout_seconds:
                    self.stats.stalls += 1
                    return "stalled"
                return "stream lost"
            if broken(image, shape):
                self.stats.corrupt += 1
                bad_in_a_row += 1
                if bad_in_a_row >= MAX_CONSECUTIVE_FILE_FAILURES:
                    return "only broken frames"
                continue
            assert image is not None
            shape, last_frame, bad_in_a_row = shape or image.shape, now, 0
            self._backoff.reset()
            self._queue.put(VideoFrame(self.stats.frames, self._clock(), image))
            self.stats.frames += 1
        return "closed"

    def _wait_before_retry(self, reason: str) -> None:
        delay = self._backoff.next_delay()
        log.warning(
            "source lost; reconnecting",
            extra={"source": self.name, "reason": reason, "retry_in_s": round(delay, 2)},
        )
        self._closed.wait(delay)


def open_source(spec: str, config: CaptureConfig) -> FrameReader:
    """`0`, `1`, ... -> USB camera; rtsp://... -> network camera; anything else -> file.

    Network cameras and files are decoded by PyAV with keyframe gating unless
    `capture.decode = "full"` (then OpenCV decodes every frame); USB cameras always by
    OpenCV, in full.
    """
    if spec.isdigit():
        index = int(spec)
        return LiveSource(f"usb:{index}", lambda: cv2.VideoCapture(index), config)
    live = spec.lower().startswith(LIVE_SCHEMES)
    if config.decode == "full":
        if live:
            return LiveSource(_redact(spec), lambda: open_network(spec, config), config)
        return FileSource(Path(spec))
    from edge_agent.decoding import GatedFileSource, GatedLiveSource, LiveGateSettings

    if live:
        settings = LiveGateSettings(
            spec, _redact(spec), config.decode, config.max_keyframe_interval_seconds
        )
        return GatedLiveSource(settings, config)
    return GatedFileSource(Path(spec), config.decode, config.max_keyframe_interval_seconds)


def open_network(url: str, config: CaptureConfig) -> cv2.VideoCapture:
    # OpenCV's FFmpeg backend reads these options at each open. A 0.5 s stream probe
    # (instead of FFmpeg's 5 s default) opens a camera in ~0.6 s instead of ~3 s.
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = (
        f"rtsp_transport;{config.rtsp_transport}|analyzeduration;500000"
    )
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(config.open_timeout_seconds * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(config.stall_timeout_seconds * 1000),
    ]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def _redact(url: str) -> str:
    """Camera URLs often carry a password; never log it."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
