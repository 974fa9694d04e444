"""What an alert says, as email (text + escaped HTML), SNS subject and webhook text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from core.records import parse_time
from core.schemas import Alert, PersonRef
from core.strangers import describe
from core.templating import html_templates

_HEADLINES = {
    "barred-person": "Barred person",
    "unknown-face": "Unknown person",
    "alarm-label": "Motion alarm",
    "known-person": "Seen",
}
_SNS_SUBJECT = re.compile(r"[^A-Za-z0-9 _.,:()#/-]+")
SNS_SUBJECT_MAX = 100
# core/templates ships inside the package, and so inside the Lambda asset.
_TEMPLATES = html_templates("core")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def when(event_time: str) -> str:
    """ "2026-05-01T12:00:00.000Z" -> "2026-05-01 12:00:00 UTC" (unparsable input is kept)."""
    try:
        moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        return event_time
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _person(p: PersonRef) -> str:
    return f"{p.name} ({p.watchlist}, {p.similarity:.0f}% similar)"


def _possible(p: PersonRef) -> str:
    return f"possible match: {p.name} ({p.similarity:.0f}%)"


def headline(alert: Alert) -> str:
    what = _HEADLINES[alert.reason]
    if alert.reason == "barred-person" and alert.people:
        what = f"{what}: {', '.join(p.name for p in alert.people if p.watchlist == 'barred')}"
    if alert.reason == "known-person" and alert.people:
        what = f"{what}: {', '.join(p.name for p in alert.people)}"
    return f"{what} at {alert.camera_id}"


def facts(alert: Alert) -> list[tuple[str, str]]:
    """(label, value) lines: who, where, when and how sure. Values are raw user text."""
    rows = [
        ("Severity", alert.severity.upper()),
        ("Camera", alert.camera_id),
        ("When", when(alert.event_time)),
    ]
    if alert.people:
        rows.append(("Who", "; ".join(_person(p) for p in alert.people)))
    if alert.unknown_faces:
        unknown = f"{alert.unknown_faces} unknown face(s)"
        if alert.possible_matches:
            unknown += "; " + "; ".join(_possible(p) for p in alert.possible_matches)
        rows.append(("Unknown", unknown))
    if alert.strangers:
        # "stranger 7f3a, seen 3 times since Monday, first at the side gate"
        now = parse_time(alert.event_time) or datetime.now(UTC)
        seen = [
            describe(s.stranger_id, s.sightings, s.first_seen, s.first_camera, now)
            for s in alert.strangers
        ]
        rows.append(("Strangers", "; ".join(seen)))
    if alert.labels:
        rows.append(("Labels", ", ".join(alert.labels)))
    if alert.why_unknown:
        rows.append(("Why unknown", "; ".join(alert.why_unknown)))
    if alert.rule:
        rows.append(("Rule", alert.rule))
    rows.append(("Source", alert.source))
    rows.append(("Alert id", alert.alert_id))
    return rows


def render_email(alert: Alert, frame_url: str | None, link_minutes: int) -> Email:
    title = headline(alert)
    subject = f"Doorman {alert.severity}: {title}"
    lines = [title, ""] + [f"{label}: {value}" for label, value in facts(alert)]
    if frame_url:
        lines += ["", f"Frame (link valid {link_minutes} min): {frame_url}"]
    text = "\n".join(lines) + "\n"

    body = _TEMPLATES.get_template("alert_email.html").render(
        title=title, facts=facts(alert), frame_url=frame_url, link_minutes=link_minutes
    )
    return Email(subject=subject, text=text, html=body)


def sns_subject(alert: Alert) -> str:
    """SNS subjects must be short printable ASCII: names are left to the message body."""
    raw = f"Doorman {alert.severity}: {_HEADLINES[alert.reason]} at {alert.camera_id}"
    return _SNS_SUBJECT.sub("?", raw)[:SNS_SUBJECT_MAX]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_text(alert: Alert, frame_url: str | None) -> str:
    """Slack-compatible mrkdwn; user text is escaped so it cannot form links or mentions."""
    lines = [f"*{alert.severity.upper()}* {_slack_escape(headline(alert))}"]
    lines += [f"{label}: {_slack_escape(value)}" for label, value in facts(alert)[1:]]
    if frame_url:
        lines.append(f"<{frame_url}|frame>")
    return "\n".join(lines)
