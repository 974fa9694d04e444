"""The local cloud's servers as one unit: start moto and the face service together, print
the exports that point boto3 at them, and run until a signal arrives.

`start_services()` starts both and returns them; `run_services()` also prints the exports
and blocks until a signal arrives. Its `on_ready` hook is where later layers (resource
provisioning, the event router) attach.

With `own_processes` (what `doorman local up` uses), moto and the face service run as child
processes (localcloud.children), and with a `data_dir` both keep their state there: the
face collections in `faces/`, everything moto holds in `moto-state.pickle`
(localcloud.snapshot), saved when they stop.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .services import (
    HOST,
    RunningService,
    face_child,
    free_port,
    local_env,
    moto_child,
    start_face_service,
    start_moto,
)
from .snapshot import SNAPSHOT_FILE


@dataclass
class LocalServices:
    moto: RunningService
    face: RunningService
    data_dir: Path | None = None

    def env(self) -> dict[str, str]:
        """The environment that points boto3 at these services."""
        return local_env(self.moto.url, self.face.url)

    def stop(self) -> None:
        """Stop both at once (each child saves its state as it stops)."""
        face = threading.Thread(target=self.face.stop, name="stop-face-service")
        face.start()
        self.moto.stop()
        face.join()

    def __enter__(self) -> LocalServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_services(
    moto_port: int = 0,
    face_port: int = 0,
    data_dir: Path | None = None,
    *,
    own_processes: bool = False,
) -> LocalServices:
    """Start moto, then the face service (reading S3Object images from that moto).

    With `data_dir`, face collections persist in `data_dir/faces`; with `own_processes`
    too, moto's state persists in `data_dir/moto-state.pickle`.
    """
    faces_dir = Path(data_dir) / "faces" if data_dir else None
    if own_processes:
        return _start_children(moto_port, face_port, data_dir, faces_dir)
    moto = start_moto(moto_port)
    try:
        face = start_face_service(face_port, data_dir=faces_dir, s3_endpoint_url=moto.url)
    except BaseException:
        moto.stop()
        raise
    return LocalServices(moto, face, Path(data_dir) if data_dir else None)


def _start_children(
    moto_port: int, face_port: int, data_dir: Path | None, faces_dir: Path | None
) -> LocalServices:
    """Both children start side by side (moto restoring its state while the face service
    loads its models); moto's port is chosen first, as the face service reads S3 there."""
    moto_port = moto_port or free_port()
    state_file = Path(data_dir) / SNAPSHOT_FILE if data_dir else None
    moto = moto_child(moto_port, state_file)
    face = face_child(face_port, faces_dir, f"http://{HOST}:{moto_port}")
    try:
        moto_url, face_url = moto.wait_ready(), face.wait_ready()
    except BaseException:
        face.stop()
        moto.stop()
        raise
    return LocalServices(
        RunningService("moto", moto_url, moto.stop),
        RunningService("face-service", face_url, face.stop),
        Path(data_dir) if data_dir else None,
    )


def export_lines(env: dict[str, str]) -> list[str]:
    return [f"export {key}={value}" for key, value in env.items()]


def run_services(
    moto_port: int = 0,
    face_port: int = 0,
    data_dir: Path | None = None,
    on_ready: Callable[[LocalServices], None] | None = None,
    stop_event: threading.Event | None = None,
    on_stop: Callable[[], None] | None = None,
    *,
    own_processes: bool = False,
) -> None:
    """Start the services, print their exports, run `on_ready`, then wait for a signal.

    `on_stop` runs before the services stop, so whatever uses them can finish first.
    """
    stop = stop_event or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    started = time.perf_counter()
    with start_services(moto_port, face_port, data_dir, own_processes=own_processes) as services:
        print("# Doorman local cloud. Paste these into another shell:", flush=True)
        print("# (the keys are moto's fake ones; nothing here is a secret)", flush=True)
        for line in export_lines(services.env()):
            print(line, flush=True)
        if on_ready is not None:
            on_ready(services)
        ready = time.perf_counter() - started
        print(f"# Running (ready in {ready:.1f} s). Stop with Ctrl-C.", file=sys.stderr, flush=True)
        try:
            stop.wait()
            print("# Stopping.", file=sys.stderr, flush=True)
        finally:
            if on_stop is not None:
                on_stop()
    print(f"# Stopped. Data kept in {data_dir}." if data_dir else "# Stopped.",
          file=sys.stderr, flush=True)  # fmt: skip
