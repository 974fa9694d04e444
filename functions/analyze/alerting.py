"""Alerting: arming and cooldowns decide what a frame still owes; that Alert is queued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.decisions import AlertPlan, is_armed, is_person, narrow, should_alert
from core.schemas import Alert, EventRecord
from core.settings import AnalyzeSettings
from core.tablekeys import cooldown_key, identity_limit_key
from functions.analyze.ports import AlertSink, CooldownSlots, ParameterReader

# The alert status of a frame whose identities all cleared their camera's cooldown, or
# were held by it, but at least one was held by the cross-camera rate limit.
RATE_LIMITED = "rate-limited"


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
        "cooldown", "rate-limited". Severity and reason follow the identities that clear
        arming, the camera's cooldown and the cross-camera rate limit (`narrow`).

        An identity must take its (camera, identity) cooldown slot and, when it is a person
        (`is_person`: a barred person_id), its all-cameras slot (`alert_rate_seconds`): so
        however many cameras an edge credential writes as, each recipient hears about one
        person at most once per window. "rate-limited"
        means some identity cleared its camera's cooldown but not the cross-camera limit."""
        if plan is None:
            return "none"
        armed = is_armed(self.parameters.get(self.settings.armed_parameter))
        if not should_alert(plan, armed=armed):
            return "disarmed"
        now = int(self.clock().timestamp())
        limited: list[str] = []

        def free(identity: str) -> bool:
            # A slot's holder is the alert id, so a retried record keeps the slots it took.
            if not self.state.acquire_cooldown(
                cooldown_key(record.camera_id, identity),
                holder=record.alert_id,
                now=now,
                seconds=self.settings.cooldown_seconds,
            ):
                return False
            if not (self.settings.alert_rate_seconds and is_person(identity)):
                return True  # 0 turns the rate limit off; strangers stay per camera
            if self.state.acquire_cooldown(
                identity_limit_key(identity),
                holder=record.alert_id,
                now=now,
                seconds=self.settings.alert_rate_seconds,
            ):
                return True
            limited.append(identity)
            return False

        owed = narrow(plan, armed=armed, free=free)
        if owed is None:
            return RATE_LIMITED if limited else "cooldown"
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
