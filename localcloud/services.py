"""Start the local cloud's servers on 127.0.0.1: moto (S3, SQS, SNS, SES, DynamoDB, ...) and
the face service (Rekognition). Each runs in a daemon thread of the calling process and is
returned as a `RunningService` with `.url` and `.stop()`.

`local_env()` gives the environment that points boto3 at them. The credentials in it are
moto's well-known fake ones ("testing"); they are only ever passed through the environment.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.resources import FAKE_CREDENTIALS

if TYPE_CHECKING:
    from .children import ChildService

REGION = "us-east-1"
HOST = "127.0.0.1"


@dataclass
class RunningService:
    name: str
    url: str
    _stop: Callable[[], None] = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._stop()

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def local_env(moto_url: str, face_url: str) -> dict[str, str]:
    """Environment variables that send every boto3 client to the local services."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ENDPOINT_URL_REKOGNITION": face_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **FAKE_CREDENTIALS,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (local http URL)
                return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status still means it is up
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not come up in {timeout:.0f} s") from exc
            time.sleep(0.05)


def start_moto(
    port: int = 0, *, own_process: bool = False, state_file: Path | None = None
) -> RunningService:
    """moto server (all services, server mode) on 127.0.0.1.

    With `own_process`, it runs in a child process (localcloud.motoprocess); a `state_file`
    (child only) is restored at start and saved at stop (localcloud.snapshot).
    """
    if own_process:
        child = moto_child(port, state_file)
        return RunningService("moto", child.wait_ready(), child.stop)
    if state_file is not None:
        raise ValueError("moto's state is kept only when moto runs in its own process")
    from .motoserver import MotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request access log
    server = MotoServer(HOST, port).start()
    wait_until_up(f"{server.url}/moto-api/")
    return RunningService("moto", server.url, server.stop)


def start_face_service(
    port: int = 0,
    data_dir: Path | None = None,
    s3_endpoint_url: str | None = None,
    region: str = REGION,
    *,
    own_process: bool = False,
) -> RunningService:
    """The Rekognition-compatible face service on 127.0.0.1.

    `s3_endpoint_url` is where S3Object images are read from (moto in local mode). With a
    `data_dir`, collections persist there across restarts. With `own_process`, it runs in a
    child process (localcloud.faceprocess), so dlib does not hold this process's GIL.
    """
    if own_process:
        child = face_child(port, data_dir, s3_endpoint_url, region)
        return RunningService("face-service", child.wait_ready(), child.stop)

    from .faceservice import create_server

    server = create_server(
        port=port, data_dir=data_dir, s3_endpoint_url=s3_endpoint_url, region=region
    )
    server.start()
    wait_until_up(server.url)
    return RunningService("face-service", server.url, server.stop)


def moto_child(port: int, state_file: Path | None) -> ChildService:
    """Start `python -m localcloud.motoprocess` (not yet waiting for it to serve)."""
    from .children import ChildService

    arguments = ["--port", str(port)]
    arguments += ["--state", str(state_file)] if state_file else []
    return ChildService("localcloud.motoprocess", arguments)


def face_child(
    port: int, data_dir: Path | None, s3_endpoint_url: str | None, region: str = REGION
) -> ChildService:
    """Start `python -m localcloud.faceprocess` (not yet waiting for it to serve)."""
    from .children import ChildService

    arguments = ["--port", str(port), "--region", region]
    arguments += ["--data-dir", str(data_dir)] if data_dir else []
    arguments += ["--s3-endpoint-url", s3_endpoint_url] if s3_endpoint_url else []
    return ChildService("localcloud.faceprocess", arguments)


class PreviousEnv(dict[str, str | None]):
    """The values `apply_env` replaced, and the ones it set."""

    def __init__(self, previous: dict[str, str | None], applied: dict[str, str]) -> None:
        super().__init__(previous)
        self.applied = dict(applied)


def apply_env(env: dict[str, str]) -> PreviousEnv:
    """Set `env` in os.environ; returns the previous values for `restore_env`."""
    previous = PreviousEnv({key: os.environ.get(key) for key in env}, env)
    os.environ.update(env)
    return previous


def restore_env(previous: PreviousEnv) -> None:
    """Put back what `apply_env` replaced. A variable that someone else changed since (another
    thread, click's CliRunner) is theirs now and is left alone, so environments applied and
    restored in overlapping threads never leak into each other."""
    for key, value in previous.items():
        if os.environ.get(key) != previous.applied.get(key):
            continue
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
