"""`doorman local up` as a user runs it: `python -m localcloud` in a process of its own, on
127.0.0.1 with the given ports and data directory, stopped with SIGTERM.

`LocalUp` offers what `tests.support.cloud.CloudKit` reads from a `LocalCloud` (resources,
clients, moto's URL, drain), so the same readers check what the process kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3

from core.resources import StackResources
from localcloud.provision import RESOURCES_FILE

READY_SECONDS = 120.0
STOP_SECONDS = 30.0


class LocalUp:
    def __init__(
        self, data_dir: Path, moto_port: int, face_port: int, *extra_arguments: str
    ) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / f"{data_dir.name}-local-up.log"
        command = [
            sys.executable, "-m", "localcloud", "--data-dir", str(data_dir),
            "--moto-port", str(moto_port), "--face-port", str(face_port), *extra_arguments,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, text=True, env=_clean_env()
            )
        self.env = self._read_exports()
        self.resources = StackResources.from_file(data_dir / RESOURCES_FILE)
        # The handlers log to stdout: keep reading it, or they block on a full pipe.
        self._output = threading.Thread(target=self._copy_output, daemon=True)
        self._output.start()

    def _copy_output(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("a") as log:
            for line in self.process.stdout:
                log.write(line)

    def _read_exports(self) -> dict[str, str]:
        """The `export K=V` lines, up to DOORMAN_LOCAL_DIR (printed once the router runs)."""
        assert self.process.stdout is not None
        env: dict[str, str] = {}
        deadline = time.monotonic() + READY_SECONDS
        while "DOORMAN_LOCAL_DIR" not in env:
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"local up did not get ready:\n{self.log.read_text()}")
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                env[key] = value
        return env

    # ---- what CloudKit uses ------------------------------------------------------------

    @property
    def moto_url(self) -> str:
        return self.env["AWS_ENDPOINT_URL"]

    def client(self, service: str) -> Any:
        endpoint = self.env[
            "AWS_ENDPOINT_URL_REKOGNITION" if service == "rekognition" else "AWS_ENDPOINT_URL"
        ]
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=self.env["AWS_REGION"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )

    def queued(self) -> int:
        """Messages in the three work queues, visible or being handled."""
        sqs = self.client("sqs")
        total = 0
        for url in (
            self.resources.frames_queue_url,
            self.resources.enroll_queue_url,
            self.resources.alerts_queue_url,
        ):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            total += sum(int(v) for v in attributes.values())
        return total

    def drain(self, timeout: float = 120.0) -> None:
        """Wait until the work queues are empty twice in a row."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.queued()} messages still queued after {timeout} s")
            quiet = quiet + 1 if self.queued() == 0 else 0
            time.sleep(0.2)

    # ---- stopping ----------------------------------------------------------------------

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; returns the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(STOP_SECONDS)
        seconds = time.monotonic() - started
        self._output.join(5)
        return code, seconds

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _clean_env() -> dict[str, str]:
    """The test process's environment without AWS endpoints or credentials of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
