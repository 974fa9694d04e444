"""Rekognition `FaceDetail` shapes built from a dlib detection and its 68 landmarks.

What is measured and what is not:
- BoundingBox, Confidence, Landmarks: from dlib (ratios of the image width/height, clipped
  to 0..1). Landmarks use Rekognition's names; "left" means the left of the image.
- Pose: estimated from the landmarks (roll from the eye line, yaw from the nose offset,
  pitch from the nose height between eyes and mouth); good to roughly +/-15 degrees.
- Quality: Brightness is the mean luminance of the face (0-100); Sharpness maps the variance
  of the Laplacian of the face, scaled to 100 px, to 0-100.
- With Attributes ALL: FaceOccluded is measured from the landmarks: Rekognition reports it
  "if a detected face's eyes, nose, and mouth are partially captured or if they are covered"
  (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_FaceOccluded.html). Here
  only "partially captured" is measured (how much of the face, as its eyes and nose place it,
  lies outside the image); covered faces (masks, hands) are not detected.
- With Attributes ALL: EyesOpen, MouthOpen and Smile come from landmark ratios. Emotions are
  NOT estimated: every emotion type is reported with the same neutral 12.5 confidence, so no
  consumer can read a mood into them. Age, gender, beard, glasses are omitted.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from .detection import Box, Detection

# One face's Rekognition `FaceDetail` (or part of one), as JSON.
FaceDetail = dict[str, Any]

EMOTION_TYPES = ("HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR")

# Rekognition landmark name -> 68-point indices (averaged).
_LANDMARKS: dict[str, tuple[int, ...]] = {
    "eyeLeft": (36, 37, 38, 39, 40, 41),
    "eyeRight": (42, 43, 44, 45, 46, 47),
    "nose": (30,),
    "mouthLeft": (48,),
    "mouthRight": (54,),
    "leftEyeBrowLeft": (17,),
    "leftEyeBrowRight": (21,),
    "leftEyeBrowUp": (19,),
    "rightEyeBrowLeft": (22,),
    "rightEyeBrowRight": (26,),
    "rightEyeBrowUp": (24,),
    "leftEyeLeft": (36,),
    "leftEyeRight": (39,),
    "leftEyeUp": (37, 38),
    "leftEyeDown": (40, 41),
    "rightEyeLeft": (42,),
    "rightEyeRight": (45,),
    "rightEyeUp": (43, 44),
    "rightEyeDown": (46, 47),
    "noseLeft": (31,),
    "noseRight": (35,),
    "mouthUp": (51,),
    "mouthDown": (57,),
    "leftPupil": (36, 37, 38, 39, 40, 41),
    "rightPupil": (42, 43, 44, 45, 46, 47),
    "upperJawlineLeft": (1,),
    "midJawlineLeft": (4,),
    "chinBottom": (8,),
    "midJawlineRight": (12,),
    "upperJawlineRight": (15,),
}


def _r(value: float, digits: int = 6) -> float:
    return round(float(value), digits)


def bounding_box(box: Box, width: int, height: int) -> dict[str, float]:
    left = min(max(box.left, 0), width)
    top = min(max(box.top, 0), height)
    right = min(max(box.right, 0), width)
    bottom = min(max(box.bottom, 0), height)
    return {
        "Width": _r((right - left) / width),
        "Height": _r((bottom - top) / height),
        "Left": _r(left / width),
        "Top": _r(top / height),
    }


def landmarks(points: np.ndarray, width: int, height: int) -> list[dict[str, Any]]:
    out = []
    for name, indices in _LANDMARKS.items():
        x, y = points[list(indices)].mean(axis=0)
        out.append(
            {"Type": name, "X": _r(min(max(x / width, 0), 1)), "Y": _r(min(max(y / height, 0), 1))}
        )
    return out


def pose(points: np.ndarray) -> dict[str, float]:
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    eye_mid, nose = (left_eye + right_eye) / 2, points[30]
    mouth_mid = (points[48] + points[54]) / 2
    dx, dy = right_eye - left_eye
    interocular = max(math.hypot(dx, dy), 1e-6)
    roll = math.degrees(math.atan2(dy, dx))
    # Rotate into the face frame so roll does not leak into yaw/pitch.
    cos, sin = dx / interocular, dy / interocular
    offset = nose - eye_mid
    along, across = offset[0] * cos + offset[1] * sin, -offset[0] * sin + offset[1] * cos
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, along / (0.6 * interocular)))))
    mouth = mouth_mid - eye_mid
    face_height = max(-mouth[0] * sin + mouth[1] * cos, 1e-6)
    pitch = (0.55 - across / face_height) * 120.0
    return {"Roll": _r(roll, 3), "Yaw": _r(yaw, 3), "Pitch": _r(max(-90, min(90, pitch)), 3)}


def quality(rgb: np.ndarray, box: Box) -> dict[str, float]:
    height, width = rgb.shape[:2]
    x0, y0 = max(box.left, 0), max(box.top, 0)
    x1, y1 = min(box.right, width), min(box.bottom, height)
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    if gray.size == 0:
        return {"Brightness": 0.0, "Sharpness": 0.0}
    brightness = float(gray.mean()) / 255.0 * 100.0
    face = cv2.resize(gray, (100, 100), interpolation=cv2.INTER_AREA).astype(np.float32)
    variance = float(cv2.Laplacian(face, cv2.CV_32F).var())
    sharpness = 100.0 * (1.0 - math.exp(-variance / 300.0))
    return {"Brightness": _r(brightness, 4), "Sharpness": _r(sharpness, 4)}


def _ratio_attribute(ratio: float, cut: float, spread: float) -> dict[str, Any]:
    ratio = float(ratio)
    confidence = 50.0 + 50.0 * min(abs(ratio - cut) / spread, 0.99)
    return {"Value": ratio > cut, "Confidence": _r(confidence, 3)}


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b)))


def expressions(points: np.ndarray) -> FaceDetail:
    """EyesOpen, MouthOpen and Smile from landmark ratios; neutral Emotions."""

    def eye_ratio(eye: np.ndarray) -> float:
        return (_dist(eye[1], eye[5]) + _dist(eye[2], eye[4])) / (2 * max(_dist(eye[0], eye[3]), 1))

    eye = (eye_ratio(points[36:42]) + eye_ratio(points[42:48])) / 2
    mouth_gap = _dist(points[62], points[66]) / max(_dist(points[60], points[64]), 1)
    corners_y = (points[48][1] + points[54][1]) / 2
    lips_mid_y = (points[62][1] + points[66][1]) / 2
    face_height = max(_dist(points[27], points[8]), 1)
    lift = (lips_mid_y - corners_y) / face_height  # corners above the lip centre: a smile
    return {
        "EyesOpen": _ratio_attribute(eye, 0.2, 0.1),
        "MouthOpen": _ratio_attribute(mouth_gap, 0.25, 0.25),
        "Smile": _ratio_attribute(lift, 0.02, 0.05),
        "Emotions": [{"Type": t, "Confidence": 12.5} for t in EMOTION_TYPES],
    }


# A face whose expected extent (from its eyes and nose) lies more than this share outside
# the image is "partially captured": FaceOccluded true.
OCCLUDED_SHARE = 0.15


def occluded(points: np.ndarray, width: int, height: int) -> dict[str, Any]:
    """FaceOccluded from how much of the face lies outside the image. dlib places all 68
    landmarks inside its detection box even when the face is cut by the image edge, so the
    face's extent is estimated from the eyes and nose instead: about 2.4 interocular
    distances wide around the nose, from 0.9 above the eyes to 1.9 below."""
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    iod = max(float(np.hypot(*(right_eye - left_eye))), 1e-6)
    nose_x, eyes_y = float(points[30][0]), float((left_eye[1] + right_eye[1]) / 2)
    x0, x1 = nose_x - 1.2 * iod, nose_x + 1.2 * iod
    y0, y1 = eyes_y - 0.9 * iod, eyes_y + 1.9 * iod
    inside = max(0.0, min(x1, width) - max(x0, 0)) * max(0.0, min(y1, height) - max(y0, 0))
    share = 1.0 - inside / ((x1 - x0) * (y1 - y0))
    distance = abs(share - OCCLUDED_SHARE) / OCCLUDED_SHARE
    return {
        "Value": share > OCCLUDED_SHARE,
        "Confidence": _r(50.0 + 50.0 * min(distance, 0.99), 3),
    }


def face_detail(rgb: np.ndarray, detection: Detection, all_attributes: bool) -> FaceDetail:
    height, width = rgb.shape[:2]
    detail: FaceDetail = {
        "BoundingBox": bounding_box(detection.box, width, height),
        "Landmarks": landmarks(detection.landmarks, width, height),
        "Pose": pose(detection.landmarks),
        "Quality": quality(rgb, detection.box),
        "Confidence": detection.confidence,
    }
    if all_attributes:
        detail.update(expressions(detection.landmarks))
        detail["FaceOccluded"] = occluded(detection.landmarks, width, height)
    return detail
