"""Best frame selection keeps the top k by quality, earliest first on ties."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge_agent.bestframe import CvJpegEncoder, TopKBestFrame
from edge_agent.pipeline import Box, Detection, Track


@dataclass
class FakeFrame:
    index: int
    t: float
    bgr: np.ndarray

    @property
    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2RGB)

    @property
    def gray(self) -> np.ndarray:
        return self.bgr[:, :, 0]


def frame(index: int) -> FakeFrame:
    return FakeFrame(index, index / 10, np.full((200, 300, 3), index, np.uint8))


def test_keeps_the_best_k_frames_best_first() -> None:
    best = TopKBestFrame(top_k=2)
    track = Track("t", 0, 0, Box(0, 0, 1, 1), 0)
    for index, quality in enumerate([0.2, 0.9, 0.5, 0.9, 0.1]):
        best.consider(track, frame(index), Detection(Box(10, 10, 60, 60), 1.0, quality))
    assert [(c.frame_index, c.quality) for c in track.frames] == [(1, 0.9), (3, 0.9)]
    assert track.frames[0].bgr[0, 0, 0] == 1  # the frame itself was kept, copied
    assert track.faces == []  # no recognizer: no crops


def test_face_crops_for_recognition_include_padding() -> None:
    best = TopKBestFrame(top_k=1, keep_faces=2)
    track = Track("t", 0, 0, Box(0, 0, 1, 1), 0)
    best.consider(track, frame(5), Detection(Box(100, 50, 200, 150), 1.0, 0.5))
    crop = track.faces[0]
    assert crop.face_rgb.shape == (160, 160, 3)
    assert crop.face_in_crop == Box(30, 30, 130, 130)


def test_jpeg_encoder_output_decodes() -> None:
    data = CvJpegEncoder(80).encode(frame(7).bgr)
    assert data[:2] == b"\xff\xd8"
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (200, 300, 3)
