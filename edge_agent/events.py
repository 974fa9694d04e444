"""What the edge pipeline emits, and where it goes.

`FrameEvent` is the contract between the pipeline and every sink (dry-run folder, spool,
uploader). Its S3 key and metadata follow DESIGN.md exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from edge_agent import __version__

EventKind = Literal["face", "motion"]


@dataclass(frozen=True)
class FaceBox:
    """A face in pixel coordinates of the event frame."""

    top: int
    right: int
    bottom: int
    left: int


@dataclass(frozen=True)
class FrameEvent:
    camera_id: str
    track_id: str
    seq: int
    captured_at: datetime
    kind: EventKind
    jpeg: bytes
    local_match: str | None = None
    faces: tuple[FaceBox, ...] = field(default_factory=tuple)
    quality: float = 0.0

    def key(self) -> str:
        """Deterministic S3 key, so a retried upload overwrites the same object."""
        t = self.captured_at.astimezone(UTC)
        return f"frames/{self.camera_id}/{t:%Y}/{t:%m}/{t:%d}/{self.track_id}-{self.seq:03d}.jpg"

    def metadata(self) -> dict[str, str]:
        """The x-amz-meta-* fields (boto3 adds the prefix)."""
        meta = {
            "camera-id": self.camera_id,
            "captured-at": self.captured_at.astimezone(UTC).isoformat(timespec="milliseconds"),
            "track-id": self.track_id,
            "kind": self.kind,
            "agent-version": __version__,
        }
        if self.local_match is not None:
            meta["local-match"] = self.local_match
        return meta


class EventSink(Protocol):
    def submit(self, event: FrameEvent) -> None:
        """Accept one event; must not block the pipeline for long."""
        ...
