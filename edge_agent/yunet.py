"""Face detection with YuNet (OpenCV's `cv2.FaceDetectorYN`), a small CNN that runs on a CPU.

The weights are OpenCV Zoo's block-quantized int8 YuNet (2023mar, MIT licence), shipped in
edge_agent/models/ with their licence; the loader checks their SHA-256 and never downloads.

YuNet finds faces from about 10 px to 300 px wide, so each motion region is scaled by
`YUNET_FACE_PX / min_face_px`: the smallest face of interest comes out about `YUNET_FACE_PX`
wide (a 1080p region at min_face_px = 80 is searched at a quarter of its size), and big
faces stay inside the trained range. YuNet gives five landmarks (eyes, nose tip, mouth
corners), so frontalness needs no extra model. Quality is scored as for HOG: size x
sharpness x frontalness, x `CUT_FACE_FACTOR` for a face cut by the frame's edge.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path

import cv2
import numpy as np

from edge_agent.config import FacesConfig
from edge_agent.faces import CUT_FACE_FACTOR, inside_edges, merge_overlapping, rescale, sharpness
from edge_agent.pipeline import Box, Detection

MODELS_DIR = Path(__file__).resolve().parent / "models"
YUNET_MODEL = MODELS_DIR / "face_detection_yunet_2023mar_int8bq.onnx"
YUNET_SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"
# YuNet's box hugs the face (brows to chin); dlib HOG's, which `min_face_px` was set by,
# takes in forehead and cheeks: on the same faces of the CompreFace samples YuNet's box is
# about 0.72 as wide. `min_face_px` keeps its meaning: a HOG-sized face.
YUNET_BOX_RATIO = 0.72
YUNET_FACE_PX = 24  # the smallest face of interest, in pixels of the searched image
YUNET_FLOOR_PX = 16  # ... and never smaller than this when big regions are scaled down
YUNET_MAX_FACE_PX = 280  # the largest face YuNet was trained on, with a margin
# OpenCV's FaceDetectorYN (4.14) returns rows of garbage (coordinates of 1e20 and more, or
# infinite, score 1.0) on some calls when a side of its input is 32 px or less: its coarsest
# feature map (stride 32) is then empty. Measured on the busy bench scene: 127 such sizes in
# 6,000 random crops, none once both sides were 33 px or more. Smaller inputs are padded.
YUNET_MIN_INPUT_PX = 64
NMS_THRESHOLD = 0.3
TOP_K = 50


class WeightsError(RuntimeError):
    """The detector's weights file is missing or is not the one this code was tested with."""


def verified_weights(path: Path = YUNET_MODEL, sha256: str = YUNET_SHA256) -> Path:
    if not path.is_file():
        raise WeightsError(
            f"faces.detector = 'yunet': weights file {path} is missing "
            "(it ships in edge_agent/models/; reinstall the agent)"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise WeightsError(
            f"faces.detector = 'yunet': weights file {path} has SHA-256 {digest}, expected {sha256}"
        )
    return path


class YuNetFaceDetector:
    def __init__(
        self, config: FacesConfig, weights: Path = YUNET_MODEL, sha256: str = YUNET_SHA256
    ) -> None:
        self.config = config
        self.min_face = config.min_face_px * YUNET_BOX_RATIO  # in YuNet's box widths
        self.scale = YUNET_FACE_PX / self.min_face
        self.floor = YUNET_FLOOR_PX / self.min_face
        # One network per process, shared by every camera's thread, one call at a time.
        self._net, self._lock = _network(
            str(verified_weights(weights, sha256)), config.yunet_min_score
        )

    def locate(self, rgb: np.ndarray, regions: list[Box]) -> list[Detection]:
        detections: list[Detection] = []
        for region in merge_overlapping(regions):
            detections.extend(self._search(rgb, region))
        return detections

    def _search(self, rgb: np.ndarray, region: Box) -> list[Detection]:
        if min(region.width, region.height) < self.config.min_face_px * 0.8:
            return []  # smaller than the smallest face with its surroundings
        crop = rgb[region.top : region.bottom, region.left : region.right]
        # A face as large as the region must stay inside YuNet's range; the smallest face
        # of interest must stay at least YUNET_FLOOR_PX wide.
        largest = YUNET_MAX_FACE_PX / max(1, min(region.width, region.height))
        scale = max(self.floor, min(self.scale, largest))
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        small = rescale(crop, size) if scale != 1.0 else crop
        bgr = padded(cv2.cvtColor(small, cv2.COLOR_RGB2BGR))  # YuNet was trained on BGR
        with self._lock:
            self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
            _, faces = self._net.detect(bgr)
        if faces is None:
            return []
        found = []
        for row in finite_rows(faces):
            box = self._to_frame(row, scale, region)
            if box.width < self.min_face * 0.8 or box.area == 0:
                continue
            landmarks = row[4:14].reshape(5, 2) / scale + (region.left, region.top)
            found.append(self._scored(rgb, box, float(row[14]), landmarks))
        return found

    @staticmethod
    def _to_frame(row: np.ndarray, scale: float, region: Box) -> Box:
        x, y, w, h = (float(v) / scale for v in row[:4])
        return Box(
            max(region.left, region.left + round(x)),
            max(region.top, region.top + round(y)),
            min(region.right, region.left + round(x + w)),
            min(region.bottom, region.top + round(y + h)),
        )

    def _scored(self, rgb: np.ndarray, box: Box, score: float, landmarks: np.ndarray) -> Detection:
        face = rgb[box.top : box.bottom, box.left : box.right]
        sharp = sharpness(face)
        frontal = landmark_frontalness(landmarks)
        size = min(1.0, box.width / (2 * self.min_face))
        whole = 1.0 if inside_edges(box, rgb.shape[1], rgb.shape[0]) else CUT_FACE_FACTOR
        return Detection(
            box=box,
            score=score,
            quality=size * sharp * frontal * whole,
            sharpness=sharp,
            frontalness=frontal,
        )


def padded(bgr: np.ndarray, minimum: int = YUNET_MIN_INPUT_PX) -> np.ndarray:
    """The image with black added at its right and bottom up to `minimum` px a side (so
    coordinates are unchanged; boxes are cut back to the region afterwards)."""
    height, width = int(bgr.shape[0]), int(bgr.shape[1])
    if height >= minimum and width >= minimum:
        return bgr
    bottom, right = max(0, minimum - height), max(0, minimum - width)
    return np.asarray(
        cv2.copyMakeBorder(bgr, 0, bottom, 0, right, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    )


def finite_rows(faces: np.ndarray) -> np.ndarray:
    """YuNet's rows without NaN or infinity: a second guard (see YUNET_MIN_INPUT_PX), as no
    box can be made of an infinite coordinate and the agent must not stop for one."""
    return faces[np.isfinite(faces).all(axis=1)]


def landmark_frontalness(landmarks: np.ndarray) -> float:
    """1 when the nose tip is midway between the eyes, 0 in full profile (YuNet's order:
    right eye, left eye, nose tip, right and left mouth corners)."""
    eye_a, eye_b, nose = landmarks[0], landmarks[1], landmarks[2]
    axis = eye_b - eye_a
    length2 = float(axis @ axis)
    if length2 < 1.0:
        return 0.0
    along = float((nose - eye_a) @ axis) / length2
    return float(np.clip(1.0 - abs(along - 0.5) * 2.0, 0.0, 1.0))


@functools.cache
def _network(weights: str, min_score: float) -> tuple[cv2.FaceDetectorYN, threading.Lock]:
    """Loaded once per process (and per score threshold), with the lock its users share."""
    network = cv2.FaceDetectorYN.create(weights, "", (320, 320), min_score, NMS_THRESHOLD, TOP_K)
    return network, threading.Lock()
