"""The operator CLI against one LocalCloud: real enroll/analyze/notify handlers, moto and the
face service. Frames are uploaded the way the edge agent uploads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from cli import main
from edge_agent.events import FrameEvent
from tests.support.images import FACES_DIR, jpeg_bytes, open_rgb

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
# (camera, minutes after T0, sample photo): who the edge "saw".
FRAMES = [
    ("front", 0, "grace_hopper.jpg"),
    ("garden", 1, "astronaut.png"),
    ("front", 2, "luispedro.jpg"),
    ("front", 3, "grace_hopper.jpg"),
]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig

    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in quiet.items():
            patch.setenv(key, value)
        # moto's state is per process: a prefix of our own keeps other tests' data out.
        config = LocalConfig(prefix="doorman-cli", cooldown_seconds=0)
        with LocalCloud(config, data_dir=tmp_path_factory.mktemp("cli-cloud")) as running:
            # The environment a user gets from `doorman local up`, set once for the module
            # and put back only after the cloud (and its router threads) stopped: setting it
            # per command would race with the router's own per-invocation environment.
            user_env = {**running.env(), "DOORMAN_LOCAL_DIR": str(running.data_dir)}
            for key, value in user_env.items():
                patch.setenv(key, value)
            yield running


@pytest.fixture(scope="module")
def run(cloud):
    """`doorman ...` run as a user would after `doorman local up` (see `cloud`)."""

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def enrolled(run, tmp_path_factory):
    photos = tmp_path_factory.mktemp("photos")
    astronaut = photos / "eileen.jpg"
    astronaut.write_bytes(jpeg_bytes(open_rgb(FACES_DIR / "astronaut.png")))
    return {
        "grace": run("enroll", str(FACES_DIR / "grace_hopper.jpg"), "--name", "Grace Hopper"),
        "eileen": run(
            "enroll", str(astronaut), "--name", "Eileen Collins", "--watchlist", "barred"
        ),
        "jose": run("enroll", str(FACES_DIR / "takeo.jpg"), "--name", "José Núñez"),
    }


@pytest.fixture(scope="module")
def seen(cloud, enrolled):
    """Upload the frames like `doorman watch` does, then let analyze and notify run."""
    s3 = cloud.client("s3")
    for n, (camera, minutes, photo) in enumerate(FRAMES):
        event = FrameEvent(
            camera_id=camera,
            track_id=f"{camera}-t{n}",
            seq=1,
            captured_at=T0 + timedelta(minutes=minutes),
            kind="face",
            jpeg=jpeg_bytes(open_rgb(FACES_DIR / photo)),
        )
        s3.put_object(
            Bucket=cloud.resources.uploads_bucket,
            Key=event.key(),
            Body=event.jpeg,
            Metadata=event.metadata(),
            ContentType="image/jpeg",
        )
    cloud.drain(timeout=120)
    return cloud


def test_enroll_prints_the_enrollment_tag_of_each_photo(enrolled):
    for result in enrolled.values():
        assert result.exit_code == 0, result.output
        assert "indexed" in result.output


def test_enroll_reports_a_photo_without_a_face_and_exits_1(run, tmp_path):
    from PIL import Image

    blank = tmp_path / "wall.jpg"
    blank.write_bytes(jpeg_bytes(Image.new("RGB", (320, 240), (180, 170, 160))))
    result = run("enroll", str(blank), "--name", "Nobody", "--timeout", "60")
    assert result.exit_code == 1
    assert "no-face" in result.output
    assert "1 of 1 photos not enrolled" in result.output


def test_enroll_refuses_a_non_image_before_uploading_anything(run, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    result = run("enroll", str(text), str(FACES_DIR / "grace_hopper.jpg"), "--name", "X")
    assert result.exit_code == 1
    assert "not a JPEG or PNG" in result.output
    assert "uploaded" not in result.output


def test_people_lists_watchlists_photo_counts_and_last_seen(run, seen):
    rows = {row["name"]: row for row in json.loads(run("people", "--json").output)}
    assert set(rows) >= {"Grace Hopper", "Eileen Collins", "José Núñez"}
    assert rows["Grace Hopper"]["watchlist"] == "known"
    assert rows["Eileen Collins"]["watchlist"] == "barred"
    assert rows["Grace Hopper"]["photos"] == 1
    assert rows["Grace Hopper"]["last_seen"].startswith(
        (T0 + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    )
    assert rows["José Núñez"]["last_seen"] == ""
    table = run("people")
    assert table.exit_code == 0
    assert "José Núñez" in table.output and "never" in table.output


def test_events_filter_by_person_camera_and_time(run, seen):
    everything = json.loads(run("events", "--since", "2h", "--json").output)
    assert len(everything) == len(FRAMES)
    grace = json.loads(run("events", "--person", "grace hopper", "--json").output)
    assert [e["camera_id"] for e in grace] == ["front", "front"]
    garden = json.loads(run("events", "--camera", "garden", "--json").output)
    assert len(garden) == 1
    assert garden[0]["severity"] == "critical" and garden[0]["alerted"]
    assert garden[0]["faces"][0]["name"] == "Eileen Collins"
    strangers = json.loads(run("events", "--person", "stranger", "--json").output)
    assert [e["faces"][0]["status"] for e in strangers] == ["stranger"]
    later = (T0 + timedelta(minutes=1, seconds=30)).isoformat()
    assert len(json.loads(run("events", "--since", later, "--json").output)) == 2
    table = run("events", "--since", "2h")
    assert table.exit_code == 0
    assert "Eileen Collins" in table.output and "critical" in table.output


def test_events_rejects_a_bad_duration_and_an_unknown_person(run):
    result = run("events", "--since", "yesterday")
    assert result.exit_code == 1
    assert "30m, 2h, 7d" in result.output
    typo = run("events", "--person", "Grace Hoper")
    assert typo.exit_code == 1
    assert "nobody called 'Grace Hoper'" in typo.output


def test_disarm_and_arm_flip_the_ssm_parameter(run, cloud):
    ssm = cloud.client("ssm")
    name = cloud.resources.armed_parameter
    # disarm and arm are the modes home and away (core/rules.py).
    assert run("disarm").exit_code == 0
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "home"
    result = run("arm")
    assert result.exit_code == 0 and "armed" in result.output
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "away"


def test_stream_commands_explain_that_there_is_no_streaming_path(run):
    status = run("stream", "status")
    assert status.exit_code == 0
    assert "no stream processors" in status.output
    start = run("stream", "start", "--camera", "front")
    assert start.exit_code == 1
    assert "streaming=true" in start.output


def test_report_for_one_person_writes_page_and_thumbnails(run, seen, tmp_path):
    result = run("report", "--since", "2h", "--person", "Grace Hopper", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    events = json.loads((tmp_path / "events.json").read_text())
    assert len(events) == 2
    # Her two frames; no stranger cards in a report about her.
    assert len(list((tmp_path / "thumbs").glob("*.jpg"))) == 2
    html = (tmp_path / "index.html").read_text()
    assert html.count('<article class="event') == 2


def _traces(cloud, person_id: str, prefix: str) -> dict[str, int]:
    r = cloud.resources
    faces = cloud.client("rekognition").list_faces(CollectionId=r.collection_id)["Faces"]
    versions = cloud.client("s3").list_object_versions(Bucket=r.faces_bucket, Prefix=prefix)
    ddb = cloud.client("dynamodb")
    sightings = ddb.query(
        TableName=r.sightings_table,
        KeyConditionExpression="person_id = :p",
        ExpressionAttributeValues={":p": {"S": person_id}},
    )["Items"]
    return {
        "faces": sum(f.get("ExternalImageId") == person_id for f in faces),
        "photo versions": len(versions.get("Versions", []) + versions.get("DeleteMarkers", [])),
        "people": int("Item" in ddb.get_item(TableName=r.people_table,
                                             Key={"person_id": {"S": person_id}})),
        "sightings": len(sightings),
    }  # fmt: skip


def _frames_of(cloud, camera: str) -> list[str]:
    listing = cloud.client("s3").list_objects_v2(
        Bucket=cloud.resources.uploads_bucket, Prefix=f"frames/{camera}/"
    )
    return [o["Key"] for o in listing.get("Contents", [])]


def test_forget_asks_first_then_erases_every_trace(run, seen, cloud):
    # A second version of her photo (the faces bucket is versioned): forget erases both.
    key = "known/Grace Hopper/grace_hopper.jpg"
    cloud.client("s3").put_object(
        Bucket=cloud.resources.faces_bucket,
        Key=key,
        Body=(FACES_DIR / "grace_hopper.jpg").read_bytes(),
        Tagging="name=Grace%20Hopper&watchlist=known",
    )
    cloud.drain(timeout=60)
    before = _traces(cloud, "grace-hopper", "known/Grace Hopper/")
    assert before == {"faces": 1, "photo versions": 2, "people": 1, "sightings": 2}
    assert len(_frames_of(cloud, "front")) == 3

    declined = run("forget", "Grace Hopper", input="n\n")
    assert declined.exit_code == 1
    assert _traces(cloud, "grace-hopper", "known/Grace Hopper/") == before

    result = run("forget", "grace hopper", "--yes")
    assert result.exit_code == 0, result.output
    assert "is forgotten" in result.output
    assert _traces(cloud, "grace-hopper", "known/Grace Hopper/") == {
        "faces": 0,
        "photo versions": 0,
        "people": 0,
        "sightings": 0,
    }
    # Her two frames, their events and audit files are gone; the stranger's frame stays.
    assert len(_frames_of(cloud, "front")) == 1
    events = json.loads(run("events", "--since", "2h", "--json").output)
    assert all(f["person_id"] != "grace-hopper" for e in events for f in e["faces"])
    assert len(events) == 2
    audit = cloud.client("s3").list_objects_v2(Bucket=cloud.resources.audit_bucket)
    keys = [o["Key"] for o in audit.get("Contents", [])]
    assert not [k for k in keys if "front-t0" in k or "front-t3" in k]
    assert [k for k in keys if "front-t2" in k]  # the stranger's audit files remain
    # Everyone else is untouched, and a second forget finds nobody.
    assert _traces(cloud, "eileen-collins", "barred/Eileen Collins/")["faces"] == 1
    again = run("forget", "Grace Hopper", "--yes")
    assert again.exit_code == 1 and "nobody called" in again.output


def test_commands_without_any_doorman_fail_with_a_clear_message(tmp_path):
    env = {"DOORMAN_LOCAL_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["people"], env=env)
    assert result.exit_code == 1
    assert "no resources.json" in result.output
    unset = ["DOORMAN_LOCAL_DIR", "DOORMAN_RESOURCES", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_PROFILE", "AWS_ENDPOINT_URL"]  # fmt: skip
    no_stack = {**dict.fromkeys(unset), "AWS_CONFIG_FILE": str(tmp_path / "none")}
    result = CliRunner().invoke(main, ["forget", "Grace Hopper", "--yes"], env=no_stack)
    assert result.exit_code == 1
    assert "no AWS region" in result.output and "--local" in result.output


def test_every_command_has_help():
    for command in ("enroll", "people", "forget", "events", "arm", "disarm", "stream",
                    "stream start", "stream stop", "stream status", "cost", "report",
                    "demo"):  # fmt: skip
        result = CliRunner().invoke(main, [*command.split(), "--help"], prog_name="doorman")
        assert result.exit_code == 0, command
        assert f"Usage: doorman {command}" in result.output


def test_merge_joins_a_person_enrolled_twice_and_never_hides_a_barred_one(
    run, enrolled, cloud, tmp_path
):
    """Takeo was enrolled as José Núñez, and again, from another photo, as Takeo K: merging
    Takeo K into José moves the photo (retagged, re-indexed by enroll) and retires Takeo K.
    A barred person is never merged into a known one."""
    from PIL import ImageEnhance

    second = tmp_path / "takeo-indoors.jpg"
    darker = ImageEnhance.Brightness(open_rgb(FACES_DIR / "takeo.jpg")).enhance(0.8)
    second.write_bytes(jpeg_bytes(darker))
    enrolled_twice = run("enroll", str(second), "--name", "Takeo K", "--timeout", "60")
    assert enrolled_twice.exit_code == 0, enrolled_twice.output
    before = {
        person_id: _traces(cloud, person_id, prefix)
        for person_id, prefix in (
            ("takeo-k", "known/Takeo K/"),
            ("jose-nunez", "known/José Núñez/"),
            ("eileen-collins", "barred/Eileen Collins/"),
        )
    }
    assert before["takeo-k"]["faces"] == before["jose-nunez"]["faces"] == 1

    refused = run("merge", "Eileen Collins", "José Núñez")
    assert refused.exit_code == 1 and "merging would stop the alerts" in refused.output
    assert _traces(cloud, "eileen-collins", "barred/Eileen Collins/") == before["eileen-collins"]

    merged = run("merge", "Takeo K", "José Núñez", "--timeout", "60")
    assert merged.exit_code == 0, merged.output
    assert "Takeo K (known) is now José Núñez (known)" in merged.output
    rows = {row["name"]: row for row in json.loads(run("people", "--json").output)}
    assert "Takeo K" not in rows
    assert rows["José Núñez"]["photos"] == 2
    assert _traces(cloud, "takeo-k", "known/Takeo K/")["faces"] == 0
    assert _traces(cloud, "jose-nunez", "known/José Núñez/")["faces"] == 2
    users = cloud.client("rekognition").list_users(CollectionId=cloud.resources.collection_id)
    assert "takeo-k" not in {u["UserId"] for u in users["Users"]}
