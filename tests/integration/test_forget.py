"""`doorman forget` erases the State records the real handlers write about a person: enroll's
photo record (`photo#...`) and analyze's cooldown slot (`cooldown#...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from tests.support.cloud import CloudKit, plain
from tests.support.images import jpeg_bytes, open_rgb

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]


def state_about(cloud: CloudKit, person_id: str, photo: str) -> list[str]:
    """Keys of State items that name the person or the photo, whatever their format."""
    items = [
        plain(item)
        for page in cloud.dynamodb.get_paginator("scan").paginate(TableName=cloud.r.state_table)
        for item in page.get("Items", [])
    ]
    return sorted(
        item["pk"]
        for item in items
        if person_id in item["pk"] or photo in item["pk"] or item.get("person_id") == person_id
    )


def forget(cloud: CloudKit, name: str) -> Any:
    env = {**cloud.local.env(), "DOORMAN_LOCAL_DIR": str(cloud.local.data_dir)}
    return CliRunner().invoke(main, ["forget", name, "--yes"], env=env, catch_exceptions=False)


def test_forget_removes_the_photo_record_and_cooldowns_the_handlers_wrote(
    enrolled: CloudKit, sample_faces: dict[str, Path]
) -> None:
    cloud = enrolled
    name, person_id = "Mallory Forgetme", "mallory-forgetme"
    photo = f"barred/{name}/portrait.jpg"
    face = sample_faces["takeo"]
    cloud.put_photo(photo, face.read_bytes())
    cloud.drain()
    assert cloud.person(person_id) is not None, "enrolled"
    # A barred person alerts even when disarmed, and the alert takes her cooldown slot.
    cloud.set_armed("disarmed")
    try:
        camera = "forget-gate"
        cloud.put_frame(jpeg_bytes(open_rgb(face)), camera=camera)
        cloud.drain()
    finally:
        cloud.set_armed("armed")
    [event] = cloud.events(camera)
    assert event["severity"] == "critical" and event["alert_status"] == "sent"

    users = cloud.rekognition.list_users(CollectionId=cloud.r.collection_id)["Users"]
    assert {"UserId": person_id, "UserStatus": "ACTIVE"} in users  # her Rekognition user

    before = state_about(cloud, person_id, photo)
    assert any(pk.startswith("photo#") and pk.endswith(photo) for pk in before), before
    assert any(pk.startswith("cooldown#") and camera in pk for pk in before), before

    result = forget(cloud, name)

    assert result.exit_code == 0, result.output
    assert "is forgotten" in result.output
    assert state_about(cloud, person_id, photo) == []
    assert cloud.person(person_id) is None
    assert cloud.sightings(person_id) == []
    assert cloud.events(camera) == []
    users = cloud.rekognition.list_users(CollectionId=cloud.r.collection_id)["Users"]
    assert person_id not in {u["UserId"] for u in users}
    assert cloud.collection_faces(person_id) == []
