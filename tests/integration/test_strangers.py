"""Remembered strangers on real photos: the CompreFace samples through analyze, in localcloud.

Every photo goes through the whole path (S3 upload -> frames queue -> analyze with the face
service's dlib recognition -> Events, Sightings, the stranger's record, crops, mail), one at
a time so that "first" means first. Faces are told apart by the dataset's annotations: a
single-face photo is its person (A, B, C); a face in a group photo is the person whose nose
point falls inside its box, and each of those is somebody else.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.strangers import STRANGER_THRESHOLD, is_stranger_id, short_id
from tests.support.cloud import plain

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "compreface-samples"
CAMERAS = ("s-garden", "s-gate")
GROUP_CAMERA = "s-drive"


@dataclass(frozen=True)
class Seen:
    person: str  # "A", "B", "C" or "{file}#{nose}" for a face in a group photo
    photo: str
    camera: str
    face: dict[str, Any]

    @property
    def stranger_id(self) -> str:
        return str((self.face.get("stranger") or {}).get("stranger_id", ""))


@dataclass
class Run:
    seen: list[Seen]
    events: dict[str, dict[str, Any]]  # photo -> its event
    annotations: dict[str, Any]

    def ids(self, person: str) -> set[str]:
        return {s.stranger_id for s in self.seen if s.person == person}

    def of(self, person: str) -> list[Seen]:
        return [s for s in self.seen if s.person == person]


def _person_at(face: dict[str, Any], photo: str, size: tuple[int, int], notes: dict) -> str:
    who = {f: p for p, files in notes["people"].items() for f in files}
    if photo in who:
        return who[photo]
    box, (width, height) = face["bounding_box"], size
    for n, (x, y) in enumerate(notes["noses"][photo]):
        left, top = box["left"] * width, box["top"] * height
        if left <= x <= left + box["width"] * width and top <= y <= top + box["height"] * height:
            return f"{photo}#{n}"
    return f"{photo}#unmatched"


@pytest.fixture(scope="module")
def compreface(cloud) -> Run:
    if not SAMPLES.is_dir():
        pytest.fail(f"the CompreFace samples are missing: {SAMPLES}")
    from PIL import Image

    notes = json.loads((SAMPLES / "annotations.json").read_text())
    photos = sorted(notes["noses"])
    # Noon six days ago, then 7 hours apart: A's first two photos fall on different days.
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    start -= timedelta(days=6)
    cloud.set_armed("armed")
    keys: dict[str, tuple[str, str]] = {}
    single = [p for p in photos if p[4] in "ABC"]
    for n, photo in enumerate(photos):
        camera = CAMERAS[single.index(photo) % 2] if photo in single else GROUP_CAMERA
        key = cloud.put_frame(
            (SAMPLES / photo).read_bytes(),
            camera=camera,
            captured_at=start + timedelta(hours=7 * n),
            track=f"cf{n:02d}",
        )
        keys[photo] = (camera, key)
        if photo in single:  # one at a time: a person's first photo is the first sighting
            cloud.drain()
    cloud.drain()  # the group photos together: each of their faces is someone else
    events = {
        e["image_key"]: e for camera in {*CAMERAS, GROUP_CAMERA} for e in cloud.events(camera)
    }
    seen, by_photo = [], {}
    for photo, (camera, key) in keys.items():
        event = by_photo[photo] = events[key]
        size = Image.open(SAMPLES / photo).size
        for face in event["faces"]:
            seen.append(Seen(_person_at(face, photo, size, notes), photo, camera, face))
    return Run(seen, by_photo, notes)


def test_every_photo_of_a_after_the_first_lands_on_one_stranger(compreface, cloud) -> None:
    (a_id,) = compreface.ids("A")
    assert is_stranger_id(a_id)
    a = compreface.of("A")
    assert [s.photo for s in a] == compreface.annotations["people"]["A"]
    assert [s.face["stranger"]["sightings"] for s in a] == [1, 2, 3, 4, 5, 6]
    assert a[0].face["stranger"]["similarity"] == 0  # new: nothing to match yet
    assert all(s.face["stranger"]["similarity"] >= STRANGER_THRESHOLD for s in a[1:])
    # The Sightings item of each face carries the stranger's id (strangers' partition).
    sightings = [s for s in cloud.sightings("unknown") if s.get("stranger_id") == a_id]
    assert len(sightings) == 6


def test_b_is_another_stranger_and_nobody_is_merged(compreface) -> None:
    (b_id,) = compreface.ids("B")
    assert b_id not in compreface.ids("A")
    people_per_id: dict[str, set[str]] = defaultdict(set)
    for s in compreface.seen:
        if s.stranger_id:
            people_per_id[s.stranger_id].add(s.person)
    merged = {sid: who for sid, who in people_per_id.items() if len(who) > 1}
    remembered = [s for s in compreface.seen if s.stranger_id]
    people = {s.person for s in remembered}
    ids_per_person = Counter(len(compreface.ids(p) - {""}) for p in people)
    print(
        f"\nCompreFace: {len(compreface.seen)} faces found, {len(remembered)} remembered "
        f"({len(people)} real people; the rest too small or refused by IndexFaces); "
        f"stranger ids per person: {dict(ids_per_person)}; wrongly merged: {merged or 'none'}"
    )
    assert merged == {}
    assert ids_per_person == {1: len(people)}  # every remembered person has exactly one id
    # Group-photo faces too small to search stay anonymous; every other face is remembered.
    assert len(remembered) >= 20


def test_the_record_counts_cameras_and_keeps_the_best_crops(compreface, cloud) -> None:
    (a_id,) = compreface.ids("A")
    item = cloud.dynamodb.get_item(
        TableName=cloud.r.state_table, Key={"pk": {"S": f"stranger#{a_id}"}}
    )["Item"]
    record = plain(item)
    a = compreface.of("A")
    assert int(record["sightings"]) == 6
    assert record["first_camera"] == a[0].camera and record["last_camera"] == a[-1].camera
    assert record["first_seen"] == compreface.events[a[0].photo]["captured_at"]
    assert record["last_seen"] == compreface.events[a[-1].photo]["captured_at"]
    assert sorted(record["cameras"]) == sorted(CAMERAS)
    crops = record["crops"]
    assert len(crops) == 3  # bounded: the best three of six
    qualities = [float(c["quality"]) for c in crops]
    assert qualities == sorted(qualities, reverse=True)
    # Each kept crop is a stored JPEG and the only collection faces the stranger has.
    for crop in crops:
        body = cloud.s3.get_object(Bucket=cloud.r.audit_bucket, Key=crop["key"])["Body"].read()
        assert body[:3] == b"\xff\xd8\xff"
    faces = cloud.rekognition.list_faces(CollectionId=cloud.r.strangers_collection_id)["Faces"]
    mine = {f["FaceId"] for f in faces if f.get("ExternalImageId") == a_id}
    assert mine == {c["face_id"] for c in crops}
    stored = cloud.audit_keys(f"strangers/{a_id.removeprefix('stranger:')}/")
    assert sorted(stored) == sorted(c["key"] for c in crops)


def test_the_mail_says_which_stranger_and_how_often(compreface, cloud) -> None:
    (a_id,) = compreface.ids("A")
    a = compreface.of("A")
    second = compreface.events[a[1].photo]  # the first sighting at the second camera
    assert second["alert_status"] == "sent"
    first_day = datetime.fromisoformat(a[0].face["stranger"]["first_seen"].replace("Z", "+00:00"))
    expected = (
        f"stranger {short_id(a_id)}, seen 2 times since {first_day:%A}, "
        f"first at the {a[0].camera.replace('-', ' ')}"
    )
    bodies = [m["body"] for m in cloud.emails(a[1].camera)]
    assert any(expected in body for body in bodies), expected


@pytest.fixture(scope="module", autouse=True)
def forget_ada_afterwards(cloud):
    """The session's cloud is shared: the people this module names (Ada from A's
    sightings and once from B's photo by mistake, Bea from a corrected face) are forgotten
    when it is done, so no later test meets them. Forgetting Ada also erases the "not Ada"
    face that `correct --not` recorded (checked here, as it can only be checked last)."""
    yield
    from click.testing import CliRunner

    from cli import main

    for name in ("Ada Sample", "Bea Sample"):
        argv = ["forget", name, "--yes", "--timeout", "30"]
        result = CliRunner().invoke(main, [*argv, "--local-dir", str(cloud.local.data_dir)])
        assert result.exit_code == 0, result.output
    left = {
        f.get("ExternalImageId")
        for f in cloud.rekognition.list_faces(CollectionId=cloud.r.collection_id)["Faces"]
    }
    assert not left & {"ada-sample", "not:ada-sample", "bea-sample"}, left


@pytest.fixture(scope="module")
def doorman(cloud):
    """`doorman ... --local-dir <the session cloud>`, as an operator runs it."""
    from click.testing import CliRunner

    from cli import main

    def run(*args: str, input: str | None = None):
        argv = [*args, "--local-dir", str(cloud.local.data_dir)]
        return CliRunner().invoke(main, argv, input=input, catch_exceptions=False)

    return run


def test_doorman_events_names_the_stranger(compreface, doorman) -> None:
    (a_id,) = compreface.ids("A")
    a = compreface.of("A")
    result = doorman("events", "--since", "7d", "--camera", a[0].camera)
    assert result.exit_code == 0, result.output
    assert f"stranger {short_id(a_id)}" in result.output
    listed = json.loads(doorman("events", "--since", "7d", "--person", a_id, "--json").output)
    assert sorted(e["image_key"] for e in listed) == sorted(
        compreface.events[s.photo]["image_key"] for s in a
    )
    assert {f["stranger_id"] for e in listed for f in e["faces"]} >= {a_id}
    rows = json.loads(doorman("strangers", "--json").output)
    (row,) = [r for r in rows if r["stranger_id"] == a_id]
    assert (row["sightings"], row["crops"], sorted(row["cameras"])) == (6, 3, sorted(CAMERAS))
    assert f"stranger {short_id(a_id)}" in doorman("strangers").output


def test_report_has_a_strangers_section_with_crops_and_counts(compreface, doorman, tmp_path):
    (a_id,) = compreface.ids("A")
    result = doorman("report", "--since", "7d", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "index.html").read_text()
    assert "<h2>Strangers</h2>" in html
    hex_id = a_id.removeprefix("stranger:")
    thumb = tmp_path / "thumbs" / f"stranger-{hex_id}.jpg"
    assert thumb.read_bytes()[:3] == b"\xff\xd8\xff"
    card = html.split(f'data-stranger="{a_id}"', 1)[1].split("</figure>", 1)[0]
    assert f"stranger {short_id(a_id)}" in card and '<b class="num">6</b> times' in card


def test_naming_a_stranger_enrolls_its_crops_and_names_the_past(compreface, cloud, doorman):
    (a_id,) = compreface.ids("A")
    missing = doorman("name", "stranger 0000", "--name", "Nobody Here")
    assert missing.exit_code == 1 and "no stranger" in missing.output
    result = doorman(
        "name", f"stranger {short_id(a_id)}", "--name", "Ada Sample", "--timeout", "60"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count(": indexed") == 3
    person = cloud.person("ada-sample")
    assert person and person["watchlist"] == "known" and len(person["photos"]) == 3
    for key in person["photos"]:  # the real enroll path: tagged uploads, outcome tags
        tags = cloud.tags(cloud.r.faces_bucket, key)
        assert tags == {"name": "Ada Sample", "watchlist": "known", "enrollment": "indexed",
                        "person-id": "ada-sample"}  # fmt: skip
    assert _stranger_traces(cloud, a_id)["faces"] == 0  # the person's faces stand for it now
    again = doorman("name", a_id, "--name", "Ada Sample")
    assert again.exit_code == 1 and "named already" in again.output

    # Past events show the name, and are found by it.
    listed = json.loads(
        doorman("events", "--since", "7d", "--person", "Ada Sample", "--json").output
    )
    a = compreface.of("A")
    assert sorted(e["image_key"] for e in listed) == sorted(
        compreface.events[s.photo]["image_key"] for s in a
    )
    assert {f["named_as"] for e in listed for f in e["faces"]} == {"Ada Sample"}
    table = doorman("events", "--since", "7d", "--camera", a[0].camera).output
    assert "Ada Sample" in table  # the label, "Ada Sample (was stranger …)", may wrap

    # A's remaining photos (those whose crop was not kept) now match by name.
    kept = {c.split("/")[-1] for c in person["photos"]}
    assert len(kept) == 3
    crops_at = {
        crop["captured_at"]
        for crop in plain(cloud.dynamodb.get_item(
            TableName=cloud.r.state_table, Key={"pk": {"S": f"stranger#{a_id}"}}
        )["Item"])["crops"]
    }  # fmt: skip
    remaining = [s for s in a if compreface.events[s.photo]["captured_at"] not in crops_at]
    assert len(remaining) == 3
    for n, s in enumerate(remaining):
        cloud.put_frame((SAMPLES / s.photo).read_bytes(), camera="s-gate", track=f"cf-named-{n}")
    cloud.drain()
    named = [
        e for e in cloud.events("s-gate") if e["image_key"].split("/")[-1].startswith("cf-named-")
    ]
    assert len(named) == 3
    for event in named:
        (face,) = event["faces"]
        assert face["status"] == "known" and face["person"]["person_id"] == "ada-sample"
        assert face["person"]["similarity"] >= 90 and not face.get("stranger")


def _face_of_frame(cloud, camera: str, track: str) -> tuple[dict[str, Any], dict[str, Any]]:
    (event,) = [e for e in cloud.events(camera) if f"/{track}-001." in e["image_key"]]
    (face,) = event["faces"]
    return event, face


def test_correct_not_stops_a_wrong_match_and_is_adds_the_face(compreface, cloud, doorman):
    """A user's mistake: B's photo enrolled as Ada. B's other photo is then named Ada; after
    `correct --not`, it no longer is, while Ada's own photos still match her."""
    b1, b2 = (SAMPLES / p for p in compreface.annotations["people"]["B"])
    cloud.put_photo("known/Ada Sample/mistake.jpg", b1.read_bytes(),
                    {"name": "Ada Sample", "watchlist": "known"})  # fmt: skip
    cloud.drain()
    assert cloud.tags(cloud.r.faces_bucket, "known/Ada Sample/mistake.jpg")["enrollment"] == (
        "indexed"
    )
    cloud.put_frame(b2.read_bytes(), camera=GROUP_CAMERA, track="cf-wrong")
    cloud.drain()
    wrong, face = _face_of_frame(cloud, GROUP_CAMERA, "cf-wrong")
    assert face["status"] == "known" and face["person"]["name"] == "Ada Sample"
    (listed,) = [
        e
        for e in json.loads(doorman("events", "--since", "1h", "--json").output)
        if e["image_key"] == wrong["image_key"]
    ]
    event = listed["event_id"]

    for args, error in (
        ((event, "--face", "2", "--not", "Ada Sample"), "has 1 face: use --face 1 to 1, not 2"),
        ((event, "--face", "0", "--not", "Ada Sample"), "not 0"),
        (("fedcba98", "--face", "1", "--not", "Ada Sample"), "no event"),
        ((event, "--face", "1", "--not", "Nobody Here"), "nobody called"),
    ):
        refused = doorman("correct", *args)
        assert refused.exit_code == 1 and error in refused.output, refused.output
    negatives = [
        f for f in cloud.rekognition.list_faces(CollectionId=cloud.r.collection_id)["Faces"]
        if f.get("ExternalImageId") == "not:ada-sample"
    ]  # fmt: skip
    assert negatives == []  # the refused corrections changed nothing

    done = doorman("correct", event, "--face", "1", "--not", "Ada Sample")
    assert done.exit_code == 0, done.output
    recorded = cloud.rekognition.list_faces(CollectionId=cloud.r.collection_id)["Faces"]
    assert [f["ExternalImageId"] for f in recorded].count("not:ada-sample") == 1
    a = compreface.of("A")
    cloud.put_frame(b2.read_bytes(), camera=GROUP_CAMERA, track="cf-corrected")
    cloud.put_frame((SAMPLES / a[0].photo).read_bytes(), camera=GROUP_CAMERA, track="cf-ada")
    cloud.drain()
    corrected, face = _face_of_frame(cloud, GROUP_CAMERA, "cf-corrected")
    assert face["status"] == "stranger" and not face.get("person")
    _, ada = _face_of_frame(cloud, GROUP_CAMERA, "cf-ada")
    assert ada["status"] == "known" and ada["person"]["name"] == "Ada Sample"

    (listed,) = [
        e
        for e in json.loads(doorman("events", "--since", "1h", "--json").output)
        if e["image_key"] == corrected["image_key"]
    ]
    added = doorman("correct", listed["event_id"], "--face", "1", "--is", "Bea Sample")
    assert added.exit_code == 0, added.output
    bea = cloud.person("bea-sample")
    assert bea and bea["watchlist"] == "known" and len(bea["photos"]) == 1
    cloud.put_frame(b2.read_bytes(), camera=GROUP_CAMERA, track="cf-bea")
    cloud.drain()
    _, face = _face_of_frame(cloud, GROUP_CAMERA, "cf-bea")
    assert face["status"] == "known" and face["person"]["name"] == "Bea Sample"


def test_search_by_photo_finds_every_sighting_of_the_face(compreface, doorman, tmp_path):
    (a_id,) = compreface.ids("A")
    a = compreface.of("A")
    found = doorman("search", str(SAMPLES / a[-1].photo), "--since", "7d", "--json")
    assert found.exit_code == 0, found.output
    result = json.loads(found.output)
    assert result["people"] == ["ada-sample"] and a_id in result["strangers"]
    frames = {hit["frame"] for hit in result["sightings"]}
    # As a stranger before she was named, and by name since.
    assert {compreface.events[s.photo]["image_key"] for s in a} <= frames
    assert sum("/cf-named-" in f for f in frames) == 3
    assert {hit["who"] for hit in result["sightings"]} >= {
        "Ada Sample",
        f"stranger {short_id(a_id)}",
    }
    table = doorman("search", str(SAMPLES / a[-1].photo), "--since", "7d").output
    assert "Ada Sample" in table

    page = tmp_path / "report"
    shown = doorman("report", "--since", "7d", "--search", str(SAMPLES / a[-1].photo), "--out",
                    str(page))  # fmt: skip
    assert shown.exit_code == 0, shown.output
    in_report = {e["image_key"] for e in json.loads((page / "events.json").read_text())}
    assert in_report == frames  # the same timeline, as a page

    nobody = doorman("search", str(SAMPLES / "017_0.jpg"))
    assert nobody.exit_code == 1 and "no face found" in nobody.output
    group = doorman("search", str(SAMPLES / "000_5.jpg"), "--since", "7d")
    assert group.exit_code == 0 and "shows 4 faces; searched face 1" in group.output
    assert doorman("search", str(SAMPLES / "000_5.jpg"), "--face", "9").exit_code == 1


def test_merge_joins_two_strangers_and_refuses_what_it_must(compreface, cloud, doorman, gallery):
    x, y = (s.stranger_id for s in compreface.seen if s.photo == "010_2.jpg" and s.stranger_id)
    before = {sid: _stranger_traces(cloud, sid) for sid in (x, y)}
    for args, error in (
        (("stranger fedc", y), "no stranger"),
        ((x, x), "the same"),
        (("Nobody Here", y), "no stranger or person called"),
        (("Eileen Collins", "Ada Sample"), "merging would stop the alerts"),
    ):
        refused = doorman("merge", *args)
        assert refused.exit_code == 1 and error in refused.output, refused.output
    assert cloud.person(gallery.barred)["watchlist"] == "barred"
    assert {sid: _stranger_traces(cloud, sid) for sid in (x, y)} == before

    done = doorman("merge", f"stranger {short_id(x)}", f"stranger {short_id(y)}")
    assert done.exit_code == 0, done.output
    joined = _stranger_traces(cloud, y)
    assert joined["sightings"] == before[x]["sightings"] + before[y]["sightings"]
    assert joined["faces"] == joined["crops"] == 2  # both faces, now under y
    assert _stranger_traces(cloud, x) == {"record": 1, "faces": 0, "crops": 0, "sightings": 0}
    listed = json.loads(doorman("events", "--since", "7d", "--person", y, "--json").output)
    (event,) = listed  # the group photo, now showing one stranger twice
    assert {f["named_as"] for f in event["faces"] if f["stranger_id"] == x} == {
        f"stranger {short_id(y)}"
    }


def _stranger_traces(cloud, stranger_id: str) -> dict[str, int]:
    r = cloud.r
    record = cloud.dynamodb.get_item(
        TableName=r.state_table, Key={"pk": {"S": f"stranger#{stranger_id}"}}
    )
    faces = cloud.rekognition.list_faces(CollectionId=r.strangers_collection_id)["Faces"]
    return {
        "record": int("Item" in record),
        "faces": sum(f.get("ExternalImageId") == stranger_id for f in faces),
        "crops": len(cloud.audit_keys(f"strangers/{stranger_id.removeprefix('stranger:')}/")),
        "sightings": sum(s.get("stranger_id") == stranger_id for s in cloud.sightings("unknown")),
    }


def test_forget_erases_a_stranger_and_the_frames_it_was_seen_in(compreface, cloud, doorman):
    (b_id,) = compreface.ids("B")
    # B's two photos, and B's second photo again after `correct --not` (no longer Ada): the
    # same picture adds a sighting, not a crop.
    assert _stranger_traces(cloud, b_id) == {"record": 1, "faces": 2, "crops": 2, "sightings": 3}
    result = doorman("forget", f"stranger {short_id(b_id)}", "--yes", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert "is forgotten" in result.output
    assert _stranger_traces(cloud, b_id) == {"record": 0, "faces": 0, "crops": 0, "sightings": 0}
    for s in compreface.of("B"):
        frame = compreface.events[s.photo]
        assert not cloud.s3.list_objects_v2(
            Bucket=cloud.r.uploads_bucket, Prefix=frame["image_key"]
        ).get("Contents")
        assert all(e["image_key"] != frame["image_key"] for e in cloud.events(s.camera))
    again = doorman("forget", f"stranger {short_id(b_id)}", "--yes")
    assert again.exit_code == 1 and "no stranger" in again.output


def test_the_daily_expiry_erases_strangers_past_their_retention(compreface, cloud):
    """The expire_strangers handler itself, as EventBridge invokes it, with a retention of one
    day: the samples were seen one to six days ago, C once more just now."""
    from localcloud.provision import function_environments
    from localcloud.router import LocalFunction

    (a_id,), (c_id,) = compreface.ids("A"), compreface.ids("C")
    cloud.put_frame((SAMPLES / "009_C.jpg").read_bytes(), camera=GROUP_CAMERA, track="cf-c-now")
    cloud.drain()
    assert _stranger_traces(cloud, c_id)["sightings"] == 2
    env = {
        **cloud.local.env(),
        **function_environments(cloud.r, cloud.local.config)["expire_strangers"],
        "STRANGER_RETENTION_DAYS": "1",
    }
    expire = LocalFunction("expire_strangers", env, region="us-east-1", prefix="test")
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    result = expire.invoke(scheduled)
    assert a_id in result["expired"] and c_id not in result["expired"]
    assert _stranger_traces(cloud, a_id) == {"record": 0, "faces": 0, "crops": 0, "sightings": 0}
    kept = _stranger_traces(cloud, c_id)
    assert kept["record"] == 1 and kept["faces"] >= 1 and kept["sightings"] == 2
