"""The event router: runs the Lambda handlers in-process, fed the way Lambda feeds them.

- Each function runs in up to `concurrency` execution environments, as Lambda scales a
  function: each one a fresh copy of the handler module (`functions.{name}.handler`, as in
  its Lambda asset) loaded under the function's own environment (the variables the stack
  sets plus the local endpoint variables), with its own metrics buffer. The first starts
  with the function, the others (cold starts) when every one is busy. An environment
  serves one invocation at a time; the environment variables are scoped to the thread that
  runs it (localcloud.threadenv), so invocations of all functions run side by side.
- Each SQS event source has `concurrency` pollers. Each one polls the queue, invokes the
  handler with the real Lambda SQS event shape and batch size, deletes the records that
  succeeded and leaves the
  `batchItemFailures` to come back after the visibility timeout (and reach the DLQ after
  maxReceiveCount receives). While a batch is in flight its visibility is extended, as the
  timeout is kept short locally.
- A Kinesis source (streaming path) reads the face-search stream and invokes analyze with
  the Kinesis event shape, retrying from the first failed record a bounded number of times
  and then reporting the records to an on-failure queue.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import importlib.util
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .threadenv import scoped

TASK_ROOT = Path(__file__).resolve().parents[1]  # the asset root: core/, adapters/, functions/
FUNCTIONS_DIR = TASK_ROOT / "functions"
ACCOUNT = "123456789012"
log = logging.getLogger("localcloud.router")

# LocalConfig.concurrency: 4 invocations of each function at once, a bound that keeps both
# cores of a small machine busy (`make bench`, load section) without queueing on moto.
DEFAULT_CONCURRENCY = 4
# How long `Router.stop()` lets the invocations under way finish before it hands their
# records back to their queues.
STOP_GRACE_SECONDS = 1.0


@contextlib.contextmanager
def sandbox(env: dict[str, str]) -> Iterator[None]:
    """This thread runs with `env` over the process environment (other threads do not)."""
    with scoped(env):
        yield


def _private_metrics(module: ModuleType) -> None:
    """Powertools keeps every Metrics instance's buffer in class attributes, shared by the
    whole process; give this environment's `metrics` buffers of its own, as each Lambda
    execution environment has, so invocations side by side never flush each other's."""
    metrics = getattr(module, "metrics", None)
    provider = getattr(metrics, "provider", None)
    if provider is None:
        return
    for buffer in ("metric_set", "dimension_set", "metadata_set"):
        own = dict(getattr(provider, buffer))
        setattr(provider, buffer, own)
        setattr(metrics, buffer, own)


class LambdaContext:
    """What Lambda passes as `context`."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: int, region: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """One function: `{package}/handler.py` loaded under its own environment, in up to
    `concurrency` execution environments (`module` is the first one's handler module)."""

    def __init__(
        self,
        package: str,
        env: dict[str, str],
        *,
        region: str,
        prefix: str = "doorman",
        timeout_s: int = 60,
        memory_mb: int = 512,
        concurrency: int = 1,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.package = package
        self.concurrency = concurrency
        self.name = f"{prefix}-{package}"
        self.region = region
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._env = dict(env)
        self.invocations = 0
        self.durations: list[tuple[int, float]] = []  # (records, seconds) per invocation
        self.running = 0  # invocations under way now
        self.peak_running = 0  # the most that were ever under way at once
        self._counts = threading.Lock()
        self._idle: queue.SimpleQueue[ModuleType] = queue.SimpleQueue()
        self._scaling = threading.Lock()
        self.modules: list[ModuleType] = []
        self._load_all()

    @property
    def module(self) -> ModuleType:
        """The first execution environment's handler module."""
        return self.modules[0]

    def _load_all(self) -> None:
        """A fresh pool with one execution environment; more start when they are needed."""
        with self._scaling:
            self.modules = [self._load()]
            self._idle = queue.SimpleQueue()
            self._idle.put(self.modules[0])

    def _checkout(self) -> tuple[queue.SimpleQueue[ModuleType], ModuleType]:
        """A free execution environment and the pool it goes back to: an idle one, else a new
        one (a cold start, as Lambda scales up) while fewer than `concurrency` exist, else
        the next one to come free."""
        idle = self._idle
        try:
            return idle, idle.get_nowait()
        except queue.Empty:
            pass
        with self._scaling:
            if idle is self._idle and len(self.modules) < self.concurrency:
                module = self._load()
                self.modules.append(module)
                return idle, module
        return idle, idle.get()

    def environment(self) -> dict[str, str]:
        return {
            **self._env,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "LAMBDA_TASK_ROOT": str(TASK_ROOT),
            "_HANDLER": f"functions.{self.package}.handler.lambda_handler",
            "POWERTOOLS_SERVICE_NAME": self.package,
            "POWERTOOLS_METRICS_NAMESPACE": "Doorman",
            # No X-Ray daemon locally.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def _load(self) -> ModuleType:
        """A fresh copy of the handler module, initialised as a cold start would be."""
        path = FUNCTIONS_DIR / self.package / "handler.py"
        spec = importlib.util.spec_from_file_location(f"functions.{self.package}.handler", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        with sandbox(self.environment()):
            spec.loader.exec_module(module)
        _private_metrics(module)
        return module

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the handler in a free execution environment (waiting for one if all are busy)."""
        idle, module = self._checkout()  # a reload replaces the pool: back where it came from
        try:
            return self._invoke_in(module, event)
        finally:
            idle.put(module)

    def _invoke_in(self, module: ModuleType, event: dict[str, Any]) -> Any:
        context = LambdaContext(self.name, self.memory_mb, self.timeout_s, self.region)
        with sandbox(self.environment()):
            with self._counts:
                self.invocations += 1
                self.running += 1
                self.peak_running = max(self.peak_running, self.running)
            started = time.perf_counter()
            try:
                return module.lambda_handler(event, context)
            finally:
                records = len(event.get("Records", []))
                with self._counts:
                    self.running -= 1
                    self.durations.append((records, time.perf_counter() - started))

    @contextlib.contextmanager
    def reconfigured(self, **overrides: str) -> Iterator[LocalFunction]:
        """Run with some environment variables changed (a new deployment), then restore."""
        original = dict(self._env)
        self._env.update(overrides)
        self._load_all()
        try:
            yield self
        finally:
            self._env = original
            self._load_all()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A received SQS message in the shape Lambda gives the handler."""
    attributes = {
        key: value
        for key, value in (message.get("Attributes") or {}).items()
        if key
        in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "MessageGroupId",
            "MessageDeduplicationId",
            "SequenceNumber",
            "AWSTraceHeader",
        )
    }
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": (
                base64.b64encode(value["BinaryValue"]).decode() if "BinaryValue" in value else None
            ),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType", "String"),
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or _md5(message["Body"]),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def kinesis_record(
    record: dict[str, Any], stream_arn: str, shard_id: str, region: str
) -> dict[str, Any]:
    """A Kinesis record (as GetRecords returns it) in the shape Lambda gives the handler."""
    arrival = record.get("ApproximateArrivalTimestamp")
    data = record["Data"]
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.get("PartitionKey", ""),
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode(),
            "approximateArrivalTimestamp": arrival.timestamp() if arrival else time.time(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/doorman-analyze",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def failed_ids(response: Any, all_ids: list[str]) -> set[str]:
    """The partial-batch response contract: missing or malformed means all failed."""
    if not isinstance(response, dict):
        return set()
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    ids = {str(f.get("itemIdentifier", "")) for f in failures if isinstance(f, dict)}
    if "" in ids or not ids.issubset(all_ids):
        return set(all_ids)
    return ids


@dataclass
class QueueSource:
    function: LocalFunction
    queue_url: str
    queue_arn: str
    batch_size: int
    visibility_timeout: int
    received: int = 0
    succeeded: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Schedule:
    """An EventBridge schedule rule: invoke `function` every `every_seconds`."""

    function: LocalFunction
    every_seconds: float


def scheduled_event(region: str) -> dict[str, Any]:
    """The event an EventBridge schedule rule delivers to its Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [],
        "detail": {},
    }


@dataclass
class _InFlight:
    source: QueueSource
    receipts: list[dict[str, str]]
    extended_at: float = field(default_factory=time.monotonic)


class Router:
    def __init__(
        self,
        sqs: Any,
        sources: list[QueueSource],
        *,
        region: str,
        stream: KinesisSource | None = None,
        schedules: list[Schedule] | None = None,
        wait_seconds: int = 1,
    ) -> None:
        self.sqs = sqs
        self.sources = sources
        self.schedules = schedules or []
        self.region = region
        self.stream = stream
        self.wait_seconds = wait_seconds
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._in_flight: dict[int, _InFlight] = {}
        self._next_batch = 0
        self.errors: list[str] = []

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> Router:
        loops: list[tuple[Callable[[], None], str]] = [
            (functools.partial(self._poll_loop, s), f"router-{s.function.package}-{n}")
            for s in self.sources
            for n in range(s.function.concurrency)
        ]
        loops.append((self._keep_invisible_loop, "router-visibility"))
        if self.stream:
            loops.append((self._stream_loop, "router-stream"))
        loops += [
            (functools.partial(self._schedule_loop, s), f"router-schedule-{s.function.package}")
            for s in self.schedules
        ]
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> list[str]:
        """Stop polling and give the invocations under way `grace` seconds to finish. The
        records of any still running are handed back to their queues (visible at once), so
        a restart takes them up again; returns their message ids."""
        self._stop.set()
        deadline = time.monotonic() + grace
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        handed_back = self._hand_back_unfinished()
        self._threads.clear()
        return handed_back

    def _hand_back_unfinished(self) -> list[str]:
        with self._lock:
            unfinished = list(self._in_flight.values())
        handed_back: list[str] = []
        for batch in unfinished:
            entries = [{**r, "VisibilityTimeout": 0} for r in batch.receipts]
            try:
                self.sqs.change_message_visibility_batch(
                    QueueUrl=batch.source.queue_url, Entries=entries
                )
            except Exception:  # they come back after their visibility timeout instead
                log.warning("router: could not hand back %d records", len(entries))
            handed_back += [r["Id"] for r in batch.receipts]
        if handed_back:
            log.warning("router: %d records still being handled were handed back to their "
                        "queues", len(handed_back))  # fmt: skip
        return handed_back

    def __enter__(self) -> Router:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- SQS ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hold polling (after the batches in flight) so records can pile up into one batch."""
        self._running.clear()
        try:
            time.sleep(self.wait_seconds + 0.2)  # let the long polls under way return
            while self._in_flight:
                time.sleep(0.05)
            yield
        finally:
            self._running.set()

    def _poll_loop(self, source: QueueSource) -> None:
        while not self._stop.is_set():
            if not self._running.wait(0.2):
                continue
            try:
                self.poll_once(source)
            except Exception as exc:  # keep routing; the error is visible in `errors`
                if self._stop.is_set():  # an invocation that outlived `stop`'s grace: its
                    # records were handed back, and come again after a restart
                    log.info("router: %s after the stop: %r", source.function.name, exc)
                    return
                log.exception("router: polling %s failed", source.queue_url)
                self.errors.append(f"{source.function.package}: {exc!r}")
                self._stop.wait(1.0)

    def _schedule_loop(self, schedule: Schedule) -> None:
        """Like an EventBridge rule: the first run one period after start, then one per
        period; a failed run is logged and not retried (the next one comes anyway)."""
        while not self._stop.wait(schedule.every_seconds):
            if not self._running.is_set():
                continue
            try:
                schedule.function.invoke(scheduled_event(self.region))
            except Exception as exc:
                log.exception("router: scheduled %s failed", schedule.function.package)
                self.errors.append(f"{schedule.function.package}: {exc!r}")

    def poll_once(self, source: QueueSource) -> int:
        """Receive one batch, invoke the function, delete what succeeded."""
        messages = self.sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=source.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        receipts = [{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages]
        batch = self._track(source, receipts)
        try:
            event = {"Records": [sqs_record(m, source.queue_arn, self.region) for m in messages]}
            ids = [m["MessageId"] for m in messages]
            try:
                failed = failed_ids(source.function.invoke(event), ids)
            except Exception as exc:  # the invocation failed: the whole batch comes back
                log.warning("router: %s raised %r", source.function.name, exc)
                self.errors.append(f"{source.function.package}: {exc!r}")
                failed = set(ids)
            done = [r for r in receipts if r["Id"] not in failed]
            if done:
                self.sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=done)
            with self._lock:
                source.received += len(messages)
                source.succeeded += len(done)
                source.failed += len(failed)
        finally:
            self._untrack(batch)
        return len(messages)

    def _track(self, source: QueueSource, receipts: list[dict[str, str]]) -> int:
        with self._lock:
            self._next_batch += 1
            self._in_flight[self._next_batch] = _InFlight(source, receipts)
            return self._next_batch

    def _untrack(self, batch: int) -> None:
        with self._lock:
            self._in_flight.pop(batch, None)

    def _keep_invisible_loop(self) -> None:
        """Extend the visibility of batches still being handled (or waiting their turn)."""
        while not self._stop.wait(0.5):
            with self._lock:
                due = [
                    b
                    for b in self._in_flight.values()
                    if time.monotonic() - b.extended_at > b.source.visibility_timeout / 2
                ]
            for batch in due:
                entries = [
                    {**r, "VisibilityTimeout": batch.source.visibility_timeout}
                    for r in batch.receipts
                ]
                with contextlib.suppress(Exception):
                    self.sqs.change_message_visibility_batch(
                        QueueUrl=batch.source.queue_url, Entries=entries
                    )
                batch.extended_at = time.monotonic()

    # ---- waiting -----------------------------------------------------------------------

    def idle(self) -> bool:
        with self._lock:
            if self._in_flight:
                return False
        for source in self.sources:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=source.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            if any(int(value) for value in attributes.values()):
                return False
        return self.stream is None or self.stream.idle()

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every queue is empty and nothing is in flight (twice in a row)."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"router did not drain in {timeout:.0f} s: {self.status()}")
            quiet = quiet + 1 if self.idle() else 0
            time.sleep(0.1)

    def status(self) -> dict[str, Any]:
        return {
            s.function.package: {
                "received": s.received,
                "succeeded": s.succeeded,
                "failed": s.failed,
                "invocations": s.function.invocations,
            }
            for s in self.sources
        }

    # ---- Kinesis -----------------------------------------------------------------------

    def _stream_loop(self) -> None:
        assert self.stream
        while not self._stop.is_set():
            try:
                if not self.stream.poll_once():
                    self._stop.wait(0.2)
            except Exception as exc:
                log.exception("router: stream polling failed")
                self.errors.append(f"stream: {exc!r}")
                self._stop.wait(1.0)


class KinesisSource:
    """analyze as a Kinesis consumer: batches from one shard, bounded retries from the first
    failed record, then the failed records' metadata to an on-failure SQS queue."""

    def __init__(
        self,
        kinesis: Any,
        sqs: Any,
        function: LocalFunction,
        *,
        stream_name: str,
        failure_queue_url: str,
        region: str,
        batch_size: int = 50,
        retry_attempts: int = 3,
    ) -> None:
        self.kinesis = kinesis
        self.sqs = sqs
        self.function = function
        self.region = region
        self.batch_size = batch_size
        self.retry_attempts = retry_attempts
        self.failure_queue_url = failure_queue_url
        description = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]
        self.stream_arn = description["StreamARN"]
        self.shard_id = description["Shards"][0]["ShardId"]
        self._iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=self.shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self._behind = True
        self._busy = False
        self.delivered = 0
        self.sent_to_failure_queue = 0

    def idle(self) -> bool:
        """Nothing being delivered, and nothing on the shard that the next poll would read
        (a record put just after the last poll would otherwise look like a drained stream)."""
        if self._busy or self._behind:
            return False
        peek = self.kinesis.get_records(ShardIterator=self._iterator, Limit=1)
        return not peek.get("Records")

    def poll_once(self) -> int:
        self._busy = True
        try:
            response = self.kinesis.get_records(ShardIterator=self._iterator, Limit=self.batch_size)
            self._iterator = response["NextShardIterator"]
            records = response.get("Records", [])
            self._behind = bool(records) or response.get("MillisBehindLatest", 0) > 0
            if records:
                self.deliver(records)
            return len(records)
        finally:
            self._busy = False

    def deliver(self, records: list[dict[str, Any]]) -> None:
        pending = records
        for _attempt in range(self.retry_attempts + 1):
            event = {
                "Records": [
                    kinesis_record(r, self.stream_arn, self.shard_id, self.region) for r in pending
                ]
            }
            sequence = [r["SequenceNumber"] for r in pending]
            try:
                failed = failed_ids(self.function.invoke(event), sequence)
            except Exception as exc:
                log.warning("router: %s raised %r on a stream batch", self.function.name, exc)
                failed = set(sequence)
            if not failed:
                self.delivered += len(pending)
                return
            first = min(sequence.index(s) for s in failed)
            self.delivered += first
            pending = pending[first:]
        self.sqs.send_message(
            QueueUrl=self.failure_queue_url,
            MessageBody=json.dumps(
                {
                    "requestContext": {"condition": "RetryAttemptsExhausted"},
                    "KinesisBatchInfo": {
                        "shardId": self.shard_id,
                        "startSequenceNumber": pending[0]["SequenceNumber"],
                        "endSequenceNumber": pending[-1]["SequenceNumber"],
                        "batchSize": len(pending),
                        "streamArn": self.stream_arn,
                    },
                }
            ),
        )
        self.sent_to_failure_queue += len(pending)
