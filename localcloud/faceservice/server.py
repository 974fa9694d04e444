"""HTTP front end: AWS JSON 1.1 over a threading HTTP server bound to 127.0.0.1.

Requests are `POST /` with `X-Amz-Target: RekognitionService.<Operation>` and a JSON body.
SigV4 headers are accepted and not checked (this is a local development service).
Errors are HTTP 400 with `{"__type": <AWS error name>, "message": ...}`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from .errors import (
    ImageTooLargeException,
    RekognitionError,
    SerializationException,
    UnknownOperationException,
)
from .operations import RekognitionApi

log = logging.getLogger(__name__)

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"
# 5 MB of image bytes is ~6.7 MB of base64; anything much larger is refused unread.
MAX_BODY = 8 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class _Handler(BaseHTTPRequestHandler):
    server: FaceServiceHTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def do_POST(self) -> None:
        request_id = str(uuid.uuid4())
        try:
            operation, params = self._parse()
            body, status = self.server.api.call(operation, params), 200
            data = json.dumps(body, default=_json_default).encode()
        except RekognitionError as exc:
            status = exc.status
            data = json.dumps({"__type": exc.code, "message": exc.message}).encode()
        except Exception:
            log.exception("face service: internal error")
            status = 500
            error = {"__type": "InternalServerError", "message": "Internal error."}
            data = json.dumps(error).encode()
        self._send(status, data, request_id)

    def do_GET(self) -> None:
        """Health check: GET / answers 200 with the service name."""
        body = {"service": "doorman-face-service", "status": "ok"}
        self._send(200, json.dumps(body).encode(), str(uuid.uuid4()))

    def _parse(self) -> tuple[str, dict[str, Any]]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the body's end is unknown
            raise SerializationException("Content-Length must be a non-negative integer.")
        if length > MAX_BODY:
            self._drain(length)
            raise ImageTooLargeException(f"Request body of {length} bytes is too large.")
        raw = self.rfile.read(length) if length else b"{}"
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            raise UnknownOperationException(f"Unknown X-Amz-Target {target!r}.")
        try:
            params = json.loads(raw or b"{}")
        except ValueError as exc:
            raise SerializationException(f"Request body is not JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise SerializationException("Request body must be a JSON object.")
        return target[len(TARGET_PREFIX) :], params

    def _drain(self, length: int) -> None:
        if length > DRAIN_LIMIT:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def _send(self, status: int, data: bytes, request_id: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", request_id)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("face service: " + format, *args)


class FaceServiceHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, api: RekognitionApi, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self._host = host
        self.api = api
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.server_port}"

    def start(self) -> FaceServiceHTTPServer:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="face-service", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=10)
