"""`doorman report`: a static HTML page of events, with thumbnails, filters and a chart.

The page is self-contained (inline CSS, a little vanilla JS, an inline SVG chart); the
thumbnails are JPEG files next to it, with the face boxes drawn on them.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from botocore.exceptions import ClientError
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from adapters.discovery import Target
from core.schemas import UNKNOWN_PERSON
from ops import tables
from ops.events import EventView, FaceView, sort_key_floor

THUMB_WIDTH = 480
BOX_COLOURS = {
    "barred": (220, 38, 38),
    "known": (22, 163, 74),
    "stranger": (234, 138, 0),
    "too-small": (140, 140, 140),
}
SEVERITY_LABEL = {"critical": "critical", "warning": "warning", "info": "info"}


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


def sighting_counts(
    target: Target, since: datetime | None = None, camera: str | None = None
) -> list[PersonCount]:
    """Sightings per person (strangers as "unknown") from the Sightings table."""
    client = target.client("dynamodb")
    people = {
        p["person_id"]: p for p in tables.scan(client, TableName=target.resources.people_table)
    }
    counts = []
    for person_id in [*sorted(people), UNKNOWN_PERSON]:
        condition, values = "person_id = :p", {":p": {"S": person_id}}
        if since:
            condition += " AND sighting_key >= :t"
            values[":t"] = {"S": sort_key_floor(since)}
        items = list(
            tables.query(
                client,
                TableName=target.resources.sightings_table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        )
        if camera:
            items = [s for s in items if s.get("camera_id") == camera]
        if not items and person_id == UNKNOWN_PERSON:
            continue
        person = people.get(person_id, {})
        counts.append(
            PersonCount(
                person_id=person_id,
                name=person.get("name", "stranger" if person_id == UNKNOWN_PERSON else person_id),
                watchlist=person.get("watchlist", "-"),
                sightings=len(items),
                last_seen=max((str(s["sighting_key"]).split("#")[0] for s in items), default=""),
            )
        )
    return sorted(counts, key=lambda c: (-c.sightings, c.name))


# -- thumbnails ----------------------------------------------------------------------------
def _font(size: int) -> ImageFont.ImageFont:
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
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
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


def write_thumbnails(target: Target, events: list[EventView], directory: Path) -> dict[int, str]:
    """Thumbnail file (relative to the report) per event index; missing frames are skipped."""
    s3 = target.client("s3")
    thumbs = directory / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    for stale in thumbs.glob("[0-9][0-9][0-9][0-9].jpg"):  # from an earlier report here
        stale.unlink()
    written: dict[int, str] = {}
    for n, event in enumerate(events):
        if not event.image_key:
            continue
        try:
            jpeg = s3.get_object(
                Bucket=event.bucket or target.resources.uploads_bucket, Key=event.image_key
            )["Body"].read()
            thumb = draw_thumbnail(jpeg, event.faces)
        except (ClientError, UnidentifiedImageError, OSError):
            continue  # expired by lifecycle, forgotten, or unreadable: the card says so
        name = f"thumbs/{n:04d}.jpg"
        (directory / name).write_bytes(thumb)
        written[n] = name
    return written


# -- HTML ------------------------------------------------------------------------------------
def hourly_chart(events: list[EventView], min_hours: int = 12) -> str:
    """An inline SVG bar chart of events per hour (UTC), ending at the latest event."""
    times = [_parse(e.captured_at) for e in events]
    times = [t for t in times if t]
    if not times:
        return '<p class="muted">No events in this period.</p>'
    last = max(times).replace(minute=0, second=0, microsecond=0)
    first = min(times).replace(minute=0, second=0, microsecond=0)
    hours = max(min_hours, int((last - first).total_seconds() // 3600) + 1)
    hours = min(hours, 24 * 14)
    start = last - timedelta(hours=hours - 1)
    buckets = Counter(
        int((t.replace(minute=0, second=0, microsecond=0) - start).total_seconds() // 3600)
        for t in times
    )
    peak = max(buckets.values())
    bar_w, height, pad = max(4, min(28, 720 // hours)), 120, 24
    width = hours * bar_w + 2 * pad
    bars = []
    for h in range(hours):
        count = buckets.get(h, 0)
        bar_h = 0 if not count else max(3, round(count / peak * (height - 20)))
        x, hour = pad + h * bar_w, start + timedelta(hours=h)
        title = f"{hour:%Y-%m-%d %H}:00 UTC: {count} event{'s' if count != 1 else ''}"
        bars.append(
            f'<rect class="bar" x="{x + 1}" y="{height - bar_h}" width="{bar_w - 2}" '
            f'height="{bar_h}" data-count="{count}"><title>{escape(title)}</title></rect>'
        )
        if h % max(1, -(-hours * 40 // width)) == 0:  # about one label per 40 px
            bars.append(f'<text x="{x}" y="{height + 14}" class="axis">{hour:%H}:00</text>')
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height + 20}" width="{width}" '
        f'height="{height + 20}" role="img" aria-label="events per hour">'
        f'<text x="{pad}" y="12" class="axis">max {peak}/h</text>{"".join(bars)}</svg>'
    )


def _parse(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event_card(n: int, event: EventView, thumb: str | None) -> str:
    people = sorted(event.people) or ["none"]
    faces = "".join(
        f'<li class="face {escape(f.status)}">{escape(face_caption(f))}'
        f"{' - possible ' + escape(f.possible_match) if f.possible_match else ''}</li>"
        for f in event.faces
    )
    labels = ", ".join(event.labels)
    image = (
        f'<img src="{escape(thumb)}" alt="frame from {escape(event.camera_id)}" loading="lazy">'
        if thumb
        else '<div class="gone">frame no longer stored</div>'
    )
    when = _parse(event.captured_at)
    shown = f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else event.captured_at
    return (
        f'<article class="event sev-{escape(event.severity)}" data-index="{n}" '
        f'data-people="{escape(" ".join(people))}" data-camera="{escape(event.camera_id)}" '
        f'data-severity="{escape(event.severity)}">{image}<div class="meta">'
        f'<div><span class="badge {escape(event.severity)}">{escape(event.severity)}</span> '
        f'<time datetime="{escape(event.captured_at)}">{escape(shown)}</time></div>'
        f'<div class="camera">camera <b>{escape(event.camera_id)}</b> &middot; '
        f"{escape(event.kind)} frame &middot; alert {escape(_alert_text(event))}</div>"
        f'<ul class="faces">{faces}</ul>'
        f"{f'<div class=labels>labels: {escape(labels)}</div>' if labels else ''}"
        f"</div></article>"
    )


def _alert_text(event: EventView) -> str:
    return {"sent": "sent", "none": "not needed", "disarmed": "not sent (disarmed)"}.get(
        event.alert_status, f"not sent ({event.alert_status})"
    )


def _options(values: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(t)}</option>' for v, t in values)


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
    counts_rows = "".join(
        f'<tr data-person="{escape(c.person_id)}"><td>{escape(c.name)}</td>'
        f"<td>{escape(c.watchlist)}</td><td class=num>{c.sightings}</td>"
        f"<td>{escape(c.last_seen[:19].replace('T', ' '))}</td></tr>"
        for c in data.counts
    )
    alerts = sum(1 for e in events if e.alerted)
    filters = ", ".join(f"{k} {v}" for k, v in data.filters.items() if v) or "none"
    cards = "".join(_event_card(i, events[i], thumbs.get(i)) for i in ordered)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Doorman report</title>
<style>{_CSS}</style></head>
<body>
<header><h1>Doorman report</h1>
<p class="muted">{escape(data.origin)} &middot; generated {data.generated_at:%Y-%m-%d %H:%M} UTC
&middot; filters: {escape(filters)}</p>
<div class="stats"><div><b id="total">{len(events)}</b> events</div>
<div><b>{alerts}</b> alerts sent</div><div><b>{len(names)}</b> people recognized</div></div>
</header>
<section class="top">
<div class="panel"><h2>Events per hour</h2>{hourly_chart(events)}</div>
<div class="panel"><h2>Sightings per person</h2>
<table id="counts"><thead><tr><th>who</th><th>watchlist</th><th>sightings</th>
<th>last seen (UTC)</th></tr></thead><tbody>{counts_rows}</tbody></table></div>
</section>
<section class="filters">
<label>Person <select id="f-person">{_options(person_options)}</select></label>
<label>Camera <select id="f-camera">{_options(camera_options)}</select></label>
<label>Severity <select id="f-severity">{_options(severity_options)}</select></label>
<span id="shown" class="muted">{len(events)} shown</span>
</section>
<main id="timeline">{cards or '<p class="muted">No events match.</p>'}</main>
<script>{_JS}</script>
</body></html>
"""


_CSS = """
body{font:15px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
 max-width:1100px;padding:16px;color:#1f2328;background:#f6f8fa}
h1{margin:0 0 4px}h2{font-size:15px;margin:0 0 8px}.muted{color:#656d76}
.stats{display:flex;gap:24px;margin:8px 0}.stats b{font-size:22px}
.top{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin:12px 0}
.panel{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px;overflow:auto}
.chart .bar{fill:#0969da}.chart .axis{font-size:10px;fill:#656d76}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;border-bottom:1px solid #eee;
 text-align:left}.num{text-align:right}
.filters{display:flex;gap:16px;align-items:center;margin:12px 0;flex-wrap:wrap}
select{font:inherit;padding:2px 4px}
#timeline{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.event{background:#fff;border:1px solid #d0d7de;border-left:6px solid #8c959f;border-radius:8px;
 overflow:hidden}.event.sev-critical{border-left-color:#dc2626}
.event.sev-warning{border-left-color:#ea8a00}.event.sev-info{border-left-color:#16a34a}
.event img{width:100%;display:block}.gone{padding:40px;text-align:center;color:#656d76;
 background:#eee}.meta{padding:8px 10px}.faces{margin:4px 0;padding-left:18px}
.face.barred{color:#b91c1c;font-weight:600}.face.known{color:#15803d}.face.stranger{color:#b45309}
.badge{display:inline-block;padding:0 6px;border-radius:10px;color:#fff;font-size:12px}
.badge.critical{background:#dc2626}.badge.warning{background:#ea8a00}.badge.info{background:#16a34a}
.hidden{display:none}
@media (max-width:700px){.top{grid-template-columns:1fr}}
"""

_JS = """
(function(){
  const sel = id => document.getElementById(id);
  const filters = [['f-person','people'],['f-camera','camera'],['f-severity','severity']];
  function apply(){
    let shown = 0;
    document.querySelectorAll('.event').forEach(card => {
      const ok = filters.every(([id, attr]) => {
        const want = sel(id).value;
        if (!want) return true;
        const have = card.dataset[attr] || '';
        return attr === 'people' ? have.split(' ').includes(want) : have === want;
      });
      card.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    sel('shown').textContent = shown + ' shown';
  }
  filters.forEach(([id]) => sel(id).addEventListener('change', apply));
  apply();
})();
"""


def write_report(target: Target, data: ReportData, out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    thumbs = write_thumbnails(target, data.events, out_dir)
    index = out_dir / "index.html"
    index.write_text(render_html(data, thumbs), encoding="utf-8")
    (out_dir / "events.json").write_text(
        json.dumps([e.to_json() for e in data.events], indent=1), encoding="utf-8"
    )
    return index
