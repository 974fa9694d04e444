"""What `doorman events`, `people` and `forget` print is data, never markup or control codes.

Names, cameras and keys come from whoever can write to the buckets (a console user, a
camera's metadata). Rich markup in them (`[/]`, `[link=...]`) must be shown as typed, not
applied (or crash the command), and terminal control sequences (ESC, C1 CSI, bidi
overrides) must reach the terminal as visible escapes, never raw.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result

from adapters.discovery import Target, resolve
from adapters.tables import sighting_item
from cli import main
from cli.common import json_text, printable
from core.schemas import BoundingBox, EventRecord, FaceResult, Person, PersonRef
from core.tablekeys import event_sort_key
from localcloud.cloud import LocalCloud
from tests.support.cloud import quiet_cloud

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]

Run = Callable[..., Result]

LINK_NAME = "[link=https://evil.example]x[/link]"
RED_NAME = "Eve\x1b[31mRed"  # SGR: would colour the rest of the terminal red
HYPERLINK_NAME = "\x1b]8;;http://x\x07Bob\x1b]8;;\x07"  # OSC 8: a clickable hyperlink
BIDI_NAME = "Ann\u202egnp.exe"  # a right-to-left override
ESC_CAMERA = "door\x1b[2J"  # would clear the screen
C1_CAMERA = "porch\x9b31m"  # the 8-bit CSI
MARKUP_KEY = "archive/door/[/]/t-001.jpg"  # `[/]` closed nothing: rich raised MarkupError
PEOPLE = {
    "link": LINK_NAME,
    "red": RED_NAME,
    "hyperlink": HYPERLINK_NAME,
    "bidi": BIDI_NAME,
}
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def test_printable_makes_every_control_character_visible_and_keeps_the_rest() -> None:
    assert printable("José Núñez [b]x[/b] 😀") == "José Núñez [b]x[/b] 😀"
    assert printable(RED_NAME) == "Eve\\x1b[31mRed"
    assert printable("a\tb\nc\x00\x7f\x9b") == "a\\x09b\\x0ac\\x00\\x7f\\x9b"
    assert printable(BIDI_NAME) == "Ann\\u202egnp.exe"


def test_json_text_escapes_c1_and_bidi_controls_and_round_trips() -> None:
    document = {"camera": C1_CAMERA, "name": BIDI_NAME, "esc": RED_NAME, "plain": "José"}
    text = json_text(document)
    assert not any(c in text for c in RAW_CONTROLS)
    assert "José" in text
    assert json.loads(text) == document


@pytest.fixture(scope="module")
def cloud(
    aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    with quiet_cloud("term", aws_env, tmp_path_factory.mktemp("terminal")) as local:
        yield local


@pytest.fixture(scope="module")
def run(cloud: LocalCloud) -> Run:
    env = {**cloud.env(), "DOORMAN_LOCAL_DIR": str(cloud.data_dir)}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def face(person_id: str, name: str) -> FaceResult:
    box = BoundingBox(width=0.2, height=0.3, left=0.4, top=0.2)
    ref = PersonRef(person_id=person_id, name=name, watchlist="known", similarity=99.0)
    return FaceResult(index=0, status="known", bounding_box=box, confidence=99.9, person=ref)


def event(camera: str, key: str, faces: list[FaceResult], captured: datetime) -> EventRecord:
    image_hash = uuid.uuid4().hex[:16]
    captured_at = captured.isoformat(timespec="milliseconds")
    return EventRecord(
        camera_id=camera,
        event_time=event_sort_key(captured_at, image_hash),
        captured_at=captured_at,
        image_hash=image_hash,
        bucket="",
        image_key=key,
        faces=faces,
        severity="info",
        alarm=False,
        processed_key="",
        expires_at=int((captured + timedelta(days=1)).timestamp()),
    )


@pytest.fixture(scope="module")
def seeded(cloud: LocalCloud) -> Target:
    """People with hostile names, and events on hostile cameras and keys, as analyze and
    enroll would have written them."""
    with pytest.MonkeyPatch.context() as patch:  # endpoints from the environment win
        for key, value in cloud.env().items():
            patch.setenv(key, value)
        target = resolve(local_dir=cloud.data_dir)
    tables = target.tables()
    now = datetime.now(UTC)
    for person_id, name in PEOPLE.items():
        stamp = now.isoformat()
        person = Person(
            person_id=person_id, name=name, watchlist="known", enrolled_at=stamp, updated_at=stamp
        )
        assert tables.people.save(person, expected_version=None)
    records = [
        event(ESC_CAMERA, MARKUP_KEY, [face("link", LINK_NAME)], now - timedelta(minutes=5)),
        event(
            C1_CAMERA, "archive/porch/a.jpg", [face("red", RED_NAME)], now - timedelta(minutes=4)
        ),
        event(
            "gate",
            "archive/gate/b.jpg",
            [face("hyperlink", HYPERLINK_NAME)],
            now - timedelta(minutes=3),
        ),
        event("gate", "archive/gate/c.jpg", [face("bidi", BIDI_NAME)], now - timedelta(minutes=2)),
    ]
    for record in records:
        tables.events.put(record)
        tables.sightings.put_many(sighting_item(record, f) for f in record.faces)
    return target


def assert_shown_as_data(output: str, *texts: str) -> None:
    for raw in RAW_CONTROLS:
        assert raw not in output, f"{raw!r} reached the terminal"
    for text in texts:
        assert printable(text) in output, f"{printable(text)} is not shown as typed"


def test_events_shows_markup_and_control_codes_as_typed(run: Run, seeded: Target) -> None:
    result = run("events", "--since", "2h")
    assert result.exit_code == 0, result.output
    assert_shown_as_data(
        result.output,
        MARKUP_KEY,
        LINK_NAME,
        ESC_CAMERA,
        C1_CAMERA,
        RED_NAME,
        HYPERLINK_NAME,
        BIDI_NAME,
    )


def test_events_json_escapes_control_codes_and_keeps_the_data(run: Run, seeded: Target) -> None:
    result = run("events", "--since", "2h", "--json")
    assert result.exit_code == 0, result.output
    assert_shown_as_data(result.output)
    found = json.loads(result.output)
    assert {e["camera_id"] for e in found} == {ESC_CAMERA, C1_CAMERA, "gate"}
    assert {f["name"] for e in found for f in e["faces"]} == set(PEOPLE.values())
    assert MARKUP_KEY in {e["image_key"] for e in found}


def test_people_shows_names_and_cameras_as_typed(run: Run, seeded: Target) -> None:
    result = run("people")
    assert result.exit_code == 0, result.output
    assert_shown_as_data(result.output, *PEOPLE.values(), ESC_CAMERA, C1_CAMERA)
    as_json = run("people", "--json")
    assert_shown_as_data(as_json.output)
    assert {row["name"] for row in json.loads(as_json.output)} == set(PEOPLE.values())


def test_forget_names_the_person_as_typed(run: Run, seeded: Target) -> None:
    result = run("forget", LINK_NAME, "--yes", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert_shown_as_data(result.output, f"forgetting {LINK_NAME}", f"{LINK_NAME} is forgotten.")
