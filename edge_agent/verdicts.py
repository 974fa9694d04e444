"""Verdicts back at the camera (issue 14, item 5): the edge agent reads its device's verdict
queue (infra/constructs/verdicts.py: the alerts of its own cameras, as notify published
them) and, for each fresh verdict, runs the local action configured for its severity (a
siren, a light) and publishes it to a local MQTT broker for Home Assistant (edge_agent/mqtt.py).

- Never blocking: each action runs in a thread of its own, with a timeout; its exit status
  (or the timeout) is logged and kept in `results`.
- Fresh only: a verdict whose frame was captured more than `max_age_seconds` ago (a device
  that was offline, a backlog) is deleted unused and counted as stale.
- The queue is read with the device role's own permissions: ReceiveMessage, DeleteMessage,
  GetQueueAttributes on that one queue.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.schemas import Alert

log = logging.getLogger("doorman.verdicts")


class QueuedMessage(Protocol):
    @property
    def receipt(self) -> str: ...

    @property
    def body(self) -> str: ...


class VerdictSource(Protocol):
    """adapters.messaging.VerdictQueue."""

    def receive(
        self, wait_seconds: int = 20, max_messages: int = 10
    ) -> Sequence[QueuedMessage]: ...

    def delete(self, receipt: str) -> None: ...


class VerdictPublisher(Protocol):
    """edge_agent.mqtt.HomeAssistant."""

    def publish(self, verdict: Verdict) -> None: ...


class Verdict(Alert):
    """An alert as notify published it to the topic, with the frame's presigned link."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    frame_url: str = ""

    @property
    def who(self) -> str:
        names = [p.name for p in self.people]
        if self.unknown_faces:
            names.append(f"{self.unknown_faces} unknown")
        return ", ".join(names) or ("motion: " + ", ".join(self.labels) if self.labels else "-")


class VerdictSettings(BaseModel):
    """The `[verdicts]` section of the edge config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    queue_url: str = ""
    max_age_seconds: float = Field(600.0, gt=0)
    wait_seconds: int = Field(20, ge=0, le=20)  # SQS long polling: at most 20 s
    # severity -> the command (argv, no shell) to run, e.g. {"critical": ["/usr/local/bin/siren"]}
    actions: dict[str, list[str]] = Field(default_factory=dict)
    action_timeout_seconds: float = Field(10.0, gt=0)
    # A local MQTT broker for Home Assistant ("" : none), and HA's discovery prefix.
    mqtt_host: str = ""
    mqtt_port: int = Field(1883, ge=1, le=65535)
    discovery_prefix: str = Field("homeassistant", pattern=r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ActionResult:
    alert_id: str
    severity: str
    argv: tuple[str, ...]
    status: int | None  # exit status; None: timed out or could not start
    error: str = ""


def _environment(verdict: Verdict) -> dict[str, str]:
    """What the command learns about the verdict: environment variables, never argv or a
    shell line, so names cannot inject anything."""
    return {
        "DOORMAN_ALERT_ID": verdict.alert_id,
        "DOORMAN_SEVERITY": verdict.severity,
        "DOORMAN_CAMERA": verdict.camera_id,
        "DOORMAN_WHO": verdict.who,
        "DOORMAN_EVENT_TIME": verdict.event_time,
        "DOORMAN_FRAME_URL": verdict.frame_url,
    }


class LocalActions:
    """Runs the command configured for a verdict's severity, each in its own thread."""

    def __init__(
        self,
        actions: Mapping[str, Sequence[str]],
        timeout: float,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.actions = {k: tuple(v) for k, v in actions.items() if v}
        self.timeout = timeout
        self.base_env = dict(base_env or {"PATH": "/usr/local/bin:/usr/bin:/bin"})
        self.results: deque[ActionResult] = deque(maxlen=100)
        self.threads: list[threading.Thread] = []

    def start(self, verdict: Verdict) -> threading.Thread | None:
        argv = self.actions.get(verdict.severity)
        if not argv:
            return None
        thread = threading.Thread(
            target=self._run, args=(verdict, argv), name=f"action-{verdict.alert_id}", daemon=True
        )
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    def _run(self, verdict: Verdict, argv: tuple[str, ...]) -> None:
        env = {**self.base_env, **_environment(verdict)}
        try:
            done = subprocess.run(  # argv from the owner's config, no shell
                list(argv), env=env, timeout=self.timeout, capture_output=True, check=False
            )
            result = ActionResult(verdict.alert_id, verdict.severity, argv, done.returncode)
        except subprocess.TimeoutExpired:
            result = ActionResult(
                verdict.alert_id, verdict.severity, argv, None, f"timed out after {self.timeout} s"
            )
        except OSError as exc:
            result = ActionResult(verdict.alert_id, verdict.severity, argv, None, str(exc))
        self.results.append(result)
        log.info(
            "local action %s for %s: %s",
            json.dumps(list(argv)),
            verdict.severity,
            result.error or f"exit status {result.status}",
            extra={"alert_id": verdict.alert_id},
        )


@dataclass
class VerdictListener:
    source: VerdictSource
    settings: VerdictSettings
    actions: LocalActions
    publisher: VerdictPublisher | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    counts: Counter[str] = field(default_factory=Counter)

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Read what is waiting (long-polling up to `wait_seconds`), act on each fresh
        verdict, delete every message; the number of messages read."""
        wait = self.settings.wait_seconds if wait_seconds is None else wait_seconds
        messages = self.source.receive(wait_seconds=wait)
        for message in messages:
            self.counts[self._handle(message.body)] += 1
            self.source.delete(message.receipt)
        return len(messages)

    def _handle(self, body: str) -> str:
        try:
            verdict = Verdict.model_validate_json(body)
        except ValidationError:
            log.warning("malformed verdict dropped")
            return "malformed"
        captured = datetime.fromisoformat(verdict.event_time.replace("Z", "+00:00"))
        if captured.tzinfo is None:
            captured = captured.replace(tzinfo=UTC)
        age = (self.clock() - captured).total_seconds()
        if age > self.settings.max_age_seconds:
            log.info(
                "stale verdict dropped (%.0f s old, max %.0f s)",
                age,
                self.settings.max_age_seconds,
                extra={"alert_id": verdict.alert_id},
            )
            return "stale"
        self.actions.start(verdict)
        if self.publisher is not None:
            try:
                self.publisher.publish(verdict)
            except Exception as exc:  # the action ran: the verdict must not come again
                log.warning("publishing the verdict failed: %s", exc)
        return "handled"

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set (the agent runs this in a daemon thread)."""
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # network trouble: retry, never die
                log.warning("verdict queue unreachable: %s", exc)
                stop.wait(5.0)


def start(
    settings: VerdictSettings, region: str | None = None
) -> Callable[[], Counter[str]] | None:
    """Start reading the verdict queue in a daemon thread when `settings.queue_url` is set;
    returns `stop() -> counts`, or None when verdicts are off."""
    if not settings.queue_url:
        return None
    from adapters.messaging import VerdictQueue

    publisher: VerdictPublisher | None = None
    if settings.mqtt_host:
        from edge_agent.mqtt import HomeAssistant

        publisher = HomeAssistant(
            settings.mqtt_host, settings.mqtt_port, prefix=settings.discovery_prefix
        )
    listener = VerdictListener(
        VerdictQueue.connect(settings.queue_url, region),
        settings,
        LocalActions(settings.actions, settings.action_timeout_seconds),
        publisher,
    )
    stop_event = threading.Event()
    thread = threading.Thread(
        target=listener.run, args=(stop_event,), name="doorman-verdicts", daemon=True
    )
    thread.start()

    def stop() -> Counter[str]:
        stop_event.set()
        log.info("verdicts: %s", dict(listener.counts))
        return listener.counts

    return stop
