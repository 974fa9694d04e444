"""`doorman report`: a static HTML page of events, with thumbnails, filters and a chart.

The page is self-contained (inline CSS, a little vanilla JS, an inline SVG chart); the
thumbnails are JPEG files next to it, with the face boxes drawn on them. The markup is in
ops/templates/ (Jinja2, autoescaped): this module computes what the page shows.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from botocore.exceptions import ClientError
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from adapters.discovery import Target
from core.schemas import UNKNOWN_PERSON
from core.tablekeys import sort_key_time
from core.templating import html_templates
from ops.camera_check import check_cameras
from ops.events import EventView, FaceView, sort_key_floor
from ops.strangers import StrangerCard

THUMB_WIDTH = 480
BOX_COLOURS = {
    "barred": (220, 38, 38),
    "known": (22, 163, 74),
    "stranger": (234, 138, 0),
    "too-small": (140, 140, 140),
}


@dataclass(frozen=True)
class PersonCount:
    person_id: str
    name: str
    watchlist: str
    sightings: int
    last_seen: str


@dataclass
class ReportData:
    events: list[EventView]
    counts: list[PersonCount]
    origin: str
    filters: dict[str, str] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Remembered strangers (ops.strangers.write_stranger_cards), with their best crop.
    strangers: list[StrangerCard] = field(default_factory=list)


def sighting_counts(
    target: Target, since: datetime | None = None, camera: str | None = None
) -> list[PersonCount]:
    """Sightings per person (strangers as "unknown") from the Sightings table."""
    tables = target.tables()
    people = {p.person_id: p for p in tables.people.all()}
    floor = sort_key_floor(since) if since else ""
    counts = []
    for person_id in [*sorted(people), UNKNOWN_PERSON]:
        items = list(tables.sightings.of_person(person_id, since=floor))
        if camera:
            items = [s for s in items if s.get("camera_id") == camera]
        if not items and person_id == UNKNOWN_PERSON:
            continue
        person = people.get(person_id)
        stranger = person_id == UNKNOWN_PERSON
        counts.append(
            PersonCount(
                person_id=person_id,
                name=person.name if person else ("stranger" if stranger else person_id),
                watchlist=person.watchlist if person else "-",
                sightings=len(items),
                last_seen=max((sort_key_time(str(s["sighting_key"])) for s in items), default=""),
            )
        )
    return sorted(counts, key=lambda c: (-c.sightings, c.name))


# -- thumbnails ----------------------------------------------------------------------------
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def face_caption(face: FaceView) -> str:
    if face.similarity is not None and face.status in {"known", "barred"}:
        return f"{face.label} {face.similarity:.1f}%"
    return face.label


def draw_thumbnail(jpeg: bytes, faces: list[FaceView], width: int = THUMB_WIDTH) -> bytes:
    """The frame scaled to `width` with each face's box and caption drawn on it."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    if image.width > width:
        image = image.resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
        )
    draw = ImageDraw.Draw(image)
    font = _font(max(12, image.width // 32))
    line = max(2, image.width // 160)
    for face in faces:
        box = face.box
        if not box:
            continue
        left, top = box.get("left", 0) * image.width, box.get("top", 0) * image.height
        right = left + box.get("width", 0) * image.width
        bottom = top + box.get("height", 0) * image.height
        colour = BOX_COLOURS.get(face.status, BOX_COLOURS["stranger"])
        draw.rectangle((left, top, right, bottom), outline=colour, width=line)
        caption = face_caption(face)
        text_box = draw.textbbox((0, 0), caption, font=font)
        text_h = text_box[3] - text_box[1] + 6
        text_w = text_box[2] - text_box[0] + 8
        y = top - text_h if top - text_h >= 0 else bottom
        x = max(0, min(left, image.width - text_w))  # keep the caption inside the picture
        draw.rectangle((x, y, x + text_w, y + text_h), fill=colour)
        draw.text((x + 4, y + 2 - text_box[1]), caption, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _ignore(_message: str) -> None:
    pass


def write_thumbnails(
    target: Target,
    events: list[EventView],
    directory: Path,
    on_skip: Callable[[str], None] = _ignore,
) -> dict[int, str]:
    """Thumbnail file (relative to the report) per event index.

    A frame that is gone (expired by lifecycle, forgotten) gets no thumbnail, and its card
    says so. A frame that is there but cannot be drawn (not an image, or one whose header
    claims more pixels than Pillow will decode: a decompression bomb) is skipped too, and
    `on_skip` is told which and why."""
    storage = target.storage()
    thumbs = directory / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    for stale in thumbs.glob("[0-9][0-9][0-9][0-9].jpg"):  # from an earlier report here
        stale.unlink()
    written: dict[int, str] = {}
    for n, event in enumerate(events):
        if not event.image_key:
            continue
        try:
            jpeg = storage.read(event.bucket or target.resources.uploads_bucket, event.image_key)
        except ClientError:
            continue  # expired by lifecycle or forgotten: the card says so
        try:
            thumb = draw_thumbnail(jpeg, event.faces)
        # Image.open raises it from the header alone, above 2 x MAX_IMAGE_PIXELS (~179 Mpx):
        # https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.open
        except Image.DecompressionBombError as exc:
            on_skip(f"skipped the frame {event.image_key}: {exc}")
            continue
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            on_skip(f"skipped the frame {event.image_key}: not a readable image ({exc})")
            continue
        name = f"thumbs/{n:04d}.jpg"
        (directory / name).write_bytes(thumb)
        written[n] = name
    return written


# -- HTML ------------------------------------------------------------------------------------
_TEMPLATES = html_templates("ops")


@dataclass(frozen=True)
class HourBar:
    x: int
    height: int
    count: int
    title: str
    label: str  # the hour under the bar, on about one bar per 40 px


@dataclass(frozen=True)
class HourlyChart:
    width: int
    height: int
    pad: int
    bar_width: int
    peak: int
    bars: list[HourBar]


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def chart_of(events: list[EventView], min_hours: int = 12) -> HourlyChart | None:
    """Events per hour (UTC), ending at the latest event's hour; None without events."""
    times = [t for t in (_parse(e.captured_at) for e in events) if t]
    if not times:
        return None
    last, first = _hour(max(times)), _hour(min(times))
    hours = max(min_hours, int((last - first).total_seconds() // 3600) + 1)
    hours = min(hours, 24 * 14)
    start = last - timedelta(hours=hours - 1)
    buckets = Counter(int((_hour(t) - start).total_seconds() // 3600) for t in times)
    peak = max(buckets.values())
    bar_w, height, pad = max(4, min(28, 720 // hours)), 120, 24
    width = hours * bar_w + 2 * pad
    label_every = max(1, -(-hours * 40 // width))
    bars = []
    for h in range(hours):
        count, hour = buckets.get(h, 0), start + timedelta(hours=h)
        bars.append(
            HourBar(
                x=pad + h * bar_w,
                height=0 if not count else max(3, round(count / peak * (height - 20))),
                count=count,
                title=f"{hour:%Y-%m-%d %H}:00 UTC: {count} event{'s' if count != 1 else ''}",
                label=f"{hour:%H}:00" if h % label_every == 0 else "",
            )
        )
    return HourlyChart(width, height, pad, bar_w, peak, bars)


def hourly_chart(events: list[EventView], min_hours: int = 12) -> str:
    """An inline SVG bar chart of events per hour (UTC), ending at the latest event."""
    return _TEMPLATES.get_template("chart.svg.j2").render(chart=chart_of(events, min_hours))


def _parse(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FaceLine:
    status: str
    caption: str
    possible_match: str
    why_unknown: str = ""


@dataclass(frozen=True)
class EventCard:
    """What one event's card shows; `index` is the event's place in ReportData.events."""

    index: int
    event: EventView
    thumb: str | None
    people: str  # space-separated person ids, for the person filter
    shown_time: str
    alert_text: str
    faces: list[FaceLine]


def event_card(index: int, event: EventView, thumb: str | None) -> EventCard:
    when = _parse(event.captured_at)
    return EventCard(
        index=index,
        event=event,
        thumb=thumb,
        people=" ".join(sorted(event.people) or ["none"]),
        shown_time=f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else event.captured_at,
        alert_text=_alert_text(event),
        faces=[
            FaceLine(f.status, face_caption(f), f.possible_match, f.why_unknown)
            for f in event.faces
        ],
    )


def _alert_text(event: EventView) -> str:
    text = {"sent": "sent", "none": "not needed", "disarmed": "not sent (disarmed)"}.get(
        event.alert_status, f"not sent ({event.alert_status})"
    )
    return f"{text}, rule: {event.rule}" if event.rule else text


def render_html(data: ReportData, thumbs: dict[int, str]) -> str:
    events = data.events
    ordered = sorted(range(len(events)), key=lambda i: events[i].captured_at, reverse=True)
    names: dict[str, str] = {}
    for event in events:
        for face in event.faces:
            if face.status in {"known", "barred"}:
                names[face.person_id] = face.name or face.person_id
    person_options = [("", "everyone"), *sorted(names.items(), key=lambda kv: kv[1].lower())]
    if any(UNKNOWN_PERSON in e.people for e in events):
        person_options.append((UNKNOWN_PERSON, "strangers"))
    camera_options = [("", "all"), *[(c, c) for c in sorted({e.camera_id for e in events})]]
    severity_options = [("", "all")] + [
        (s, s) for s in ("critical", "warning", "info") if any(e.severity == s for e in events)
    ]
    return _TEMPLATES.get_template("report.html.j2").render(
        origin=data.origin,
        generated_at=f"{data.generated_at:%Y-%m-%d %H:%M}",
        filters=", ".join(f"{k} {v}" for k, v in data.filters.items() if v) or "none",
        alerts=sum(1 for e in events if e.alerted),
        recognized=len(names),
        chart=chart_of(events),
        counts=data.counts,
        strangers=data.strangers,
        camera_checks=check_cameras(events),
        filter_menus=[
            ("f-person", "Person", person_options),
            ("f-camera", "Camera", camera_options),
            ("f-severity", "Severity", severity_options),
        ],
        cards=[event_card(i, events[i], thumbs.get(i)) for i in ordered],
    )


def write_report(
    target: Target, data: ReportData, out_dir: Path, on_skip: Callable[[str], None] = _ignore
) -> Path:
    """Writes index.html, events.json and thumbs/ into `out_dir`; frames that cannot be drawn
    are left out and reported to `on_skip` (see write_thumbnails)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    thumbs = write_thumbnails(target, data.events, out_dir, on_skip)
    index = out_dir / "index.html"
    index.write_text(render_html(data, thumbs), encoding="utf-8")
    (out_dir / "events.json").write_text(
        json.dumps([e.to_json() for e in data.events], indent=1), encoding="utf-8"
    )
    return index
