"""Doorman's edge pipeline as the benchmark runs it: default config, a video file, no network.

Events go to an in-memory sink that keeps each event with the frame index it came from
(the file source's timestamps start at 0, so index = round(t * fps)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edge_agent.events import FrameEvent
from edge_agent.pipeline import Frame, FrameSource


@dataclass
class RecordingSink:
    """Keeps every event (JPEG included) in memory."""

    events: list[FrameEvent] = field(default_factory=list)

    def submit(self, event: FrameEvent) -> None:
        self.events.append(event)


class _Capped:
    """A frame source that ends after `max_frames` frames."""

    def __init__(self, source: FrameSource, max_frames: int | None) -> None:
        self._source = source
        self._left = max_frames

    def read(self) -> Frame | None:
        if self._left is not None:
            if self._left <= 0:
                return None
            self._left -= 1
        return self._source.read()


class DoormanRunner:
    """Builds the pipeline up front (models loaded), so `run()` times only the frames.

    The stages come from `doorman watch`'s own builder with the default configuration.
    """

    def __init__(self, video: Path, max_frames: int | None = None) -> None:
        from edge_agent.assembly import build_pipeline
        from edge_agent.config import load_config
        from edge_agent.sources import FileSource

        self.config = load_config()
        self.source = FileSource(Path(video), start_epoch=0.0)
        self.fps = self.source.fps
        self.sink = RecordingSink()
        self.pipeline = build_pipeline(self.config, _Capped(self.source, max_frames), self.sink)

    def run(self) -> int:
        return self.pipeline.run().frames

    def frame_index(self, event: FrameEvent) -> int:
        return round(event.captured_at.timestamp() * self.fps)
