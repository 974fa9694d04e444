"""localcloud's moto server keeps connections open between requests, and still behaves as a
server: whatever moto leaves unread of a body, HEAD, and a stop that ends open connections.

Werkzeug's development server (moto's ThreadedMotoServer) closes every connection, so each
boto3 call paid a TCP connection and a new server thread (localcloud/motoserver.py).
"""

from __future__ import annotations

import http.client
import logging
import uuid

import boto3
import pytest

from core.resources import FAKE_CREDENTIALS
from localcloud.services import start_moto

pytestmark = pytest.mark.integration


@pytest.fixture
def moto():
    server = start_moto()
    yield server
    server.stop()


def _connection(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def _s3(url: str):
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def test_one_connection_carries_many_requests(moto) -> None:
    connection = _connection(moto.url)
    for _ in range(3):
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and b"ListAllMyBucketsResult" in body
        assert response.getheader("Connection") is None
        assert int(response.getheader("Content-Length")) == len(body)
    connection.close()


def test_a_body_moto_does_not_read_does_not_spill_into_the_next_request(moto) -> None:
    connection = _connection(moto.url)
    # ListBuckets ignores a body; a server that left it unread would take it for the next
    # request line.
    connection.request("GET", "/", body=b"GET /not-a-request HTTP/1.1\r\n\r\n" * 100)
    assert connection.getresponse().read()
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200 and b"ListAllMyBucketsResult" in response.read()
    connection.close()


def test_head_keeps_the_object_length_and_sends_no_body(moto) -> None:
    s3 = _s3(moto.url)
    bucket = f"keepalive-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="frame.jpg", Body=b"x" * 1234)

    def path(operation: str) -> str:  # signed, as moto refuses anonymous reads
        url = s3.generate_presigned_url(operation, Params={"Bucket": bucket, "Key": "frame.jpg"})
        return url.removeprefix(moto.url)

    connection = _connection(moto.url)
    connection.request("HEAD", path("head_object"))
    head = connection.getresponse()
    assert head.status == 200 and head.getheader("Content-Length") == "1234"
    assert head.read() == b""
    connection.request("GET", path("get_object"))  # the same connection, still in step
    assert connection.getresponse().read() == b"x" * 1234
    connection.close()


def test_boto3_opens_one_connection_for_many_calls(moto, caplog) -> None:
    s3 = _s3(moto.url)
    bucket = f"keepalive-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        s3.create_bucket(Bucket=bucket)
        for n in range(10):
            s3.put_object(Bucket=bucket, Key=f"k{n}", Body=b"frame" * 100, Metadata={"a_b": "1"})
            assert s3.get_object(Bucket=bucket, Key=f"k{n}")["Body"].read() == b"frame" * 100
    opened = [r for r in caplog.records if "Starting new HTTP connection" in r.getMessage()]
    dropped = [r for r in caplog.records if "Resetting dropped connection" in r.getMessage()]
    assert (len(opened), len(dropped)) == (1, 0)
    # moto's own handling of underscores in metadata names is kept
    assert s3.head_object(Bucket=bucket, Key="k0")["Metadata"] == {"a_b": "1"}


def test_stopping_ends_the_open_connections() -> None:
    server = start_moto()
    connection = _connection(server.url)
    connection.request("GET", "/")
    assert connection.getresponse().read()
    server.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        connection.request("GET", "/")
        connection.getresponse()
    connection.close()
