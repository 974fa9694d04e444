"""The local face service cannot be hung: a stalled or trickling body is cut off after the
request timeout while other clients are served, chunked bodies and other content types are
refused with AWS-style errors, and a fixed pool of workers serves every connection.

Each test runs its own server on 127.0.0.1 with small bounds (2 workers, 2 waiting
connections, a 1 s request timeout), so the limits are reached in a second or two.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from localcloud.faceservice.detection import FaceEngine
from localcloud.faceservice.operations import RekognitionApi
from localcloud.faceservice.server import FaceServiceHTTPServer
from localcloud.faceservice.store import CollectionStore

pytestmark = pytest.mark.integration

WORKERS = 2
WAITING = 2
TIMEOUT = 1.0
# The bound test holds every worker with an idle connection: long enough that none of them
# times out before the extra connections are turned away, even on a loaded machine (CI once
# took more than 2 s to answer one of them while other suites kept both cores busy).
BOUND_TEST_TIMEOUT = 6.0
TARGET = "RekognitionService.ListCollections"
JSON_1_1 = "application/x-amz-json-1.1"


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture
def server(engine: FaceEngine) -> Iterator[FaceServiceHTTPServer]:
    store = CollectionStore(None, arn_prefix="aws:rekognition:us-east-1:123456789012:collection/")
    running = FaceServiceHTTPServer(
        RekognitionApi(engine, store), workers=WORKERS, waiting=WAITING, request_timeout=TIMEOUT
    ).start()
    yield running
    running.stop()


def rekognition(server: FaceServiceHTTPServer) -> Any:
    return rekognition_at(server.url)


def rekognition_at(url: str) -> Any:
    return boto3.client(
        "rekognition",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=5,
        ),
    )


def raw_connection(server: FaceServiceHTTPServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.server_port), timeout=10)


def request_head(content_length: int, content_type: str = JSON_1_1) -> bytes:
    return (
        "POST / HTTP/1.1\r\n"
        "Host: localhost\r\n"
        f"X-Amz-Target: {TARGET}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {content_length}\r\n"
        "\r\n"
    ).encode()


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (10 s at most)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_short_body_is_cut_off_after_the_timeout_while_others_are_served(server):
    stalled = raw_connection(server)
    stalled.sendall(request_head(1000) + b'{"a": 123}')  # 10 of the 1000 bytes, then nothing
    started = time.monotonic()
    try:
        assert rekognition(server).list_collections()["CollectionIds"] == []
        answer = read_until_closed(stalled)
    finally:
        stalled.close()
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + 1.5, f"the stalled connection stayed open {elapsed:.1f} s"
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["__type"] == "RequestTimeout"


def test_a_trickling_body_is_cut_off_at_the_request_deadline(server):
    slow = raw_connection(server)
    started = time.monotonic()
    try:
        slow.sendall(request_head(200))
        closed = False
        for _ in range(20):  # a byte every 0.2 s: each read is quick, the whole is not
            time.sleep(0.2)
            try:
                slow.sendall(b" ")
            except OSError:
                closed = True
                break
            if time.monotonic() - started > TIMEOUT + 1.5:
                break
        answer = b"" if closed else read_until_closed(slow)
    finally:
        slow.close()
    assert time.monotonic() - started < TIMEOUT + 2.0
    assert closed or b"RequestTimeout" in answer


def post(
    server: FaceServiceHTTPServer, headers: dict[str, str], body: bytes | Iterable[bytes]
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        chunked = not isinstance(body, bytes)
        connection.request("POST", "/", body=body, headers=headers, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_body_is_refused_with_an_aws_error(server):
    status, error = post(
        server,
        {"X-Amz-Target": TARGET, "Content-Type": JSON_1_1, "Transfer-Encoding": "chunked"},
        iter([b"{", b"}"]),
    )
    assert status == 411
    assert error["__type"] == "MissingContentLength"
    assert "chunked" in error["message"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_other_content_types_are_refused_with_an_aws_error(server, content_type):
    headers = {"X-Amz-Target": TARGET}
    if content_type:
        headers["Content-Type"] = content_type
    status, error = post(server, headers, b"{}")
    assert status == 415
    assert error["__type"] == "UnsupportedMediaTypeException"
    assert JSON_1_1 in error["message"]


def test_the_content_type_may_carry_parameters(server):
    status, body = post(
        server, {"X-Amz-Target": TARGET, "Content-Type": f"{JSON_1_1}; charset=utf-8"}, b"{}"
    )
    assert status == 200
    assert body["CollectionIds"] == []


# A server in a process of its own, so that its threads can be counted apart from the
# threads of the test session's other servers.
SERVE = f"""
import sys
from localcloud.faceservice.detection import FaceEngine
from localcloud.faceservice.operations import RekognitionApi
from localcloud.faceservice.server import FaceServiceHTTPServer
from localcloud.faceservice.store import CollectionStore

store = CollectionStore(None, arn_prefix="aws:rekognition:us-east-1:123456789012:collection/")
server = FaceServiceHTTPServer(
    RekognitionApi(FaceEngine(), store),
    workers={WORKERS},
    waiting={WAITING},
    request_timeout={BOUND_TEST_TIMEOUT},
).start()
print(server.server_port, flush=True)
sys.stdin.read()  # serve until the test closes stdin
server.stop()
"""


@pytest.fixture
def server_process() -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        yield process, int(process.stdout.readline())
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_more_connections_than_the_bound_create_no_threads_and_the_service_recovers(
    server_process: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = server_process
    client = rekognition_at(f"http://127.0.0.1:{port}")
    client.list_collections()  # the server's threads are all up by now
    threads_before = thread_count(process.pid)
    opened = time.monotonic()
    idle = [
        socket.create_connection(("127.0.0.1", port), timeout=10)
        for _ in range(WORKERS + WAITING + 4)
    ]
    try:
        time.sleep(0.3)
        assert thread_count(process.pid) <= threads_before
        served, over_the_bound = idle[: WORKERS + WAITING], idle[WORKERS + WAITING :]
        for connection in over_the_bound:
            connection.settimeout(BOUND_TEST_TIMEOUT)
            answer = read_until_closed(connection)
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert b"ServiceUnavailable" in answer
        # turned away without waiting for a worker: before any served connection timed out
        assert time.monotonic() - opened < BOUND_TEST_TIMEOUT
        for connection in served:  # each times out in turn, two at a time
            connection.settimeout(4 * BOUND_TEST_TIMEOUT)
            assert read_until_closed(connection) == b""
        assert thread_count(process.pid) <= threads_before
        assert client.list_collections()["CollectionIds"] == []
    finally:
        for connection in idle:
            connection.close()
