"""A stand-in for Kinesis Video Streams' archive, which moto lacks: GetImages over HTTP.

Frames are recorded per stream with their producer timestamps (what a camera pushes with
PutMedia); GetImages answers as KVS documents it
(https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetImages.html): one
image per SamplingInterval from StartTimestamp through EndTimestamp, each the newest frame
recorded at or before that moment, or Error NO_MEDIA when nothing was recorded in the
`frame_gap` before it; at most 300 s per request (else InvalidArgumentException), paginated
by MaxResults (default 25, at most 100) and NextToken. The request is checked against
botocore's model of the operation before it is answered.
"""

from __future__ import annotations

import base64
import bisect
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.model import Shape
from botocore.validate import validate_parameters

MAX_RANGE = timedelta(seconds=300)
MIN_INTERVAL_MS = 200
DEFAULT_PAGE = 25
MAX_PAGE = 100


def _request_shape() -> Shape:
    shape = (
        botocore.session.get_session()
        .get_service_model("kinesis-video-archived-media")
        .operation_model("GetImages")
        .input_shape
    )
    assert shape is not None  # GetImages takes a request body
    return shape


_REQUEST_SHAPE = _request_shape()


class ArchiveError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


@dataclass
class _Recording:
    times: list[float] = field(default_factory=list)  # epoch seconds, sorted
    jpegs: list[bytes] = field(default_factory=list)


class SimulatedArchive:
    """Recorded frames per stream, answered as GetImages would."""

    def __init__(self, frame_gap: timedelta = timedelta(seconds=1)) -> None:
        self._recordings: dict[str, _Recording] = {}
        self._frame_gap = frame_gap.total_seconds()
        self._lock = threading.Lock()

    def record(self, stream_name: str, produced_at: datetime, jpeg: bytes) -> None:
        moment = produced_at.timestamp()
        with self._lock:
            recording = self._recordings.setdefault(stream_name, _Recording())
            index = bisect.bisect_right(recording.times, moment)
            recording.times.insert(index, moment)
            recording.jpegs.insert(index, jpeg)

    def get_images(self, request: dict[str, Any]) -> dict[str, Any]:
        _validate(request)
        stream_name = request.get("StreamName") or str(request.get("StreamARN", "")).split("/")[1]
        with self._lock:
            recording = self._recordings.get(stream_name)
            if recording is None:
                raise ArchiveError(
                    "ResourceNotFoundException", f"stream {stream_name} not found", 404
                )
            moments = _sample_times(request)
            page = min(int(request.get("MaxResults") or DEFAULT_PAGE), MAX_PAGE)
            first = int(base64.b64decode(request["NextToken"])) if request.get("NextToken") else 0
            images = [self._image(recording, moment) for moment in moments[first : first + page]]
        response: dict[str, Any] = {"Images": images}
        if first + page < len(moments):
            response["NextToken"] = base64.b64encode(str(first + page).encode()).decode()
        return response

    def _image(self, recording: _Recording, moment: float) -> dict[str, Any]:
        index = bisect.bisect_right(recording.times, moment) - 1
        if index < 0 or moment - recording.times[index] > self._frame_gap:
            return {"TimeStamp": moment, "Error": "NO_MEDIA"}
        content = base64.b64encode(recording.jpegs[index]).decode()
        return {"TimeStamp": moment, "ImageContent": content}


def _validate(request: dict[str, Any]) -> None:
    """botocore's own checks (names, types, enums, ranges), then GetImages' documented rules."""
    shaped = {
        **request,
        "StartTimestamp": _time(request.get("StartTimestamp")),
        "EndTimestamp": _time(request.get("EndTimestamp")),
    }
    try:
        validate_parameters(shaped, _REQUEST_SHAPE)
    except ParamValidationError as exc:
        raise ArchiveError("InvalidArgumentException", str(exc)) from exc
    if not (request.get("StreamName") or request.get("StreamARN")):
        raise ArchiveError("InvalidArgumentException", "StreamName or StreamARN is required")
    if int(request["SamplingInterval"]) < MIN_INTERVAL_MS:
        raise ArchiveError("InvalidArgumentException", "SamplingInterval is at least 200 ms")
    span = shaped["EndTimestamp"] - shaped["StartTimestamp"]
    if span < timedelta(0) or span > MAX_RANGE:
        raise ArchiveError(
            "InvalidArgumentException", "EndTimestamp must lie within 300 s after StartTimestamp"
        )


def _time(value: Any) -> datetime | Any:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else value


def _sample_times(request: dict[str, Any]) -> list[float]:
    start, end = float(request["StartTimestamp"]), float(request["EndTimestamp"])
    step = int(request["SamplingInterval"]) / 1000
    count = int((end - start) // step) + 1
    return [round(start + n * step, 3) for n in range(count)]


class _Handler(BaseHTTPRequestHandler):
    archive: SimulatedArchive

    def do_POST(self) -> None:
        try:
            if self.path != "/getImages":
                raise ArchiveError("ResourceNotFoundException", f"no operation at {self.path}", 404)
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            body, status = self.archive.get_images(request), 200
        except ArchiveError as exc:
            body, status = {"__type": exc.code, "message": str(exc)}, exc.status
        except (ValueError, KeyError, IndexError) as exc:
            body, status = {"__type": "InvalidArgumentException", "message": str(exc)}, 400
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status != 200:
            self.send_header("x-amzn-ErrorType", body["__type"])
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ArchiveServer:
    """`archive` served on 127.0.0.1 at `url` until `stop()`."""

    def __init__(self, archive: SimulatedArchive, port: int = 0) -> None:
        handler = type("ArchiveHandler", (_Handler,), {"archive": archive})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ArchiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
