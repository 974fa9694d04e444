"""Verdicts to a local MQTT broker with Home Assistant MQTT discovery (paho-mqtt).

Each camera appears in Home Assistant as a device "Doorman <camera>" with three sensors:
the last person seen, the severity, and the last frame (its state is the time of the frame;
the presigned link is the sensor's `url` attribute, as HA keeps a state to 255 characters).
Discovery configs go to `<discovery_prefix>/sensor/doorman_<camera>/<field>/config`
(retained), the state to `doorman/<camera>/state` (retained JSON). Camera ids are made
topic-safe (`A-Za-z0-9_-`, nothing else: no `+`, `#` or `/`), and every value is JSON-encoded,
so a name cannot form a topic or break a payload.
"""

from __future__ import annotations

import json
import re
from typing import Any

import paho.mqtt.client as mqtt

from edge_agent.verdicts import Verdict

FIELDS = {
    "person": ("Last person", "{{ value_json.person }}", "mdi:account"),
    "severity": ("Severity", "{{ value_json.severity }}", "mdi:alert"),
    "frame": ("Last frame", "{{ value_json.event_time }}", "mdi:image"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


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
    """Publishes verdicts to a broker; announces each camera once per connection."""

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
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        self._announced: set[str] = set()

    def publish(self, verdict: Verdict) -> None:
        cam = topic_safe(verdict.camera_id)
        if cam not in self._announced:
            for topic, config in discovery(
                verdict.camera_id, prefix=self.prefix, base=self.base
            ).items():
                self.client.publish(topic, json.dumps(config), qos=1, retain=True).wait_for_publish(
                    5
                )
            self._announced.add(cam)
        info = self.client.publish(
            f"{self.base}/{cam}/state", json.dumps(state(verdict)), qos=1, retain=True
        )
        info.wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
