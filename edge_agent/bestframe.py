"""Keeps the best frames of each track: the top k by face quality, plus face crops.

Frames are copied only when they enter the top k, so a long track costs at most k frames
of memory. The crops (padded faces, RGB) feed the optional local recognizer's vote.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge_agent.pipeline import Box, Candidate, Detection, Frame, Track

CROP_PADDING = 0.3


class TopKBestFrame:
    def __init__(self, top_k: int = 1, keep_faces: int = 0) -> None:
        self.top_k = top_k
        self.keep_faces = keep_faces

    def consider(self, track: Track, frame: Frame, detection: Detection) -> None:
        quality = detection.quality
        if _qualifies(track.frames, quality, self.top_k):
            candidate = Candidate(quality, frame.index, frame.t, frame.bgr.copy(), detection.box)
            track.frames = _insert(track.frames, candidate, self.top_k)
        if self.keep_faces and _qualifies(track.faces, quality, self.keep_faces):
            crop, face_in_crop = face_crop(frame.rgb, detection.box)
            candidate = Candidate(
                quality, frame.index, frame.t, None, detection.box, crop, face_in_crop
            )
            track.faces = _insert(track.faces, candidate, self.keep_faces)


def face_crop(rgb: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    height, width = rgb.shape[:2]
    padded = box.padded(CROP_PADDING, width, height)
    crop = rgb[padded.top : padded.bottom, padded.left : padded.right].copy()
    inner = Box(
        box.left - padded.left,
        box.top - padded.top,
        box.right - padded.left,
        box.bottom - padded.top,
    )
    return crop, inner


def _qualifies(kept: list[Candidate], quality: float, limit: int) -> bool:
    return len(kept) < limit or quality > kept[-1].quality


def _insert(kept: list[Candidate], candidate: Candidate, limit: int) -> list[Candidate]:
    """Best first; on equal quality the earlier frame wins, so runs are reproducible."""
    ranked = sorted([*kept, candidate], key=lambda c: (-c.quality, c.frame_index))
    return ranked[:limit]


class CvJpegEncoder:
    """Encodes the chosen frame for upload (OpenCV's libjpeg; about 5 ms at 720p)."""

    def __init__(self, quality: int = 90) -> None:
        self.params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]

    def encode(self, bgr: np.ndarray) -> bytes:
        ok, buffer = cv2.imencode(".jpg", bgr, self.params)
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buffer.tobytes()
