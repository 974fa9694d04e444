"""HTTP front end: AWS JSON 1.1 over HTTP/1.1 on 127.0.0.1, served by a fixed pool of workers.

Requests are `POST /` with `X-Amz-Target: RekognitionService.<Operation>`, a JSON body and
`Content-Type: application/x-amz-json-1.1`. SigV4 headers are accepted and not checked (this
is a local development service). Errors are `{"__type": <AWS error name>, "message": ...}`,
with HTTP 400 unless the error says otherwise.

No client can hang the service:
- A fixed pool of `workers` threads serves the connections; up to `waiting` accepted
  connections wait for a free worker, and any beyond that are answered 503
  ServiceUnavailable at once (botocore retries it). No thread is ever started per
  connection.
- Each connection carries one request (every response says `Connection: close`), so an idle
  keep-alive connection never holds a worker.
- Every socket read waits at most `request_timeout` seconds, and the whole body must arrive
  within `request_timeout` of the headers. A stalled, short or trickling body is answered
  400 RequestTimeout and the connection is closed.
- The body must be framed by Content-Length: any `Transfer-Encoding` (chunked) is refused
  with 411 MissingContentLength, and a content type other than application/x-amz-json-1.1
  with 415 UnsupportedMediaTypeException (the names S3 and Lambda use for these refusals).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
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
# After answering a request whose body was not read, read and discard at most this much of
# it, so that closing the socket does not reset the connection before the client has read
# the answer.
DRAIN_LIMIT = 64 * 1024 * 1024
DEFAULT_WORKERS = 8
DEFAULT_WAITING = 64
DEFAULT_REQUEST_TIMEOUT = 10.0


# Transport-level refusals, named and numbered as AWS names them: S3's RequestTimeout (400)
# and MissingContentLength (411),
# https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, Lambda's
# UnsupportedMediaTypeException (415),
# https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, and the common
# ServiceUnavailable (503), which botocore retries.
class RequestTimeout(RekognitionError):
    code = "RequestTimeout"


class MissingContentLength(RekognitionError):
    code = "MissingContentLength"
    status = 411


class UnsupportedMediaTypeException(RekognitionError):
    code = "UnsupportedMediaTypeException"
    status = 415


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: FaceServiceHTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)  # each read and write
        self._body_unread = False

    def handle(self) -> None:
        """One request per connection: a worker is never held by an idle keep-alive."""
        self.close_connection = True
        self.handle_one_request()

    def do_POST(self) -> None:
        request_id = str(uuid.uuid4())
        try:
            operation, params = self._parse()
            body, status = self.server.api.call(operation, params), 200
            data = json.dumps(body, default=_json_default).encode()
        except RekognitionError as exc:
            status, data = exc.status, _error_body(exc.code, exc.message)
        except Exception:
            log.exception("face service: internal error")
            status, data = 500, _error_body("InternalServerError", "Internal error.")
        self._send(status, data, request_id)
        if self._body_unread:
            self._discard_unread_body()

    def do_GET(self) -> None:
        """Health check: GET / answers 200 with the service name."""
        body = {"service": "doorman-face-service", "status": "ok"}
        self._send(200, json.dumps(body).encode(), str(uuid.uuid4()))

    def _parse(self) -> tuple[str, dict[str, Any]]:
        encoding = self.headers.get("Transfer-Encoding")
        if encoding:
            self._body_unread = True
            raise MissingContentLength(
                f"Transfer-Encoding: {encoding} is not supported; send the body with a "
                "Content-Length header."
            )
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._body_unread = True  # the body's end is unknown
            raise SerializationException("Content-Length must be a non-negative integer.")
        if length > MAX_BODY:
            self._body_unread = True
            raise ImageTooLargeException(f"Request body of {length} bytes is too large.")
        raw = self._read_body(length) if length else b"{}"
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != CONTENT_TYPE:
            raise UnsupportedMediaTypeException(
                f"Content-Type must be {CONTENT_TYPE}, not {content_type or 'missing'}."
            )
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

    def _read_body(self, length: int) -> bytes:
        """`length` bytes, all within the request timeout; a short or slow body is an error."""
        timeout = self.server.request_timeout
        deadline = time.monotonic() + timeout
        parts: list[bytes] = []
        received = 0
        try:
            while received < length:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(length - received, 1 << 20))
                if not chunk:
                    raise SerializationException(
                        f"The request body ended after {received} of {length} bytes."
                    )
                parts.append(chunk)
                received += len(chunk)
        except TimeoutError:
            raise RequestTimeout(
                f"The request body did not arrive within {timeout:g} s "
                f"({received} of {length} bytes)."
            ) from None
        finally:
            self.connection.settimeout(timeout)
        return b"".join(parts)

    def _discard_unread_body(self) -> None:
        """Read what the client still sends after the answer (bounded in bytes and time),
        so that closing the socket does not reset the connection before the client has read
        the answer."""
        deadline = time.monotonic() + self.server.request_timeout
        discarded = 0
        with contextlib.suppress(OSError):  # the client went away, or the deadline passed
            self.connection.shutdown(socket.SHUT_WR)
            while discarded < DRAIN_LIMIT and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                chunk = self.rfile.read1(1 << 20)
                if not chunk:
                    return
                discarded += len(chunk)

    def _send(self, status: int, data: bytes, request_id: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("face service: " + format, *args)


_Connection = tuple[socket.socket, Any]


class FaceServiceHTTPServer(HTTPServer):
    allow_reuse_address = True
    request_queue_size = 128  # the listen backlog, before connections are accepted

    def __init__(
        self,
        api: RekognitionApi,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        workers: int = DEFAULT_WORKERS,
        waiting: int = DEFAULT_WAITING,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        if workers < 1 or waiting < 1 or not request_timeout > 0:
            raise ValueError(
                f"workers ({workers}) and waiting ({waiting}) must be at least 1, "
                f"request_timeout ({request_timeout}) above 0"
            )
        super().__init__((host, port), _Handler)
        self._host = host
        self.api = api
        self.request_timeout = request_timeout
        # One slot per connection being served or waiting, so the bound does not depend on
        # how fast a worker wakes up to take a connection off the queue.
        self._slots = threading.BoundedSemaphore(workers + waiting)
        self._waiting = waiting
        self._pending: queue.Queue[_Connection | None] = queue.Queue()
        self._workers = [
            threading.Thread(target=self._serve_connections, name=f"face-service-{n}", daemon=True)
            for n in range(workers)
        ]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.server_port}"

    def start(self) -> FaceServiceHTTPServer:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="face-service", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        for worker in self._workers:
            if not worker.is_alive():
                worker.start()
        super().serve_forever(poll_interval)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Called by the accepting thread: hand the connection to the pool, or turn it away
        when every worker is busy and the waiting line is full."""
        if self._slots.acquire(blocking=False):
            self._pending.put((request, client_address))
        else:
            self._turn_away(request)
            self.shutdown_request(request)

    def _turn_away(self, connection: socket.socket) -> None:
        body = _error_body(
            "ServiceUnavailable",
            f"All {len(self._workers)} workers are busy and {self._waiting} "
            "connections are waiting; try again.",
        )
        head = (
            "HTTP/1.1 503 Service Unavailable\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):  # never block the accepting thread
            connection.setblocking(False)
            connection.send(head.encode() + body)

    def _serve_connections(self) -> None:
        while (item := self._pending.get()) is not None:
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
                self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # the client went away mid-answer
            log.debug("face service: connection from %s lost", client_address, exc_info=True)
        else:
            log.exception("face service: error on a connection from %s", client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        while True:  # connections still waiting for a worker are closed unanswered
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.shutdown_request(item[0])
        for worker in self._workers:
            if worker.is_alive():
                self._pending.put(None)  # a worker still busy ends by its timeout
        for worker in self._workers:
            if worker.is_alive():
                worker.join(timeout=self.request_timeout + 1)
        if self._thread:
            self._thread.join(timeout=10)
