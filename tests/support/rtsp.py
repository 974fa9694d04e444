"""A real RTSP server (GStreamer's GstRtspServer) that serves an H.264 MP4 on 127.0.0.1.

GstRtspServer's Python bindings live in the system Python (python3-gi), not in the venv,
so `serve_file()` runs this same file as a script under /usr/bin/python3. The child prints
`READY <port>` once it listens. Each client gets its own pipeline that plays the file from
the start in real time.

    with serve_file(video) as server:       # or server = serve_file(video); server.stop()
        capture = cv2.VideoCapture(server.url)

`serve_file(video, port=server.port)` restarts a server on the same port (reconnect tests).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
MOUNT = "/scene"
READY_TIMEOUT_SECONDS = 15.0


class RtspServer:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"rtsp://127.0.0.1:{port}{MOUNT}"

    def stop(self) -> None:
        """Kill the server (clients see the connection drop) and reap it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """Freeze the server without closing its sockets: a stalled camera."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def __enter__(self) -> RtspServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def available() -> str | None:
    """None when an RTSP server can run here, else the reason it cannot."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0'); "
            "from gi.repository import GstRtspServer",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return "GstRtspServer is not installed (make setup installs gir1.2-gst-rtsp-server-1.0)"
    return None


def serve_file(video: Path, port: int = 0) -> RtspServer:
    """Start a server for `video`; port 0 lets the OS choose a free one."""
    process = subprocess.Popen(
        [SYSTEM_PYTHON, __file__, str(Path(video).resolve()), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    assert process.stdout is not None
    found: list[int] = []

    def wait_ready() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("READY "):
                found.append(int(line.split()[1]))
                return

    reader = threading.Thread(target=wait_ready, daemon=True)
    reader.start()
    reader.join(READY_TIMEOUT_SECONDS)
    if not found:
        process.kill()
        _, stderr = process.communicate(timeout=10)
        raise RuntimeError(f"RTSP server did not start: {stderr.strip()[-2000:]}")
    return RtspServer(process, found[0])


def _serve(video: str, port: int) -> None:  # pragma: no cover - runs under system python
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = video.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        f'( filesrc location="{location}" ! qtdemux ! h264parse '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(False)
    server.get_mount_points().add_factory(MOUNT, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
