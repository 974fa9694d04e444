"""A stolen edge credential must not flood the owner and the police.

An edge credential may write any `frames/` key with any metadata. Before, every forged camera
id had its own cooldown, so five forged ids sent five critical mails in seconds. Now a frame
from a camera the stack does not list is rejected, and alerts about one person are
rate-limited across cameras (one LocalCloud of its own, so no other test holds the slots)."""

from __future__ import annotations

import pytest

from tests.support.cloud import CloudKit, enroll_samples
from tests.support.images import FACES_DIR

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]

CONFIGURED = ("front-door", "garden", "side-gate")
FORGED = tuple(f"forged-{n}" for n in range(5))
OWNER, POLICE = "owner@example.com", "police@example.com"


@pytest.fixture(scope="module")
def kit(aws_env, tmp_path_factory, sample_faces):
    import uuid

    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig

    config = LocalConfig(
        prefix=f"dmflood{uuid.uuid4().hex[:5]}",
        visibility_timeout=2,
        cameras=CONFIGURED,
        authorities_emails=(POLICE,),
    )
    local = LocalCloud(config, data_dir=tmp_path_factory.mktemp("flood"), endpoints=aws_env)
    local.start()
    kit = CloudKit(local)
    enroll_samples(kit, sample_faces, ("barred",))  # Eileen Collins
    yield kit
    local.stop()


def mails(kit: CloudKit) -> list[dict]:
    """The mail this module's LocalCloud sent (moto's SES is shared by the whole session):
    each one links to a frame in this cloud's uploads bucket."""
    return [m for m in kit.emails() if kit.r.uploads_bucket in m["body"]]


def test_forged_camera_ids_are_rejected_and_mail_nobody(kit: CloudKit) -> None:
    barred = (FACES_DIR / "astronaut.png").read_bytes()
    keys = [kit.put_frame(barred, camera=camera) for camera in FORGED]
    # A configured camera in the key, another one in the metadata.
    swapped = kit.put_frame(barred, camera="garden", key="frames/front-door/2026/01/01/x-001.jpg")
    kit.drain()

    assert mails(kit) == []
    for key in [*keys, swapped]:
        assert kit.tags(kit.r.uploads_bucket, key) == {"classification": "rejected"}
    assert all(kit.events(camera) == [] for camera in FORGED)


def test_one_barred_person_on_three_cameras_mails_each_recipient_once(kit: CloudKit) -> None:
    barred = (FACES_DIR / "astronaut.png").read_bytes()
    for camera in CONFIGURED:
        kit.put_frame(barred, camera=camera)
    kit.drain()

    sent = mails(kit)
    assert len(sent) == 1, [m["subject"] for m in sent]
    (mail,) = sent
    assert "critical" in mail["subject"]
    assert set(mail["destinations"]["ToAddresses"]) == {OWNER, POLICE}
    statuses = sorted(e["alert_status"] for c in CONFIGURED for e in kit.events(c))
    assert statuses == ["rate-limited", "rate-limited", "sent"]
