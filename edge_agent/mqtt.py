"""Verdicts to a local MQTT broker with Home Assistant MQTT discovery (paho-mqtt).

Each camera appears in Home Assistant as a device "Doorman <camera>" with three sensors:
the last person seen, the severity, and the last frame (its state is the time of the frame;
the presigned link is the sensor's `url` attribute, as HA keeps a state to 255 characters:
`MAX_LENGTH_STATE_STATE: Final = 255` in home-assistant/core's homeassistant/const.py; a
longer MQTT state is logged and dropped, https://github.com/home-assistant/core/issues/117861).
Discovery configs go to `<discovery_prefix>/sensor/doorman_<camera>/<field>/config`
(retained), the state to `doorman/<camera>/state` (retained JSON). Camera ids are made
topic-safe (`A-Za-z0-9_-`, nothing else: no `+`, `#` or `/`), and every value is JSON-encoded,
so a name cannot form a topic or break a payload.

The broker may be down when the agent starts, or restart later: paho connects in the
background and reconnects on its own (1 s, doubling up to 30 s). Each (re)connection
announces every camera seen so far again, with its latest state, because a broker without
persistence forgets retained messages. A verdict that arrives while the broker is away is
kept as that camera's latest state (older ones are replaced: a state is not a log), so
publishing never blocks or fails the verdict listener.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

import paho.mqtt.client as mqtt

from edge_agent.verdicts import Verdict

FIELDS = {
    "person": ("Last person", "{{ value_json.person }}", "mdi:account"),
    "severity": ("Severity", "{{ value_json.severity }}", "mdi:alert"),
    "frame": ("Last frame", "{{ value_json.event_time }}", "mdi:image"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
PUBLISH_WAIT_SECONDS = 2.0  # for the broker's acknowledgement, at most, per message
RECONNECT_DELAYS = (1, 30)  # seconds: paho's first delay, doubled up to the second
log = logging.getLogger(__name__)


def topic_safe(camera: str) -> str:
    return _UNSAFE.sub("_", camera)[:64] or "_"


def discovery(
    camera: str, *, prefix: str = "homeassistant", base: str = "doorman"
) -> dict[str, dict[str, Any]]:
    """topic -> discovery config, for the sensors of one camera."""
    cam = topic_safe(camera)
    state = f"{base}/{cam}/state"
    device = {
        "identifiers": [f"doorman_{cam}"],
        "name": f"Doorman {camera}",
        "manufacturer": "Doorman",
    }
    configs = {}
    for field, (name, template, icon) in FIELDS.items():
        config: dict[str, Any] = {
            "name": name,
            "unique_id": f"doorman_{cam}_{field}",
            "state_topic": state,
            "value_template": template,
            "icon": icon,
            "device": device,
        }
        if field == "frame":
            config["json_attributes_topic"] = state
            config["json_attributes_template"] = '{{ {"url": value_json.frame_url} | tojson }}'
        configs[f"{prefix}/sensor/doorman_{cam}/{field}/config"] = config
    return configs


def state(verdict: Verdict) -> dict[str, str]:
    return {
        "person": verdict.who[:255],
        "severity": verdict.severity,
        "event_time": verdict.event_time,
        "frame_url": verdict.frame_url,
        "alert_id": verdict.alert_id,
    }


class HomeAssistant:
    """Publishes verdicts to a broker; announces each camera on every connection."""

    def __init__(
        self,
        host: str,
        port: int = 1883,
        *,
        prefix: str = "homeassistant",
        base: str = "doorman",
        client_id: str = "doorman-edge",
    ) -> None:
        self.prefix, self.base = prefix, base
        self._lock = threading.Lock()
        self._latest: dict[str, Verdict] = {}  # topic-safe camera -> its latest verdict
        self._announced: set[str] = set()  # cameras announced on this connection
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.reconnect_delay_set(*RECONNECT_DELAYS)
        self.client.connect_async(host, port, keepalive=60)
        self.client.loop_start()  # connects, and reconnects, in paho's own thread

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def publish(self, verdict: Verdict) -> None:
        """Send this verdict now if the broker is there; else keep it for the reconnection."""
        cam = topic_safe(verdict.camera_id)
        with self._lock:
            self._latest[cam] = verdict
            if self.connected:
                self._send(cam, verdict)
            else:
                log.warning(
                    "MQTT broker away: %s's state is sent when it is back",
                    cam,
                    extra={"alert_id": verdict.alert_id},
                )

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        log.info("MQTT connected; announcing %d camera(s)", len(self._latest))
        # paho's network thread: send from another one, so waiting for acknowledgements
        # cannot stall the loop that receives them
        threading.Thread(target=self._announce_all, name="doorman-mqtt-announce").start()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        # no lock here: a publish waiting for its acknowledgement may hold it
        log.warning("MQTT disconnected (%s); reconnecting", reason)

    def _announce_all(self) -> None:
        with self._lock:
            self._announced.clear()
            for cam, verdict in self._latest.items():
                self._send(cam, verdict)

    def _send(self, cam: str, verdict: Verdict) -> None:
        """Discovery (once per connection) and state; a failure is logged, never raised."""
        try:
            if cam not in self._announced:
                for topic, config in discovery(
                    verdict.camera_id, prefix=self.prefix, base=self.base
                ).items():
                    self._publish_retained(topic, config)
                self._announced.add(cam)
            self._publish_retained(f"{self.base}/{cam}/state", state(verdict))
        except (OSError, RuntimeError, ValueError) as exc:  # paho's errors for a lost link
            log.warning("MQTT publish failed: %s; resent on reconnection", exc)

    def _publish_retained(self, topic: str, payload: dict[str, Any]) -> None:
        info = self.client.publish(topic, json.dumps(payload), qos=1, retain=True)
        info.wait_for_publish(PUBLISH_WAIT_SECONDS)
