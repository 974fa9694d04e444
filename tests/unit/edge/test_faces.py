"""Face detection inside regions (dlib HOG and YuNet, on real photos), quality scoring, the
YuNet weights check, and local recognition with a gallery."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import cv2
import face_recognition
import numpy as np
import pytest
from PIL import Image

from edge_agent.bestframe import face_crop
from edge_agent.config import FacesConfig
from edge_agent.faces import merge_overlapping, sharpness
from edge_agent.pipeline import Box, Candidate, FaceDetector
from edge_agent.recognizer import CACHE_NAME, GalleryRecognizer, load_gallery
from tests.support.images import FACES_DIR, augment


@functools.cache
def photo(name: str) -> np.ndarray:
    path = next(p for p in FACES_DIR.iterdir() if p.stem == name)
    return face_recognition.load_image_file(path)


def scene_with(name: str, at: tuple[int, int], scale: float = 0.6) -> np.ndarray:
    """A 1280x720 RGB frame with the photo pasted at `at` (top-left)."""
    rgb = np.full((720, 1280, 3), 120, np.uint8)
    face = cv2.resize(photo(name), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x, y = at
    rgb[y : y + face.shape[0], x : x + face.shape[1]] = face
    return rgb


@pytest.fixture(scope="module", params=["hog", "yunet"])
def detector(request: pytest.FixtureRequest) -> FaceDetector:
    from edge_agent.assembly import build_detector

    return build_detector(FacesConfig(detector=request.param))


def test_finds_the_face_inside_a_region_in_frame_coordinates(detector: FaceDetector) -> None:
    rgb = scene_with("grace_hopper", (700, 200))
    found = detector.locate(rgb, [Box(650, 150, 1100, 600)])
    assert len(found) == 1
    box = found[0].box
    assert 700 < box.left < box.right < 700 + 0.6 * 512 and 200 < box.top < 200 + 0.6 * 600
    assert found[0].score > 0.3 and 0 < found[0].quality <= 1


def test_looks_only_inside_regions(detector: FaceDetector) -> None:
    rgb = scene_with("grace_hopper", (700, 200))
    assert detector.locate(rgb, [Box(0, 0, 500, 700)]) == []
    assert detector.locate(rgb, []) == []
    assert detector.locate(rgb, [Box(700, 200, 730, 230)]) == []  # smaller than any face


def test_quality_prefers_sharp_frontal_faces(detector: FaceDetector) -> None:
    sharp = scene_with("luispedro", (300, 100), scale=0.8)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    region = [Box(250, 50, 600, 450)]
    a, b = detector.locate(sharp, region), detector.locate(blurred, region)
    assert a and b
    assert a[0].sharpness > b[0].sharpness and a[0].quality > b[0].quality
    frontal = detector.locate(scene_with("grace_hopper", (300, 100)), [Box(250, 50, 700, 600)])
    assert frontal[0].frontalness > 0.8


def test_a_face_cut_by_the_frame_edge_scores_lower(detector: FaceDetector) -> None:
    whole = scene_with("grace_hopper", (700, 200))
    cut = np.ascontiguousarray(whole[:, : 700 + 200])  # the frame ends inside the face
    a = detector.locate(whole, [Box(650, 150, 1100, 600)])
    b = detector.locate(cut, [Box(650, 150, 900, 600)])
    assert a and b and b[0].box.right == 900
    assert b[0].quality < a[0].quality * 0.5


def test_yunet_weights_are_checked_before_use(tmp_path: Path) -> None:
    from edge_agent.yunet import YUNET_MODEL, WeightsError, YuNetFaceDetector

    with pytest.raises(WeightsError, match=r"faces.detector = 'yunet': weights file .* missing"):
        YuNetFaceDetector(FacesConfig(), weights=tmp_path / "nothing.onnx")
    tampered = tmp_path / "yunet.onnx"
    tampered.write_bytes(YUNET_MODEL.read_bytes()[:-1] + b"\0")
    with pytest.raises(WeightsError, match=r"has SHA-256 [0-9a-f]{64}, expected"):
        YuNetFaceDetector(FacesConfig(), weights=tampered)


def test_small_inputs_are_padded_so_yunet_never_returns_garbage() -> None:
    """On inputs with a side of 32 px or less, OpenCV's YuNet sometimes returned rows of
    garbage (coordinates of 1e20 or infinite, score 1.0), which crashed the agent on the
    busy bench scene. Small motion regions are padded: 300 small crops of a real photo,
    through the real network, give only rows that lie on the input."""
    from edge_agent import yunet

    detector = yunet.YuNetFaceDetector(FacesConfig())
    rgb = scene_with("grace_hopper", (700, 200))
    rng = np.random.default_rng(5)
    for _ in range(300):
        width, height = (int(v) for v in rng.integers(8, 60, size=2))
        left, top = int(rng.integers(600, 1000)), int(rng.integers(150, 500))
        bgr = yunet.padded(np.ascontiguousarray(rgb[top : top + height, left : left + width]))
        assert min(bgr.shape[:2]) >= yunet.YUNET_MIN_INPUT_PX
        detector._net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = detector._net.detect(bgr)
        if faces is not None:
            assert np.isfinite(faces).all()
            assert (np.abs(faces[:, :14]) < 2 * yunet.YUNET_MIN_INPUT_PX).all(), faces
    big = np.zeros((100, 90, 3), np.uint8)
    assert yunet.padded(big) is big  # large enough: untouched


def test_an_infinite_yunet_row_is_no_face_and_crashes_nothing() -> None:
    """A row with an infinite coordinate (what an unpadded small input could give) is
    dropped, and the real face beside it is kept."""
    from edge_agent import yunet

    detector = yunet.YuNetFaceDetector(FacesConfig())
    real_network = detector._net

    class OneRowOverflows:  # fault injection: the real network, plus one broken row
        def setInputSize(self, size: tuple[int, int]) -> None:
            real_network.setInputSize(size)

        def detect(self, image: np.ndarray) -> tuple[int, np.ndarray | None]:
            status, faces = real_network.detect(image)
            assert faces is not None and len(faces) == 1
            broken = faces[0].copy()
            broken[1], broken[4] = np.inf, np.nan
            return status, np.vstack([broken, faces])

    detector._net = OneRowOverflows()
    found = detector.locate(scene_with("grace_hopper", (700, 200)), [Box(650, 150, 1100, 600)])
    assert len(found) == 1 and found[0].box.left > 700
    assert yunet.finite_rows(np.array([[1.0, np.inf], [1.0, 2.0], [np.nan, 0.0]])).tolist() == [
        [1.0, 2.0]
    ]


def test_sharpness_is_zero_for_flat_images() -> None:
    assert sharpness(np.full((80, 80, 3), 90, np.uint8)) == pytest.approx(0.0)


def test_merge_overlapping_boxes() -> None:
    merged = merge_overlapping(
        [Box(0, 0, 10, 10), Box(5, 5, 20, 20), Box(50, 50, 60, 60), Box(18, 0, 30, 6)]
    )
    assert merged == [Box(0, 0, 30, 20), Box(50, 50, 60, 60)]


# -- local recognition ---------------------------------------------------------------------


def jpeg_to_rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def gallery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("known_faces")
    for person, seeds in {"grace_hopper": (1, 2), "takeo": (3,)}.items():
        (root / person).mkdir()
        for seed in seeds:
            (root / person / f"{seed}.jpg").write_bytes(augment(FACES_DIR / _file(person), seed))
    Image.new("RGB", (200, 200), (90, 90, 90)).save(root / "takeo" / "wall.jpg")  # no face
    (root / "takeo" / "notes.txt").write_text("not a photo")
    return root


def _file(stem: str) -> str:
    return next(p.name for p in FACES_DIR.iterdir() if p.stem == stem)


def candidates_of(name: str, seeds: tuple[int, ...]) -> list[Candidate]:
    out = []
    for seed in seeds:
        rgb = jpeg_to_rgb(augment(FACES_DIR / _file(name), seed))
        top, right, bottom, left = face_recognition.face_locations(rgb, 1)[0]
        crop, inner = face_crop(rgb, Box(left, top, right, bottom))
        out.append(Candidate(1.0, seed, 0.0, None, Box(left, top, right, bottom), crop, inner))
    return out


def test_gallery_votes_for_the_right_person_and_strangers_are_unknown(gallery_dir: Path) -> None:
    gallery = load_gallery(gallery_dir)
    assert sorted(set(gallery.people)) == ["grace_hopper", "takeo"] and len(gallery) == 3
    assert gallery.skipped == ("takeo/wall.jpg",)
    recognizer = GalleryRecognizer(gallery, tolerance=0.5)
    assert recognizer.identify(candidates_of("grace_hopper", (11, 12, 13))) == "grace_hopper"
    assert recognizer.identify(candidates_of("luispedro", (11, 12))) == "unknown"
    assert recognizer.identify([]) == "unknown"


def test_a_split_vote_is_unknown(gallery_dir: Path) -> None:
    recognizer = GalleryRecognizer(load_gallery(gallery_dir), tolerance=0.5)
    mixed = candidates_of("grace_hopper", (21,)) + candidates_of("luispedro", (22,))
    assert recognizer.identify(mixed) == "unknown"


def test_encodings_are_cached_by_content(gallery_dir: Path) -> None:
    load_gallery(gallery_dir)
    assert (gallery_dir / CACHE_NAME).is_file()
    again = load_gallery(gallery_dir)
    assert again.encoded == 0 and len(again) == 3
    (gallery_dir / "takeo" / "4.jpg").write_bytes(augment(FACES_DIR / _file("takeo"), 4))
    grown = load_gallery(gallery_dir)
    assert grown.encoded == 1 and len(grown) == 4


def test_missing_gallery_means_everyone_is_unknown(tmp_path: Path) -> None:
    gallery = load_gallery(tmp_path / "nothing")
    assert len(gallery) == 0
    assert GalleryRecognizer(gallery, 0.5).identify(candidates_of("takeo", (1,))) == "unknown"


def test_hand_made_folder_names_become_header_safe_person_ids(
    gallery_dir: Path, tmp_path: Path
) -> None:
    load_gallery(gallery_dir)  # fills the encoding cache that the copy below reuses
    folder = tmp_path / "José Núñez"
    folder.mkdir()
    (folder / "1.jpg").write_bytes((gallery_dir / "grace_hopper" / "1.jpg").read_bytes())
    (tmp_path / CACHE_NAME).write_bytes((gallery_dir / CACHE_NAME).read_bytes())
    gallery = load_gallery(tmp_path)
    assert gallery.people == ("jose-nunez",)  # S3 metadata (local-match) is ASCII only
