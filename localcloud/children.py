"""The local cloud's servers as child processes (`python -m localcloud.motoprocess`,
`python -m localcloud.faceprocess`).

moto and dlib are CPU-bound Python; in one process they and the handlers take turns on one
GIL. As children they use the other core. A child prints one JSON line (`{"url": ...}`) when
it serves and stops on SIGTERM, or when its stdin closes, so it never outlives the process
that started it. Children run in their own session: a Ctrl-C in the terminal reaches the
parent only, which stops them in order (router first, then the servers).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


class ChildService:
    """A `python -m {module} {arguments}` child, started at once; `wait_ready()` returns its
    URL once it serves (so several children can start side by side)."""

    def __init__(self, module: str, arguments: list[str]) -> None:
        self.module = module
        self._process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def wait_ready(self) -> str:
        found: list[str] = []
        reader = threading.Thread(target=self._read_first_line, args=(found,), daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT_SECONDS)
        if not found:
            self.stop()
            raise RuntimeError(
                f"{self.module} did not start (exit code {self._process.returncode}); "
                "its error is printed above"
            )
        url: str = json.loads(found[0])["url"]
        return url

    def _read_first_line(self, found: list[str]) -> None:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if line.strip():
            found.append(line)

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def stop(self) -> None:
        """SIGTERM, then wait (SIGKILL after STOP_TIMEOUT_SECONDS)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()


def serve_until_stopped(url: str, stop: Callable[[], None]) -> None:
    """In a child: announce `url`, wait for SIGTERM, SIGINT or the parent's going, call
    `stop`, and exit (1 if `stop` failed)."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    def parent_gone() -> None:  # stdin is a pipe from the parent: EOF means it has gone
        sys.stdin.read()
        stopping.set()

    threading.Thread(target=parent_gone, daemon=True).start()
    print(json.dumps({"url": url}), flush=True)
    stopping.wait()
    code = 0
    try:
        stop()
    except Exception:
        traceback.print_exc()
        code = 1
    # Exit now: a server's request threads can wait on idle keep-alive connections, and
    # the interpreter would wait for them at exit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
