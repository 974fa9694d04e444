"""Events, JPEGs and S3 clients for the delivery tests (spool, uploader, resilience)."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from edge_agent.events import EventKind, FaceBox, FrameEvent

T0 = datetime(2026, 5, 4, 12, 0, 0, tzinfo=UTC)


def jpeg(seed: int, size: tuple[int, int] = (48, 32)) -> bytes:
    """A small, real, unique JPEG (random pixels) for `seed`."""
    rng = random.Random(seed)
    image = Image.frombytes(
        "RGB", size, bytes(rng.randrange(256) for _ in range(3 * size[0] * size[1]))
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def make_event(
    n: int,
    *,
    kind: EventKind = "face",
    camera_id: str = "door",
    payload: bytes | None = None,
    local_match: str | None = None,
) -> FrameEvent:
    """Event number `n`: its own track, captured `n` seconds after T0."""
    return FrameEvent(
        camera_id=camera_id,
        track_id=f"t{n:05d}",
        seq=n % 1000,
        captured_at=T0 + timedelta(seconds=n),
        kind=kind,
        jpeg=jpeg(n) if payload is None else payload,
        local_match=local_match,
        faces=(FaceBox(4, 20, 24, 2),) if kind == "face" else (),
        quality=0.5,
    )


def s3_client(endpoint_url: str, **config: Any) -> Any:
    """An S3 client for a local moto server, with the uploader's client settings."""
    import boto3
    from botocore.config import Config

    from edge_agent.uploader import CLIENT_CONFIG

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG.merge(Config(**config)) if config else CLIENT_CONFIG,
    )


class PutCounter:
    """Counts PutObject calls that S3 answered with 200, per key (a botocore event hook)."""

    def __init__(self, client: Any) -> None:
        self.ok: Counter[str] = Counter()
        self.attempts = 0
        client.meta.events.register("before-parameter-build.s3.PutObject", self._remember_key)
        client.meta.events.register("after-call.s3.PutObject", self._after_call)

    @staticmethod
    def _remember_key(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["counted_key"] = params["Key"]

    def _after_call(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        self.attempts += 1
        if http_response.status_code == 200:
            self.ok[context["counted_key"]] += 1
