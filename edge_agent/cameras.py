"""Several cameras in one agent: one thread per camera, shared models, one sink.

Each camera runs its own source and pipeline in its own thread (a live source also has its
own reader thread), with its own camera id, motion masks and `min_face_px`. The models are
loaded once per process and shared (dlib's HOG and landmarks, YuNet's network behind a
lock, the recognizer's gallery), and every camera's events go to the same sink: one spool
and one uploader.

A camera that fails never stops the others: live sources reconnect by themselves with
backoff; a source that cannot be opened at all, or a pipeline that raises, is logged and
retried after a backoff delay. A file camera ends when its file does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edge_agent.config import AgentConfig
from edge_agent.events import EventSink
from edge_agent.pipeline import FaceDetector, Pipeline, Recognizer, Stats

log = logging.getLogger("edge_agent.cameras")

SourceOpener = Callable[[str, AgentConfig], Any]  # (spec, camera config) -> a frame reader


@dataclass
class CameraReport:
    camera_id: str
    pipeline: Stats = field(default_factory=Stats)
    source: dict[str, int] = field(default_factory=dict)
    starts: int = 0
    failures: int = 0


class CameraWorker:
    """One camera's thread: open the source, run the pipeline, retry after failures."""

    def __init__(
        self,
        config: AgentConfig,
        sink: EventSink,
        open_source: SourceOpener,
        recognizer: Recognizer | None = None,
        detector: FaceDetector | None = None,
    ) -> None:
        self.config = config
        self.camera_id = config.camera_id
        self.report = CameraReport(config.camera_id)
        self._sink = sink
        self._open_source = open_source
        self._recognizer = recognizer
        self._detector = detector
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: tuple[Pipeline, Any] | None = None
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.camera_id}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the current frame, flush open tracks and end (safe in a signal handler)."""
        self._stopping.set()
        with self._lock:
            running = self._running
        if running is not None:
            pipeline, source = running
            pipeline.stop_requested.set()
            interrupt = getattr(source, "interrupt", None)
            if interrupt is not None:
                interrupt()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        from edge_agent.assembly import build_pipeline
        from edge_agent.sources import Backoff

        capture = self.config.capture
        backoff = Backoff(capture.reconnect_initial_seconds, capture.reconnect_max_seconds)
        while not self._stopping.is_set():
            source = self._open()
            if source is None:
                self._stopping.wait(backoff.next_delay())
                continue
            pipeline = build_pipeline(
                self.config, source, self._sink, self._recognizer, self._detector
            )
            with self._lock:
                self._running = (pipeline, source)
            if self._stopping.is_set():
                pipeline.stop_requested.set()
            finished = self._run_pipeline(pipeline, source)
            if finished or self._stopping.is_set():
                return
            self._stopping.wait(backoff.next_delay())

    def _open(self) -> Any | None:
        try:
            source = self._open_source(self.config.source or "", self.config)
        except Exception as exc:  # a missing file, a bad URL: retried, never fatal to others
            self.report.failures += 1
            log.warning(
                "camera source cannot be opened; retrying",
                extra={"camera_id": self.camera_id, "error": str(exc)},
            )
            return None
        self.report.starts += 1
        log.info("camera started", extra={"camera_id": self.camera_id})
        return source

    def _run_pipeline(self, pipeline: Pipeline, source: Any) -> bool:
        """True when the camera is done for good (its file ended); False to start again."""
        try:
            pipeline.run()
            done = not getattr(source, "live", False)
        except Exception:
            self.report.failures += 1
            log.exception("camera failed; restarting it", extra={"camera_id": self.camera_id})
            done = False
        finally:
            source.close()
            self._add(pipeline, source)
            with self._lock:
                self._running = None
        if done:
            log.info("camera finished", extra={"camera_id": self.camera_id})
        return done

    def _add(self, pipeline: Pipeline, source: Any) -> None:
        total = self.report.pipeline
        for name, value in vars(pipeline.stats).items():
            setattr(total, name, getattr(total, name) + value)
        for name, value in vars(source.stats).items():
            self.report.source[name] = self.report.source.get(name, 0) + value


class MultiCameraAgent:
    """Every configured camera, each in its own thread, into one sink."""

    def __init__(
        self,
        config: AgentConfig,
        sink: EventSink,
        open_source: SourceOpener,
        recognizer: Recognizer | None = None,
        detectors: Callable[[AgentConfig], FaceDetector] | None = None,
    ) -> None:
        self.workers = []
        for camera in config.cameras:
            view = config.for_camera(camera)
            detector = detectors(view) if detectors is not None else None
            self.workers.append(CameraWorker(view, sink, open_source, recognizer, detector))
        self._stopped = threading.Event()

    def run(self, poll_seconds: float = 0.5) -> list[CameraReport]:
        """Until every camera has finished (files) or `stop()` is called (live cameras)."""
        for worker in self.workers:
            worker.start()
        while any(worker.alive for worker in self.workers) and not self._stopped.is_set():
            self._stopped.wait(poll_seconds)
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join()
        return [worker.report for worker in self.workers]

    def stop(self) -> None:
        self._stopped.set()
        for worker in self.workers:
            worker.stop()
