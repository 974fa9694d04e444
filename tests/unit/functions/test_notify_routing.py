"""notify routes an alert as its rule says: channels and symbolic recipients; alerts from
before the rules (no channels, no recipients) go everywhere, to whom severity says."""

from __future__ import annotations

import pytest

from core.schemas import Alert
from functions.notify.logic import recipients, wants

OWNER, POLICE = "owner@example.com", ["police@example.com", "owner@example.com"]


def alert(severity: str = "warning", **fields: object) -> Alert:
    return Alert(
        alert_id="a1",
        severity=severity,
        reason="unknown-face",
        camera_id="gate",
        event_time="2026-05-01T12:00:00Z",
        **fields,
    )


@pytest.mark.parametrize(
    ("severity", "routing", "expected"),
    [
        ("critical", [], ["owner@example.com", "police@example.com"]),  # as before the rules
        ("warning", [], ["owner@example.com"]),
        ("info", ["owner"], ["owner@example.com"]),
        ("warning", ["authorities"], ["police@example.com", "owner@example.com"]),
        ("critical", ["owner", "authorities"], ["owner@example.com", "police@example.com"]),
    ],
)
def test_recipients_follow_the_rule(severity, routing, expected) -> None:
    assert recipients(alert(severity, recipients=routing), OWNER, POLICE) == expected


def test_channels_follow_the_rule() -> None:
    assert all(wants(alert(), c) for c in ("email", "sns", "webhook"))
    email_only = alert("info", channels=["email"])
    assert [c for c in ("email", "sns", "webhook") if wants(email_only, c)] == ["email"]
