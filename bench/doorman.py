"""Doorman's edge pipeline as the benchmark runs it: default config, a video file, no network.

Events go to an in-memory sink that keeps each event with the frame index it came from
(the file source's timestamps start at 0, so index = round(t * fps)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edge_agent.events import FrameEvent
from edge_agent.pipeline import Frame

if TYPE_CHECKING:
    from edge_agent.decoding import DecodeMode, GatedFileSource


@dataclass
class RecordingSink:
    """Keeps every event (JPEG included) in memory."""

    events: list[FrameEvent] = field(default_factory=list)

    def submit(self, event: FrameEvent) -> None:
        self.events.append(event)


class _Capped:
    """A gated source that ends at frame number `max_frames` of the video."""

    def __init__(self, source: GatedFileSource, max_frames: int | None) -> None:
        self._source = source
        self._limit = max_frames

    def read(self) -> Frame | None:
        frame = self._source.read()
        if frame is None or (self._limit is not None and frame.index >= self._limit):
            return None
        return frame

    def follow(self, busy: bool) -> None:
        self._source.follow(busy)


class DoormanRunner:
    """Builds the pipeline up front (models loaded), so `run()` times only the frames.

    The stages come from `doorman watch`'s own builder with the default configuration; the
    video is decoded by PyAV, keyframe-gated (`decode="keyframes"`, the default) or every
    frame (`decode="full"`).
    """

    def __init__(
        self, video: Path, max_frames: int | None = None, decode: DecodeMode = "keyframes"
    ) -> None:
        from edge_agent.assembly import build_pipeline
        from edge_agent.config import load_config
        from edge_agent.decoding import GatedFileSource

        self.config = load_config()
        self.source = GatedFileSource(
            Path(video), decode, self.config.capture.max_keyframe_interval_seconds, 0.0
        )
        self.fps = self.source.fps
        self.max_frames = max_frames
        self.sink = RecordingSink()
        self.pipeline = build_pipeline(self.config, _Capped(self.source, max_frames), self.sink)

    def run(self, on_frame: Callable[[Frame], None] | None = None) -> int:
        """Process the video; returns how many of its frames were covered (decoded or not)."""
        processed = self.pipeline.run(on_frame).frames
        covered = processed + self.source.stats.skipped
        return covered if self.max_frames is None else min(covered, self.max_frames)

    def frame_index(self, event: FrameEvent) -> int:
        return round(event.captured_at.timestamp() * self.fps)
