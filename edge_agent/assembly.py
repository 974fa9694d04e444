"""The edge agent wired from its config: the production stages, the optional local
recognizer, and camera credentials put into the source URL. Used by `doorman watch`, the
bench and the demo, so all three run the same pipeline."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping

from edge_agent.config import AgentConfig, FacesConfig
from edge_agent.events import EventSink
from edge_agent.pipeline import (
    DecodeGate,
    FaceDetector,
    FrameSource,
    Pipeline,
    PipelineSettings,
    Recognizer,
    TrackIds,
)

log = logging.getLogger("edge_agent.watch")

CAMERA_USER_ENV = "DOORMAN_CAMERA_USER"
CAMERA_PASSWORD_ENV = "DOORMAN_CAMERA_PASSWORD"  # noqa: S105 - the variable's name


def build_pipeline(
    config: AgentConfig,
    source: FrameSource,
    sink: EventSink,
    recognizer: Recognizer | None = None,
    detector: FaceDetector | None = None,
) -> Pipeline:
    """The production stages wired from config (also used by bench/ and the demo)."""
    from edge_agent.bestframe import CvJpegEncoder, TopKBestFrame
    from edge_agent.motion import RunningAverageMotionGate
    from edge_agent.tracker import IouCentroidTracker

    ids = TrackIds(config.camera_id)
    faces = config.faces
    keep_faces = config.recognition.max_encodings_per_track if recognizer is not None else 0
    settings = PipelineSettings(
        camera_id=config.camera_id,
        detect_every_k=faces.detect_every_k,
        padding=faces.padding,
        report_after_seconds=faces.report_after_seconds,
        max_track_seconds=faces.max_track_seconds,
        min_track_hits=faces.min_track_hits,
        share_frames=faces.top_k == 1,
        motion_snapshot_interval_seconds=config.events.motion_snapshot_interval_seconds,
        motion_min_seconds=config.events.motion_min_seconds,
        motion_gap_seconds=config.events.motion_gap_seconds,
        upload_unknown_only=config.recognition.upload == "unknown-only",
    )
    return Pipeline(
        settings,
        source=source,
        motion=RunningAverageMotionGate(config.motion),
        detector=detector or build_detector(faces),
        tracker=IouCentroidTracker(faces, ids),
        best=TopKBestFrame(faces.top_k, keep_faces),
        encoder=CvJpegEncoder(config.events.jpeg_quality),
        sink=sink,
        recognizer=recognizer,
        new_track_id=ids,
        decode_gate=source if isinstance(source, DecodeGate) else None,
    )


def build_detector(faces: FacesConfig) -> FaceDetector:
    """The configured face detector (`faces.detector`)."""
    if faces.detector == "yunet":
        from edge_agent.yunet import YuNetFaceDetector

        return YuNetFaceDetector(faces)
    from edge_agent.faces import HogFaceDetector

    return HogFaceDetector(faces)


def build_recognizer(config: AgentConfig) -> Recognizer | None:
    if not config.recognition.enabled:
        return None
    from edge_agent.recognizer import GalleryRecognizer, load_gallery

    gallery = load_gallery(config.recognition.gallery_dir)
    log.info(
        "gallery loaded",
        extra={
            "faces": len(gallery),
            "people": len(set(gallery.people)),
            "encoded": gallery.encoded,
            "skipped": list(gallery.skipped),
        },
    )
    return GalleryRecognizer(gallery, config.recognition.tolerance)


def with_camera_credentials(spec: str, environ: Mapping[str, str]) -> str:
    """Put DOORMAN_CAMERA_USER/PASSWORD into an rtsp:// URL (never via argv or config)."""
    user, password = environ.get(CAMERA_USER_ENV), environ.get(CAMERA_PASSWORD_ENV)
    if not user or "://" not in spec:
        return spec
    parts = urllib.parse.urlsplit(spec)
    if parts.username:
        return spec
    auth = urllib.parse.quote(user, safe="")
    if password:
        auth += ":" + urllib.parse.quote(password, safe="")
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{auth}@{parts.netloc}"))
