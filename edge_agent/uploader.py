"""The uploader thread: spool -> S3, deleting an item only after S3 confirmed it.

It never gives up on an event. Network errors, 5xx and throttling are retried with
exponential backoff and jitter (on top of botocore's own `standard` retries). Errors that a
human must fix (AccessDenied, NoSuchBucket, bad credentials) are logged loudly and retried at
the maximum backoff, so the agent recovers by itself once the cause is fixed. An item that S3
rejects for what it is (too large, invalid metadata) is set aside in the spool's `rejected/`
folder instead of blocking the queue.

Frames are write-once: every put carries `If-None-Match: *` (the uploads bucket policy denies
a put under `frames/` without it). Keys are deterministic, so a retry after a crash or a lost
answer names the same object; S3 then refuses it with 412 PreconditionFailed because the
object is there, and the item counts as delivered (`already_present`) and leaves the spool.
A 409 ConditionalRequestConflict (a concurrent conditional write) is retried. See
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import TYPE_CHECKING

import boto3
from botocore.config import DEFAULT_TIMEOUT, Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
)

from edge_agent.config import UploadConfig
from edge_agent.spool import Spool, SpoolItem

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# botocore retries each call a few times itself; the uploader loop retries forever on top.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
)

_THROTTLING = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded"}
_TRANSIENT = {"RequestTimeout", "BadDigest", "IncompleteBody", "ConditionalRequestConflict"}
# If-None-Match: * failed: the object under this key exists already (the frame arrived).
_ALREADY_PRESENT = "PreconditionFailed"
_ITEM_REJECTED = {"EntityTooLarge", "MetadataTooLarge", "KeyTooLongError", "InvalidArgument"}
_WARN_EVERY = 60.0  # seconds between warnings while the network stays down
_HINTS = {
    "AccessDenied": "the agent's role needs s3:PutObject on the uploads bucket",
    "NoSuchBucket": "check upload.bucket against the stack output UploadsBucket",
    "InvalidAccessKeyId": "the credentials from the default chain are not valid",
    "SignatureDoesNotMatch": "the secret key from the default chain does not match",
    "ExpiredToken": "the session credentials expired and were not refreshed",
    "RequestTimeTooSkewed": "the device clock is wrong; enable NTP time sync",
}


def s3_client(
    *,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    region_name: str | None = None,
) -> S3Client:
    """An S3 client with the uploader's timeouts and retry mode. Credentials and endpoint
    come from the default chain (`AWS_ENDPOINT_URL` points it at localcloud)."""
    config = CLIENT_CONFIG
    # Only the timeouts given override CLIENT_CONFIG's: a None passed to Config would count.
    if connect_timeout is not None:
        config = config.merge(Config(connect_timeout=connect_timeout))
    if read_timeout is not None:
        config = config.merge(Config(read_timeout=read_timeout))
    return boto3.client("s3", config=config, region_name=region_name)


def _error_code(error: ClientError) -> tuple[str, int]:
    code = error.response.get("Error", {}).get("Code", "")
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code, status


class Uploader:
    """Moves spool items to `s3://bucket/<event key>` on a background thread."""

    def __init__(
        self,
        spool: Spool,
        s3_client: S3Client,
        bucket: str,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 60.0,
        poll_interval: float = 1.0,
    ) -> None:
        if not bucket:
            raise ValueError("upload bucket is empty")
        if min_backoff <= 0 or max_backoff <= 0:
            raise ValueError("backoff times must be positive")
        self.spool = spool
        self.s3 = s3_client
        self.bucket = bucket
        self.min_backoff = min(min_backoff, max_backoff)
        self.max_backoff = max_backoff
        self.poll_interval = poll_interval
        self.uploaded = 0
        self.failed_attempts = 0
        self.rejected = 0
        self.already_present = 0
        self.last_error = ""
        self._consecutive_failures = 0
        self._last_warning = 0.0
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(
        cls, spool: Spool, upload: UploadConfig, client: S3Client | None = None
    ) -> Uploader:
        """Build from `AgentConfig.upload` (bucket, region, timeouts, max backoff)."""
        if not upload.bucket:
            raise ValueError("upload.bucket is not set (the stack output UploadsBucket)")
        client = client or s3_client(
            connect_timeout=upload.connect_timeout_seconds,
            read_timeout=upload.read_timeout_seconds,
            region_name=upload.region,
        )
        return cls(spool, client, upload.bucket, max_backoff=upload.max_backoff_seconds)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("uploader already started")
        self._thread = threading.Thread(target=self._run, name="doorman-uploader", daemon=True)
        self._thread.start()

    def stop(self, drain_timeout: float = 10.0) -> bool:
        """Upload what is left for up to `drain_timeout` seconds, then stop.

        Returns True when the spool is empty. Whatever is left stays in the spool for the
        next start.
        """
        self._deadline = time.monotonic() + max(drain_timeout, 0.0)
        self._stopping.set()
        self.spool.wake()
        if self._thread is not None:
            self._thread.join(drain_timeout + self._longest_call() + 1.0)
        left = len(self.spool)
        if left:
            log.warning("uploader stopped with %d events left in the spool", left)
        return left == 0

    def _longest_call(self) -> float:
        """Connect plus read timeout of the client (fakes in tests have no config)."""
        meta = getattr(self.s3, "meta", None)
        config = getattr(meta, "config", CLIENT_CONFIG)
        # botocore sets the timeouts as attributes in Config(); its stubs do not declare them.
        connect = getattr(config, "connect_timeout", DEFAULT_TIMEOUT)
        read = getattr(config, "read_timeout", DEFAULT_TIMEOUT)
        return float(connect) + float(read)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> dict[str, int]:
        return {
            "uploaded": self.uploaded,
            "failed_attempts": self.failed_attempts,
            "rejected": self.rejected,
            "already_present": self.already_present,
        }

    # -- the loop --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            if self._stopping.is_set() and (
                not len(self.spool) or time.monotonic() >= self._deadline
            ):
                return
            items = self.spool.pending()
            if not items:
                self.spool.wait_for_items(self.poll_interval)
                continue
            try:
                delay = self._upload(items[0])
            except Exception:  # the thread must survive anything; the item stays spooled
                log.exception("uploader: unexpected error on %s", items[0].key)
                delay = self._next_backoff(at_max=True)
            if delay:
                self._sleep(delay)

    def _upload(self, item: SpoolItem) -> float:
        """PUT one item. Returns how long to wait before the next attempt (0 after success)."""
        try:
            body = item.read_jpeg()
        except FileNotFoundError:
            self.spool.remove(item)  # evicted while we looked at it
            return 0.0
        try:
            response = self.s3.put_object(
                Bucket=self.bucket,
                Key=item.key,
                Body=body,
                ContentType="image/jpeg",
                Metadata=item.metadata,
                IfNoneMatch="*",  # write-once: never overwrite a frame already in S3
            )
        except ClientError as error:
            return self._on_client_error(item, error)
        except ParamValidationError as error:
            self._reject(item, f"invalid request: {error}")
            return 0.0
        except (NoCredentialsError, CredentialRetrievalError) as error:
            return self._on_failure(item, f"no credentials: {error}", loud=True)
        except (ConnectionError, HTTPClientError, BotoCoreError) as error:
            return self._on_failure(item, f"{type(error).__name__}: {error}", loud=False)
        if not response.get("ETag"):
            return self._on_failure(item, "S3 answered without an ETag", loud=True)
        self._delivered(item)
        log.debug("uploaded s3://%s/%s", self.bucket, item.key)
        return 0.0

    def _delivered(self, item: SpoolItem) -> None:
        self.spool.remove(item)
        self.uploaded += 1
        if self._consecutive_failures:
            log.info("uploader: S3 reachable again after %d failures", self._consecutive_failures)
        self._consecutive_failures = 0

    def _on_client_error(self, item: SpoolItem, error: ClientError) -> float:
        code, status = _error_code(error)
        if code == _ALREADY_PRESENT or status == 412:
            # A retry of a put that had arrived (its answer was lost, or the agent crashed
            # before removing the item): the object is there, and it is never overwritten.
            self.already_present += 1
            self._delivered(item)
            log.info("uploader: s3://%s/%s is there already; done", self.bucket, item.key)
            return 0.0
        if code in _ITEM_REJECTED:
            self._reject(item, f"{code}: {error}")
            return 0.0
        transient = status >= 500 or status == 429 or code in _THROTTLING | _TRANSIENT
        return self._on_failure(item, f"{code or status}: {error}", loud=not transient, code=code)

    def _on_failure(self, item: SpoolItem, reason: str, *, loud: bool, code: str = "") -> float:
        self.failed_attempts += 1
        self.last_error = reason
        delay = self._next_backoff(at_max=loud)
        if loud:
            hint = _HINTS.get(code, "fix the cause; the agent keeps retrying and loses nothing")
            log.error(
                "uploader: cannot upload %s to bucket %s: %s (%s); retrying in %.0f s",
                item.key,
                self.bucket,
                reason,
                hint,
                delay,
            )
        elif (
            time.monotonic() - self._last_warning >= _WARN_EVERY or self._consecutive_failures == 1
        ):
            self._last_warning = time.monotonic()
            log.warning(
                "uploader: %s; %d events wait in the spool; retrying with backoff",
                reason,
                len(self.spool),
            )
        else:
            log.debug("uploader: %s; retrying %s in %.1f s", reason, item.key, delay)
        return delay

    def _reject(self, item: SpoolItem, reason: str) -> None:
        self.rejected += 1
        self.last_error = reason
        log.error("uploader: S3 rejected %s (%s); set aside in the spool", item.key, reason)
        self.spool.set_aside(item, reason)

    def _next_backoff(self, *, at_max: bool) -> float:
        self._consecutive_failures += 1
        if at_max:
            ceiling = self.max_backoff
        else:
            exponent = min(self._consecutive_failures - 1, 32)
            ceiling = min(self.max_backoff, self.min_backoff * 2**exponent)
        return ceiling * random.uniform(0.5, 1.0)  # jitter spreads agents' retries apart

    def _sleep(self, delay: float) -> None:
        if not self._stopping.is_set() and self._stopping.wait(delay):
            return  # stop() was called: the loop re-checks the drain deadline
        if self._stopping.is_set():
            time.sleep(max(0.0, min(delay, self._deadline - time.monotonic())))
