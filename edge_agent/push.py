"""KVS push mode: a GStreamer pipeline into Kinesis Video Streams, and its supervisor.

`build_pipeline()` turns a source (RTSP URL, video file or V4L2 device) into a gst-launch-1.0
argv list ending in `kvssink`. AWS credentials never appear in that argv (anyone on the host
can read a process's argv) nor in the pipeline's environment: `KvsCredentialFile` keeps them
in a private file that kvssink's `credential-path` property names and that kvssink re-reads
before its credentials expire, and a background thread rewrites that file from the AWS
default chain before each expiry (role sessions last an hour; credentials handed over once
would stop PutMedia after that). `PipelineSupervisor` restarts the pipeline with exponential
backoff when it dies and turns SIGTERM/SIGINT into a clean stop.

A camera password inside an RTSP URL is the user's own argument and is passed through as
given; prefer a read-only camera account.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from botocore.credentials import Credentials

log = logging.getLogger(__name__)

GST_LAUNCH = "gst-launch-1.0"
GST_INSPECT = "gst-inspect-1.0"
KVS_SINK = "kvssink"
H264_AU_CAPS = "video/x-h264,stream-format=avc,alignment=au"

_STREAM_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9\-]*")
# kvssink properties that would carry a secret on the command line.
_SECRET_PROPERTY = re.compile(r"access-key|secret|session-token|token|password|passwd")
_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
# Removed from the pipeline's environment: kvssink prefers AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY from its environment to `credential-path`, and never refreshes them.
_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", *_SECRET_ENV, "AWS_CREDENTIAL_EXPIRATION")

KVSSINK_MISSING = """\
The GStreamer element 'kvssink' is not installed, so `doorman push` cannot send video to
Kinesis Video Streams. kvssink ships with the KVS C++ producer SDK, which must be built:

  sudo apt-get install build-essential cmake m4 git pkg-config libssl-dev \\
      libcurl4-openssl-dev liblog4cplus-dev libgstreamer1.0-dev \\
      libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base-apps \\
      gstreamer1.0-plugins-bad gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  git clone https://github.com/awslabs/amazon-kinesis-video-streams-producer-sdk-cpp.git
  cd amazon-kinesis-video-streams-producer-sdk-cpp && mkdir -p build && cd build
  cmake .. -DBUILD_GSTREAMER_PLUGIN=ON -DBUILD_DEPENDENCIES=OFF
  make -j"$(nproc)"
  export GST_PLUGIN_PATH="$PWD"   # the folder that holds libgstkvssink.so
  gst-inspect-1.0 kvssink          # must now describe the element

If gst-inspect cannot load the plugin, add the folders holding libKinesisVideoProducer.so
and libcproducer.so to LD_LIBRARY_PATH. Put these variables in the agent's environment
(e.g. the systemd unit). Without KVS, `doorman watch` (edge filtering + S3 upload) is the
default path and needs no kvssink."""

# Which Debian package provides the other elements we use, for a useful error.
_ELEMENT_PACKAGES = {
    "rtspsrc": "gstreamer1.0-plugins-good",
    "rtph264depay": "gstreamer1.0-plugins-good",
    "v4l2src": "gstreamer1.0-plugins-good",
    "h264parse": "gstreamer1.0-plugins-bad",
    "x264enc": "gstreamer1.0-plugins-ugly",
    "decodebin": "gstreamer1.0-plugins-base",
    "videoconvert": "gstreamer1.0-plugins-base",
}


class PushError(Exception):
    """A push that cannot start; the message tells the user what to do."""


class MissingElementError(PushError):
    pass


def _check_value(name: str, value: str) -> str:
    # gst-launch escapes spaces in each argv item itself; backslashes, double quotes and
    # control characters would be re-interpreted by its parser.
    if any(ch in value for ch in '\\"') or not value.isprintable():
        raise PushError(
            f"{name}={value!r}: backslashes, double quotes and control characters are not supported"
        )
    return f"{name}={value}"


def _sink_stage(
    sink: str, stream_name: str, region: str | None, properties: Mapping[str, str]
) -> list[str]:
    stage = [sink]
    if sink == KVS_SINK:
        if not _STREAM_NAME.fullmatch(stream_name):
            raise PushError(
                f"stream name {stream_name!r} is not a valid KVS stream name "
                "(1-256 of A-Z a-z 0-9 _ . -)"
            )
        if not region:
            raise PushError("no AWS region: pass --region or set AWS_REGION")
        stage += [_check_value("stream-name", stream_name), _check_value("aws-region", region)]
    elif sink == "fakesink":
        stage.append("sync=false")
    for name, value in properties.items():
        if not _PROPERTY_NAME.fullmatch(name):
            raise PushError(f"invalid sink property name {name!r}")
        if _SECRET_PROPERTY.search(name):
            raise PushError(
                f"sink property {name!r} would put a credential in the process list; "
                "credentials come from the environment / AWS default chain only"
            )
        stage.append(_check_value(name, str(value)))
    return stage


def _encode_stage(bitrate_kbps: int, keyframe_interval: int) -> list[str]:
    return [
        "videoconvert", "!",
        "video/x-raw,format=I420", "!",  # 8-bit 4:2:0: what KVS and browsers play
        "x264enc", "tune=zerolatency", "speed-preset=veryfast",
        f"bitrate={bitrate_kbps}", f"key-int-max={keyframe_interval}", "!",
        "h264parse",
    ]  # fmt: skip


def source_stages(
    source: str,
    *,
    realtime: bool = True,
    rtsp_transport: str = "tcp",
    rtsp_latency_ms: int = 200,
    bitrate_kbps: int = 2000,
    keyframe_interval: int = 50,
) -> list[str]:
    """The part of the pipeline that yields parsed H.264 from `source`."""
    if source.startswith(("rtsp://", "rtsps://")):
        if rtsp_transport not in ("tcp", "udp"):
            raise PushError(f"rtsp transport must be tcp or udp, got {rtsp_transport!r}")
        return [
            "rtspsrc", _check_value("location", source), _check_value("protocols", rtsp_transport),
            f"latency={rtsp_latency_ms}", "!",
            "rtph264depay", "!",
            "h264parse",
        ]  # fmt: skip
    if source.startswith("/dev/video"):
        encode = _encode_stage(bitrate_kbps, keyframe_interval)
        return ["v4l2src", _check_value("device", source), "!", *encode]
    path = Path(source)
    if "://" in source or not path.is_file():
        raise PushError(
            f"source {source!r} is neither an rtsp:// URL, a /dev/video device nor a readable file"
        )
    pace = ["identity", "sync=true", "!"] if realtime else []
    return [
        "filesrc", _check_value("location", str(path.resolve())), "!",
        "decodebin", "!",
        *pace,
        *_encode_stage(bitrate_kbps, keyframe_interval),
    ]  # fmt: skip


def build_pipeline(
    source: str,
    stream_name: str,
    *,
    region: str | None = None,
    sink: str = KVS_SINK,
    sink_properties: Mapping[str, str] | None = None,
    realtime: bool = True,
    extra_launch_args: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    **source_options: Any,
) -> list[str]:
    """The gst-launch-1.0 argv that pushes `source` to the KVS stream `stream_name`.

    `sink="fakesink"` swaps kvssink for a test sink. `-e` makes gst-launch send EOS on
    SIGINT, so kvssink flushes its last fragment before exiting.
    """
    argv = [
        GST_LAUNCH,
        "-e",
        *extra_launch_args,
        *source_stages(source, realtime=realtime, **source_options),
        "!",
        H264_AU_CAPS,
        "!",
        *_sink_stage(sink, stream_name, region, sink_properties or {}),
    ]
    assert_no_secrets(argv, os.environ if environ is None else environ)
    return argv


def assert_no_secrets(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Refuse an argv that contains the value of a secret environment variable."""
    for name in _SECRET_ENV:
        secret = environ.get(name, "")
        if len(secret) >= 8 and any(secret in item for item in argv):
            raise PushError(f"refusing to start: the value of {name} appears in the command line")


def pipeline_elements(argv: Sequence[str]) -> list[str]:
    """Element factory names used in a gst-launch argv (caps filters excluded), sink first:
    it is the one most likely to be missing."""
    elements: list[str] = []
    expect_element = True
    for item in argv[1:]:
        if item.startswith("-") and expect_element and not elements:
            continue
        if item == "!":
            expect_element = True
        elif expect_element:
            expect_element = False
            if "/" not in item and "=" not in item:
                elements.append(item)
    return elements[-1:] + elements[:-1]


def check_elements(elements: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    """Raise MissingElementError naming what to install when an element is not available."""
    if shutil.which(GST_LAUNCH) is None or shutil.which(GST_INSPECT) is None:
        raise MissingElementError(
            "GStreamer is not installed (gst-launch-1.0 / gst-inspect-1.0 not on PATH): "
            "sudo apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base "
            "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly"
        )
    for element in dict.fromkeys(elements):
        found = subprocess.run(
            [GST_INSPECT, "--exists", element],
            env=child_environment(None, env),  # no AWS credentials in any child's environment
            capture_output=True,
            check=False,
        )
        if found.returncode == 0:
            continue
        if element == KVS_SINK:
            raise MissingElementError(KVSSINK_MISSING)
        package = _ELEMENT_PACKAGES.get(element, "the GStreamer plugin that provides it")
        raise MissingElementError(
            f"the GStreamer element {element!r} is missing: sudo apt-get install {package}"
        )


def child_environment(region: str | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pipeline's environment: the region, and no AWS credentials.

    kvssink takes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from its environment before it
    looks at `credential-path`, and keeps environment credentials for its whole life
    (gstkvssink.cpp, `credential_is_static`, in
    https://github.com/awslabs/amazon-kinesis-video-streams-producer-sdk-cpp/blob/master/src/gstreamer/gstkvssink.cpp),
    so they are removed here; `KvsCredentialFile` hands kvssink refreshable ones instead.
    """
    env = dict(os.environ if base is None else base)
    for name in _CREDENTIAL_ENV:
        env.pop(name, None)
    if region:  # kvssink prefers AWS_DEFAULT_REGION to its aws-region property (same file)
        env["AWS_DEFAULT_REGION"] = region
        env["AWS_REGION"] = region
    return env


# -- credentials for kvssink ---------------------------------------------------------------


@dataclass(frozen=True)
class AwsCredentials:
    """One set of AWS credentials; `expires_at` is None for long-term keys."""

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None  # timezone-aware


CredentialSource = Callable[[], AwsCredentials]


class CredentialChain(Protocol):
    """What DefaultChainCredentials needs of a botocore session."""

    def get_credentials(self) -> Credentials | None: ...


class DefaultChainCredentials:
    """The AWS default chain (environment, profile, SSO, role, instance), refreshed by botocore.

    The chain is resolved once; each call then returns botocore's current credentials, which
    it renews itself when they are close to expiry (temporary credentials from a role, SSO,
    `credential_process` or an instance profile are `RefreshableCredentials`).
    """

    def __init__(self, session: CredentialChain | None = None) -> None:
        self._session = session
        self._credentials: Credentials | None = None

    def __call__(self) -> AwsCredentials:
        if self._credentials is None:
            if self._session is None:
                import botocore.session

                self._session = botocore.session.get_session()
            self._credentials = self._session.get_credentials()
            if self._credentials is None:
                raise PushError(
                    "no AWS credentials in the default chain: log in (`aws sso login`, "
                    "AWS_PROFILE) or give the agent a role"
                )
        frozen = self._credentials.get_frozen_credentials()  # refreshes when due
        if not (frozen.access_key and frozen.secret_key):
            raise PushError("the AWS default chain returned incomplete credentials")
        # botocore keeps the expiry of refreshable credentials in `_expiry_time` and has no
        # public accessor for it; read after get_frozen_credentials() so both match.
        expiry = getattr(self._credentials, "_expiry_time", None)
        return AwsCredentials(
            access_key=frozen.access_key,
            secret_key=frozen.secret_key,
            token=frozen.token or None,
            expires_at=expiry if isinstance(expiry, datetime) else None,
        )


def kvssink_credential_line(credentials: AwsCredentials, now: datetime) -> str:
    """The credential file kvssink's `credential-path` expects.

    The file holds `CREDENTIALS <access key> <secret key>` for long-term keys, or
    `CREDENTIALS <access key> <expiration YYYY-MM-DDTHH:MM:SSZ> <secret key> <session token>`
    for temporary ones, whitespace separated (readFileCredentials() in the KVS C producer's
    FileCredentialProvider.c, which kvssink's RotatingCredentialProvider uses:
    https://github.com/awslabs/amazon-kinesis-video-streams-producer-c/blob/master/src/source/Common/FileCredentialProvider.c;
    the timestamp is parsed at fixed offsets by convertTimestampToEpoch() in Util.c, and an
    expiration in the past is refused). A session token without a known expiry is given
    `ASSUMED_LIFETIME` from `now`; the refresher rewrites the file well before that.
    """
    values = [credentials.access_key, credentials.secret_key, credentials.token or ""]
    if any(any(ch.isspace() for ch in value) for value in values):
        raise PushError("AWS credentials contain whitespace; kvssink cannot read them")
    if not credentials.token:
        return f"CREDENTIALS {credentials.access_key} {credentials.secret_key}\n"
    expires_at = credentials.expires_at or now + ASSUMED_LIFETIME
    expiration = expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"CREDENTIALS {credentials.access_key} {expiration} "
        f"{credentials.secret_key} {credentials.token}\n"
    )


# kvssink re-reads its credential file when its credentials are within about 75 s of expiry
# (CREDENTIAL_FILE_READ_GRACE_PERIOD: 5 s + MIN_STREAMING_TOKEN_EXPIRATION_DURATION 30 s +
# STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD, in the C producer's Include.h), and at least
# every 40 minutes (MAX_ENFORCED_TOKEN_EXPIRATION_DURATION). The file must hold the next
# credentials by then: it is rewritten at half the remaining lifetime, and at the latest
# REFRESH_MARGIN before expiry. botocore itself renews temporary credentials 15 minutes
# (advisory) to 10 minutes (mandatory) before they expire.
REFRESH_MARGIN = timedelta(minutes=5)
ASSUMED_LIFETIME = timedelta(minutes=15)  # a session token whose expiry nobody told us
UNKNOWN_EXPIRY_RECHECK = timedelta(minutes=5)  # long-term keys: pick up a rotation
RETRY_AFTER_FAILURE = timedelta(seconds=30)
SHORTEST_WAIT = timedelta(seconds=1)


def seconds_until_refresh(
    expires_at: datetime | None,
    now: datetime,
    *,
    margin: timedelta = REFRESH_MARGIN,
    shortest: timedelta = SHORTEST_WAIT,
) -> float:
    """How long the credential file may stay as it is."""
    if expires_at is None:
        return UNKNOWN_EXPIRY_RECHECK.total_seconds()
    remaining = (expires_at - now).total_seconds()
    wait = min(remaining / 2, remaining - margin.total_seconds())
    return max(wait, shortest.total_seconds())


def _private_directory() -> Path:
    """A new 0700 directory, on the per-user tmpfs when there is one (nothing hits disk)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    parent = runtime if runtime and os.path.isdir(runtime) else None
    return Path(tempfile.mkdtemp(prefix="doorman-kvs-", dir=parent))  # mode 0700


class KvsCredentialFile:
    """The file kvssink's `credential-path` reads, kept fresh by a background thread.

    `start()` makes a private 0700 directory, writes the file (0600) and starts the thread;
    `close()` stops the thread and removes file and directory. Each write goes to a temp
    file in the same directory, then is renamed over the old one, so kvssink never reads a
    half-written file. Nothing credential-like is logged.
    """

    FILENAME = "credentials"

    def __init__(
        self,
        source: CredentialSource,
        *,
        directory: Path | None = None,
        margin: timedelta = REFRESH_MARGIN,
        shortest_wait: timedelta = SHORTEST_WAIT,
        retry_after: timedelta = RETRY_AFTER_FAILURE,
    ) -> None:
        self._source = source
        self._requested_directory = directory
        self._directory: Path | None = None
        self._margin = margin
        self._shortest_wait = shortest_wait
        self._retry_after = retry_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_access_key: str | None = None

    @property
    def path(self) -> Path:
        if self._directory is None:
            raise RuntimeError("KvsCredentialFile.start() has not been called")
        return self._directory / self.FILENAME

    def start(self) -> Path:
        """Write the first credentials (errors propagate) and start refreshing them."""
        if self._requested_directory is None:
            self._directory = _private_directory()
        else:
            self._requested_directory.mkdir(mode=0o700)
            self._directory = self._requested_directory
        try:
            credentials = self.refresh()
        except BaseException:
            self._remove()
            raise
        self._thread = threading.Thread(
            target=self._refresh_until_stopped,
            args=(self._delay(credentials),),
            name="kvs-credentials",
            daemon=True,
        )
        self._thread.start()
        log.info("kvssink credentials file: %s (rewritten before each expiry)", self.path)
        return self.path

    def refresh(self) -> AwsCredentials:
        """Fetch credentials from the source and replace the file atomically."""
        credentials = self._source()
        line = kvssink_credential_line(credentials, datetime.now(UTC))
        assert self._directory is not None
        descriptor, temporary = tempfile.mkstemp(dir=self._directory, prefix=".credentials-")
        try:  # mkstemp creates the file 0600
            with os.fdopen(descriptor, "w", encoding="ascii") as stream:
                stream.write(line)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        if credentials.access_key != self._last_access_key:
            expiry = credentials.expires_at.isoformat() if credentials.expires_at else "unknown"
            log.info("kvssink credentials written (expire %s)", expiry)
        self._last_access_key = credentials.access_key
        return credentials

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._remove()

    def __enter__(self) -> KvsCredentialFile:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _delay(self, credentials: AwsCredentials) -> float:
        return seconds_until_refresh(
            credentials.expires_at,
            datetime.now(UTC),
            margin=self._margin,
            shortest=self._shortest_wait,
        )

    def _refresh_until_stopped(self, delay: float) -> None:
        while not self._stop.wait(delay):
            try:
                delay = self._delay(self.refresh())
            except Exception as error:  # keep the old file; kvssink still has time
                delay = self._retry_after.total_seconds()
                log.warning(
                    "could not refresh the kvssink credentials (%s); retrying in %.0f s",
                    type(error).__name__,
                    delay,
                )

    def _remove(self) -> None:
        if self._directory is None or not self._directory.exists():
            return
        for leftover in self._directory.iterdir():
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        with contextlib.suppress(OSError):
            self._directory.rmdir()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: let the kernel stop the pipeline if the supervisor is killed with -9."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class PipelineSupervisor:
    """Run `argv`, restart it with exponential backoff when it dies, stop it on a signal.

    SIGTERM or SIGINT to the supervisor is passed on as `stop_signal` (SIGINT, which
    `gst-launch-1.0 -e` turns into EOS-then-exit); a child that has not exited after
    `grace` seconds gets SIGTERM, then SIGKILL. `run()` returns 0 after such a stop.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        env_factory: Callable[[], dict[str, str]] | None = None,
        restart_on_exit_0: bool = True,
        min_backoff: float = 1.0,
        max_backoff: float = 60.0,
        stable_after: float = 30.0,
        grace: float = 10.0,
        stop_signal: int = signal.SIGINT,
        max_restarts: int | None = None,
        stdout: IO[Any] | int | None = None,
        stderr: IO[Any] | int | None = None,
    ) -> None:
        self.argv = list(argv)
        self._env_factory = env_factory or (lambda: dict(os.environ if env is None else env))
        self.restart_on_exit_0 = restart_on_exit_0
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.grace = grace
        self.stop_signal = stop_signal
        self.max_restarts = max_restarts
        self._stdout, self._stderr = stdout, stderr
        self.starts = 0
        self.exit_codes: list[int] = []
        self.delays: list[float] = []
        self.child: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._stop_sent_at: float | None = None

    def stop(self, *_: Any) -> None:
        """Ask the child to finish; safe from a signal handler or another thread."""
        self._stop.set()
        child = self.child
        if child is not None and child.poll() is None and self._stop_sent_at is None:
            self._stop_sent_at = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(self.stop_signal)

    def run(self) -> int:
        failures = 0
        with self._signals_forwarded():
            while not self._stop.is_set():
                started = time.monotonic()
                self._spawn()
                code = self._wait()
                self.exit_codes.append(code)
                if self._stop.is_set():
                    break
                ran = time.monotonic() - started
                if code == 0 and not self.restart_on_exit_0:
                    log.info("pipeline finished")
                    return 0
                if self.max_restarts is not None and self.starts > self.max_restarts:
                    log.error("pipeline failed %d times; giving up", self.starts)
                    return code or 1
                failures = 1 if ran >= self.stable_after else failures + 1
                ceiling = min(self.max_backoff, self.min_backoff * 2 ** min(failures - 1, 32))
                delay = ceiling * random.uniform(0.5, 1.0)
                self.delays.append(delay)
                log.warning(
                    "pipeline exited with %s after %.1f s; restarting in %.1f s", code, ran, delay
                )
                if self._stop.wait(delay):
                    break
        log.info("pipeline stopped")
        return 0

    def _spawn(self) -> None:
        self._stop_sent_at = None
        self.child = subprocess.Popen(
            self.argv,
            env=self._env_factory(),
            stdout=self._stdout,
            stderr=self._stderr,
            start_new_session=True,  # a terminal's Ctrl-C reaches it once, through us
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.starts += 1
        log.info("pipeline started (pid %d, start %d)", self.child.pid, self.starts)
        if self._stop.is_set():  # a signal arrived while we were spawning
            self.stop()

    def _wait(self) -> int:
        assert self.child is not None
        while True:
            with contextlib.suppress(subprocess.TimeoutExpired):
                return self.child.wait(timeout=0.2)
            if self._stop.is_set() and self._stop_sent_at is None:
                self.stop()
            if self._stop_sent_at is not None:
                waited = time.monotonic() - self._stop_sent_at
                if waited > 2 * self.grace:
                    self.child.kill()
                elif waited > self.grace:
                    self.child.terminate()

    @contextlib.contextmanager
    def _signals_forwarded(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
