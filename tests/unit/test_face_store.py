"""The face service's collection store and image decoding, without the network or dlib."""

from __future__ import annotations

import base64
import io
import threading
import uuid

import numpy as np
import pytest
from PIL import Image

from localcloud.faceservice import images
from localcloud.faceservice.errors import (
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidPaginationTokenException,
    InvalidParameterException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from localcloud.faceservice.store import CollectionStore, CorruptCollectionError

BOX = {"Width": 0.5, "Height": 0.5, "Left": 0.25, "Top": 0.25}


def add(store: CollectionStore, collection_id: str, vectors: np.ndarray, person: str = "p"):
    entries = [(str(uuid.uuid4()), "img", person, BOX, 99.0) for _ in range(len(vectors))]
    return store.add_faces(collection_id, entries, vectors)


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_create_get_delete_and_errors():
    store = CollectionStore()
    store.create("a")
    with pytest.raises(ResourceAlreadyExistsException):
        store.create("a")
    store.delete("a")
    with pytest.raises(ResourceNotFoundException):
        store.get("a")


def test_search_returns_nearest_within_distance_excluding_self():
    store = CollectionStore()
    store.create("c")
    vectors = unit_vectors(50)
    faces = add(store, "c", vectors)
    probe = vectors[7] + 0.01
    matches = store.search("c", probe, max_distance=0.5, max_faces=10)
    assert [m.face.face_id for m in matches] == [faces[7].face_id]
    assert matches[0].distance == pytest.approx(np.linalg.norm(probe - vectors[7]), rel=1e-5)
    everything = store.search("c", vectors[0], max_distance=10.0, max_faces=100)
    distances = [m.distance for m in everything]
    assert len(everything) == 50 and distances == sorted(distances)
    others = store.search("c", vectors[0], 10.0, 100, exclude_face_id=faces[0].face_id)
    assert faces[0].face_id not in {m.face.face_id for m in others}
    assert len(store.search("c", vectors[0], 10.0, 3)) == 3


def test_pagination_survives_deletion_between_pages():
    store = CollectionStore()
    store.create("c")
    faces = add(store, "c", unit_vectors(7))
    page, token = store.list_faces("c", 3, None)
    assert [f.face_id for f in page] == [f.face_id for f in faces[:3]]
    store.delete_faces("c", [faces[3].face_id])
    rest, token2 = store.list_faces("c", 10, token)
    assert [f.face_id for f in rest] == [f.face_id for f in faces[4:]]
    assert token2 is None
    with pytest.raises(InvalidPaginationTokenException):
        store.list_faces("c", 3, "%%%")


def test_persists_atomically_and_reloads(tmp_path):
    store = CollectionStore(tmp_path)
    store.create("c")
    vectors = unit_vectors(4)
    faces = add(store, "c", vectors, person="known:ada")
    store.delete_faces("c", [faces[0].face_id])
    reloaded = CollectionStore(tmp_path)
    collection = reloaded.get("c")
    assert [f.face_id for f in collection.faces] == [f.face_id for f in faces[1:]]
    assert collection.faces[0].external_image_id == "known:ada"
    np.testing.assert_allclose(collection.vectors, vectors[1:])
    more = add(reloaded, "c", unit_vectors(1, seed=9))
    assert more[0].seq == 4  # sequence numbers continue, so tokens stay valid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_unreadable_collection_file_is_named_and_leftovers_are_cleared(tmp_path):
    store = CollectionStore(tmp_path)
    store.create("good")
    add(store, "good", unit_vectors(2))
    (tmp_path / "half-written.tmp").write_bytes(b"partial")
    reloaded = CollectionStore(tmp_path)
    assert len(reloaded.get("good").faces) == 2
    assert not list(tmp_path.glob("*.tmp"))
    truncated = (tmp_path / "good.npz").read_bytes()[:200]
    for damaged in (truncated, b"not a numpy archive"):
        (tmp_path / "broken.npz").write_bytes(damaged)
        with pytest.raises(CorruptCollectionError, match=r"broken\.npz"):
            CollectionStore(tmp_path)


def test_concurrent_adds_lose_nothing(tmp_path):
    store = CollectionStore(tmp_path)
    store.create("c")

    def worker(seed: int) -> None:
        for i in range(10):
            add(store, "c", unit_vectors(1, seed=seed * 100 + i))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.get("c").faces) == 40
    assert len(CollectionStore(tmp_path).get("c").faces) == 40


def _encoded(image: Image.Image, fmt: str) -> dict:
    out = io.BytesIO()
    image.save(out, fmt)
    return {"Bytes": base64.b64encode(out.getvalue()).decode()}


def test_image_decoding_limits():
    rgb = images.load(_encoded(Image.new("RGB", (100, 90), (1, 2, 3)), "JPEG"), None).rgb
    assert rgb.shape == (90, 100, 3) and rgb.dtype == np.uint8
    with pytest.raises(InvalidParameterException):
        images.load(_encoded(Image.new("RGB", (100, 79)), "PNG"), None)
    with pytest.raises(InvalidImageFormatException):
        images.load(_encoded(Image.new("RGB", (100, 100)), "GIF"), None)
    with pytest.raises(InvalidImageFormatException):
        images.load({"Bytes": "***not base64***"}, None)
    big = b"\xff\xd8\xff" + bytes(images.MAX_BYTES)
    with pytest.raises(ImageTooLargeException):
        images.load({"Bytes": base64.b64encode(big).decode()}, None)
    with pytest.raises(InvalidParameterException):
        images.load({}, None)


def test_transparent_png_is_composited_on_white():
    rgba = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    rgba.paste((200, 10, 10, 255), (0, 0, 50, 100))
    rgb = images.load(_encoded(rgba, "PNG"), None).rgb
    assert tuple(rgb[50, 10]) == (200, 10, 10)
    assert tuple(rgb[50, 90]) == (255, 255, 255)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (200, 100), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    rgb = images.load({"Bytes": base64.b64encode(out.getvalue()).decode()}, None).rgb
    assert rgb.shape[:2] == (200, 100)
