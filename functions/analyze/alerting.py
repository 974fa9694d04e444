"""Alerting: arming and cooldowns decide what a frame still owes; that Alert is queued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.decisions import AlertPlan, is_armed, narrow, should_alert
from core.schemas import Alert, EventRecord
from core.settings import AnalyzeSettings
from core.tablekeys import cooldown_key
from functions.analyze.ports import AlertSink, CooldownSlots, ParameterReader


class Alerter:
    def __init__(
        self,
        *,
        state: CooldownSlots,
        alerts: AlertSink,
        parameters: ParameterReader,
        settings: AnalyzeSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.state = state
        self.alerts = alerts
        self.parameters = parameters
        self.settings = settings
        self.clock = clock

    def alert(self, plan: AlertPlan | None, record: EventRecord) -> str:
        """Queue the alert still owed for `record`: "sent", or why not: "none", "disarmed",
        "cooldown". Severity and reason follow the identities that clear arming and
        cooldown (`narrow`)."""
        if plan is None:
            return "none"
        armed = is_armed(self.parameters.get(self.settings.armed_parameter))
        if not should_alert(plan, armed=armed):
            return "disarmed"
        now = int(self.clock().timestamp())
        owed = narrow(
            plan,
            armed=armed,
            # The slot's holder is the alert id, so a retried record keeps the slot it took.
            free=lambda identity: self.state.acquire_cooldown(
                cooldown_key(record.camera_id, identity),
                holder=record.alert_id,
                now=now,
                seconds=self.settings.cooldown_seconds,
            ),
        )
        if owed is None:
            return "cooldown"
        self.alerts.send(alert_message(owed, record))
        return "sent"


def alert_message(plan: AlertPlan, record: EventRecord) -> Alert:
    """The alerts-queue message: what the plan owes, with everyone the frame shows."""
    return Alert(
        alert_id=record.alert_id,
        severity=plan.severity,  # narrow() never owes "info"
        reason=plan.reason,
        camera_id=record.camera_id,
        event_time=record.captured_at,
        bucket=record.bucket,
        key=record.image_key,
        people=[f.person for f in record.faces if f.person],
        unknown_faces=sum(f.status == "stranger" for f in record.faces),
        labels=record.alarm_labels,
        source=record.source,
        possible_matches=[f.possible_match for f in record.faces if f.possible_match],
    )
