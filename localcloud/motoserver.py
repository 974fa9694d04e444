"""moto server on 127.0.0.1, keeping connections open between requests.

moto's `ThreadedMotoServer` runs on Werkzeug's development server, which ends every
response with `Connection: close` (werkzeug/serving.py, `run_wsgi`: http.server cannot skip
a request body the application left unread, so the next request line would be read from
the middle of it). Every boto3 call then opens a new TCP connection, and moto starts a new
thread for it: under the bench's load, about 19 connections per frame, and most of the
urllib3 "Resetting dropped connection" lines in a handler's debug log.

`KeepAliveHandler` reads each request body whole before moto sees it, so nothing is ever
left unread, and sends each response whole with its Content-Length, so HTTP/1.1 keeps the
connection (RFC 9112, section 9.3: persistent unless either side says `close`). It builds
the request's environ with moto's own handler (`MotoRequestHandler`, which preserves header
names with underscores, as S3 metadata needs). An idle connection is closed after
`IDLE_SECONDS`; urllib3 then opens a new one.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer

IDLE_SECONDS = 60.0


class KeepAliveHandler(MotoRequestHandler):
    """moto's request handler (its environ), with responses that keep the connection."""

    timeout = IDLE_SECONDS  # socketserver.StreamRequestHandler: the socket's timeout
    # Headers and body go out in two writes; with Nagle's algorithm the second one would
    # wait for the client's delayed ACK (about 40 ms on Linux) on a kept connection.
    disable_nagle_algorithm = True
    server: BaseWSGIServer

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        # The whole body now, so the next request on this connection starts where this one
        # ends, whatever moto reads: de-chunked by Werkzeug to its end, else Content-Length.
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = stream.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    def log_error(self, format: str, *args: Any) -> None:
        if format.startswith("Request timed out"):
            return  # a kept connection left idle for IDLE_SECONDS: closed, as intended
        super().log_error(format, *args)

    def run_wsgi(self) -> None:
        """Run moto on this request and send its response whole, with its length, so the
        connection can carry the next request (Werkzeug's own run_wsgi always closes it)."""
        environ = self.make_environ()
        started: list[tuple[str, list[tuple[str, str]]]] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            started[:] = [(status, headers)]
            return chunks.append

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:
            self.close_connection = True
            self.send_error(500, "moto raised an exception")
            raise
        status, headers = started[0]
        code_text, _, reason = status.partition(" ")
        code, head = int(code_text), environ["REQUEST_METHOD"] == "HEAD"
        has_body = not head and code >= 200 and code not in (204, 304)
        self.send_response(code, reason)
        for name, value in headers:
            if name.lower() in ("connection", "transfer-encoding"):
                continue
            if name.lower() == "content-length" and not head:
                continue  # the length of what is sent (HEAD keeps the object's length)
            self.send_header(name, value)
        if has_body:
            body = b"".join(chunks)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.end_headers()


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, knowing its open connections so that stopping it ends
    them too (a kept connection would otherwise go on being served after the stop)."""

    def __init__(self, host: str, port: int, app: Any) -> None:
        super().__init__(host, port, app, handler=KeepAliveHandler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the other side
                connection.shutdown(socket.SHUT_RDWR)


class MotoServer:
    """moto's WSGI application on a threaded server with persistent connections."""

    def __init__(self, host: str, port: int = 0) -> None:
        self._server = _Server(host, port, DomainDispatcherApplication(create_backend_app))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, and end the connections still open (a request under way on one
        loses its response, as with a server that goes away)."""
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join()
