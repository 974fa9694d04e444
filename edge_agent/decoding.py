"""Keyframe-gated decoding (PyAV): while nothing moves, decode only the keyframes.

A camera's H.264/H.265 stream has a keyframe every 1-4 s; the frames between them are
cheap to demux but not to decode. While the pipeline says the scene is quiet, only keyframe
packets reach the decoder (with FFmpeg's `skip_frame = NONKEY`), and the motion gate runs
on those. When a keyframe shows motion, the pipeline calls `follow(busy=True)` before the
next packet is read, so decoding every frame resumes with the packet right after that
keyframe: no frame after it is lost. `follow(busy=False)` (after the motion gap) goes back
to keyframes only.

- B-frames: a keyframe may come out of the decoder only after later packets; in keyframe
  mode the decoder is drained after each keyframe. Switching to every frame then decodes
  that keyframe again (its packet is kept) and drops frames shown at or before it.
- Long keyframe intervals (more than `max_keyframe_interval_seconds`) would delay motion
  by as much; such streams, and streams without keyframe flags, are decoded in full, and
  the log says so.
- `decode = "full"` decodes every frame always (USB cameras, MJPEG, or to compare).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast

import av
import av.container
import av.video.codeccontext
import av.video.frame
import av.video.stream
import cv2
import numpy as np

from edge_agent.config import CaptureConfig
from edge_agent.sources import Backoff, HandOverQueue, SourceError, SourceStats

log = logging.getLogger(__name__)

DecodeMode = Literal["keyframes", "full"]
Y_PLANE_FORMATS = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12")
I420_FORMATS = ("yuv420p", "yuvj420p")


@dataclass(eq=False)
class DecodedFrame:
    """One decoded picture; grey is its luma plane (no conversion), BGR is made on use."""

    index: int
    t: float
    picture: av.video.frame.VideoFrame
    keyframe: bool = False

    @cached_property
    def gray(self) -> np.ndarray:
        picture = self.picture
        if picture.format.name not in Y_PLANE_FORMATS:
            return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)
        plane = picture.planes[0]
        buffer = cast(Any, plane)  # a VideoPlane exposes the buffer protocol
        rows = np.frombuffer(buffer, np.uint8).reshape(picture.height, plane.line_size)
        return rows[:, : picture.width]

    @cached_property
    def bgr(self) -> np.ndarray:
        picture = self.picture
        if picture.format.name in I420_FORMATS and picture.width % 2 == 0:
            # OpenCV's SIMD conversion is several times faster than swscale's.
            return cv2.cvtColor(picture.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        return picture.to_ndarray(format="bgr24")

    @cached_property
    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2RGB)


@dataclass
class GateStats:
    packets: int = 0  # video frames demuxed (decoded or not)
    decoded: int = 0  # pictures the decoder produced
    skipped: int = 0  # packets never decoded (between keyframes while quiet)
    keyframes: int = 0
    redecoded: int = 0  # keyframes decoded twice when switching to every frame
    switches_to_full: int = 0
    switches_to_keyframes: int = 0


class KeyframeGate:
    """Decodes one video stream's packets: every frame, or keyframes only while quiet.

    One decoder at a time, made anew at each switch (so only one holds picture buffers):
    for keyframes alone, one that skips the deblocking filter (the motion gate blurs a
    320 px copy anyway; about 6% less work per 1080p keyframe); for every frame, a full
    one, which first decodes the last keyframe again so the frames after it rest on a
    faithful reference.
    """

    def __init__(
        self,
        stream: av.video.stream.VideoStream,
        mode: DecodeMode = "keyframes",
        max_keyframe_interval_seconds: float = 4.0,
        name: str = "video",
    ) -> None:
        self.name = name
        self._template: av.video.codeccontext.VideoCodecContext = stream.codec_context
        self.time_base: Fraction = stream.time_base or Fraction(1, 90_000)
        self.max_interval = max_keyframe_interval_seconds
        self.stats = GateStats()
        self.gated = mode == "keyframes"  # False for good once a stream cannot be gated
        self.every_frame = not self.gated
        self.codec = self._template
        if self.gated:
            self.codec = new_decoder(self._template, keyframes_only=True)
        else:  # never gated: the stream's own decoder, as it was opened
            self.codec.thread_count = 1
        self._last_key: av.Packet | None = None
        self._last_key_shown = False  # the last keyframe went out as a picture
        self._last_key_seconds: float | None = None
        self._first_seconds: float | None = None
        self._shown_up_to: int | None = None  # pts already handed out; later ones only

    def decode(self, packet: av.Packet) -> list[av.video.frame.VideoFrame]:
        """The pictures this packet completes (none for a skipped packet)."""
        if not packet.size:
            return self._drain(self.codec) if self.every_frame else []
        self.stats.packets += 1
        seconds = self._seconds(packet)
        if packet.is_keyframe:
            self._keyframe_seen(packet, seconds)
            if not self.gated and not self.every_frame:  # gating was given up: from here
                self._every_frame_from_here()
        elif self.gated and not self.every_frame:
            self._check_keyframes_arrive(seconds)
        if not self.every_frame:
            if not packet.is_keyframe:
                return self._skip()
            pictures = self._decode_keyframe(packet)
            self._last_key_shown = bool(pictures)
            return pictures
        return self._shown_after(self._send(self.codec, packet))

    def follow(self, busy: bool) -> None:
        """Decode every frame while the scene is busy; only keyframes once it is quiet."""
        if not self.gated or busy == self.every_frame:
            return
        if busy:
            self._to_every_frame()
        else:
            self._to_keyframes()

    def flush(self) -> list[av.video.frame.VideoFrame]:
        """What the decoder still holds at the end of the stream."""
        return self._drain(self.codec) if self.every_frame else []

    # -- modes ----------------------------------------------------------------------------

    def _to_every_frame(self) -> None:
        """From the keyframe just handed out on: decode it again (dropping the picture,
        already shown) so every frame after it has its reference."""
        self.every_frame = True
        self.stats.switches_to_full += 1
        self.codec = new_decoder(self._template, keyframes_only=False)
        key = self._last_key
        if key is None or not self._last_key_shown:
            return
        self._shown_up_to = key.pts
        self.stats.redecoded += 1
        self._shown_after(self._send(self.codec, key))

    def _to_keyframes(self) -> None:
        self.every_frame = False
        self.stats.switches_to_keyframes += 1
        self.codec = new_decoder(self._template, keyframes_only=True)

    def _stop_gating(self, reason: str) -> None:
        log.warning(
            "keyframe gating off for this stream; decoding every frame",
            extra={"source": self.name, "reason": reason},
        )
        self.gated = False

    def _every_frame_from_here(self) -> None:
        """Decode every frame from this packet on (a keyframe, or a stream without flags)."""
        self.every_frame = True
        self.stats.switches_to_full += 1
        self.codec = new_decoder(self._template, keyframes_only=False)
        self._shown_up_to = None

    # -- decoding -------------------------------------------------------------------------

    def _decode_keyframe(self, packet: av.Packet) -> list[av.video.frame.VideoFrame]:
        codec = self.codec
        pictures = self._send(codec, packet)
        if not pictures:  # a decoder with reordering delay holds it: drain
            pictures = self._drain(codec)
            codec.flush_buffers()
        return pictures

    def _send(
        self, codec: av.video.codeccontext.VideoCodecContext, packet: av.Packet
    ) -> list[av.video.frame.VideoFrame]:
        try:
            pictures = codec.decode(packet)
        except av.error.InvalidDataError as exc:
            log.debug("undecodable packet", extra={"source": self.name, "error": str(exc)})
            return []
        self.stats.decoded += len(pictures)
        return pictures

    def _drain(
        self, codec: av.video.codeccontext.VideoCodecContext
    ) -> list[av.video.frame.VideoFrame]:
        try:
            pictures = codec.decode(None)
        except av.error.EOFError:
            pictures = []
        self.stats.decoded += len(pictures)
        return pictures

    def _skip(self) -> list[av.video.frame.VideoFrame]:
        self.stats.skipped += 1
        return []

    def _shown_after(
        self, pictures: list[av.video.frame.VideoFrame]
    ) -> list[av.video.frame.VideoFrame]:
        """Drop pictures already handed out (the re-decoded keyframe) or shown before it."""
        limit = self._shown_up_to
        if limit is None:
            return pictures
        return [p for p in pictures if p.pts is None or p.pts > limit]

    # -- keyframe bookkeeping ---------------------------------------------------------------

    def _seconds(self, packet: av.Packet) -> float:
        stamp = packet.pts if packet.pts is not None else packet.dts
        seconds = float(stamp * self.time_base) if stamp is not None else 0.0
        if self._first_seconds is None:
            self._first_seconds = seconds
        return seconds

    def _keyframe_seen(self, packet: av.Packet, seconds: float) -> None:
        self.stats.keyframes += 1
        previous, self._last_key_seconds, self._last_key = self._last_key_seconds, seconds, packet
        self._last_key_shown = False
        if self.gated and previous is not None and seconds - previous > self.max_interval:
            self._stop_gating(
                f"keyframe interval {seconds - previous:.1f} s > "
                f"capture.max_keyframe_interval_seconds ({self.max_interval:g} s)"
            )

    def _check_keyframes_arrive(self, seconds: float) -> None:
        """Too long without a keyframe: stop gating (from the next keyframe, if any comes)."""
        since = self._last_key_seconds
        start = since if since is not None else (self._first_seconds or 0.0)
        if seconds - start <= self.max_interval:
            return
        if since is None:
            self._stop_gating("no keyframe flags")
            self._every_frame_from_here()
        else:
            self._stop_gating(
                f"no keyframe for {seconds - start:.1f} s "
                f"(capture.max_keyframe_interval_seconds = {self.max_interval:g} s)"
            )


def new_decoder(
    template: av.video.codeccontext.VideoCodecContext, keyframes_only: bool
) -> av.video.codeccontext.VideoCodecContext:
    """A decoder of the stream `template` belongs to: one thread (one core per camera;
    frame threads would also delay output); for keyframes alone, without deblocking."""
    codec = av.CodecContext.create(template.name, "r")
    assert isinstance(codec, av.video.codeccontext.VideoCodecContext)
    if template.extradata:
        codec.extradata = template.extradata
    codec.width, codec.height = template.width, template.height
    codec.thread_count = 1
    if keyframes_only:
        codec.options = {"skip_loop_filter": "all"}
        codec.skip_frame = "NONKEY"
    return codec


class GatedFileSource:
    """Every frame of a video file through a KeyframeGate; `t` = file start + PTS.

    `stats.frames` counts the pictures handed out, `stats.skipped` the frames never decoded.
    """

    live = False

    def __init__(
        self,
        path: Path,
        mode: DecodeMode = "keyframes",
        max_keyframe_interval_seconds: float = 4.0,
        start_epoch: float | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such video file")
        try:
            self._container = av.open(str(self.path))
        except av.error.FFmpegError as exc:
            raise SourceError(f"{self.path}: cannot open as video ({exc})") from None
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{self.path}: no video stream")
        stream = self._container.streams.video[0]
        self.start_epoch = self.path.stat().st_mtime if start_epoch is None else start_epoch
        self.fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        self.total_frames: int | None = stream.frames or None
        self.gate = KeyframeGate(stream, mode, max_keyframe_interval_seconds, str(self.path))
        self.stats = SourceStats()
        self._clock = StreamClock(
            self.gate.time_base, self.fps, self.start_epoch, stream.start_time or 0
        )
        self._packets: Iterator[av.Packet] = self._container.demux(stream)
        self._pending: deque[DecodedFrame] = deque()
        self._done = False

    def read(self) -> DecodedFrame | None:
        while not self._pending and not self._done:
            self._pending.extend(self._next_pictures())
        if not self._pending:
            return None
        self.stats.frames += 1
        return self._pending.popleft()

    def follow(self, busy: bool) -> None:
        self.gate.follow(busy)

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._container.close()

    def _next_pictures(self) -> list[DecodedFrame]:
        try:
            packet = next(self._packets)
        except (StopIteration, av.error.FFmpegError):
            self._pending.extend(self._clock.frames(self.gate.flush()))
            self._finish()
            return []
        before = self.gate.stats.skipped
        pictures = self.gate.decode(packet)
        self.stats.skipped += self.gate.stats.skipped - before
        return self._clock.frames(pictures)

    def _finish(self) -> None:
        # Frames the container announced that never came out (truncated or broken packets).
        announced = self.total_frames
        seen = self.stats.frames + len(self._pending) + self.stats.skipped
        if announced is not None and seen < announced:
            log.warning(
                "video ended early", extra={"path": str(self.path), "missing": announced - seen}
            )
            self.stats.corrupt += announced - seen
        self.close()


class StreamClock:
    """Frame numbers and epoch times from presentation timestamps."""

    def __init__(
        self,
        time_base: Fraction,
        fps: float,
        origin_epoch: float,
        first_pts: int | None = None,
        first_index: int = 0,
    ) -> None:
        self.time_base = time_base
        self.fps = fps
        self.origin_epoch = origin_epoch
        self.first_index = first_index  # a reconnected stream numbers on from the last one
        self.next_index = first_index
        self._first_pts = first_pts  # None: the first picture's (live streams)
        self._count = 0

    def frames(self, pictures: list[av.video.frame.VideoFrame]) -> list[DecodedFrame]:
        return [self.frame(picture) for picture in pictures]

    def frame(self, picture: av.video.frame.VideoFrame) -> DecodedFrame:
        self._count += 1
        pts = picture.pts
        if pts is None:
            index = self._count - 1
            seconds = index / self.fps if self.fps else 0.0
        else:
            if self._first_pts is None:
                self._first_pts = pts
            seconds = float((pts - self._first_pts) * self.time_base)
            index = round(seconds * self.fps) if self.fps else self._count - 1
        index = max(self.first_index + index, self.next_index)
        self.next_index = index + 1
        return DecodedFrame(index, self.origin_epoch + seconds, picture, picture.key_frame)


@dataclass
class _Connection:
    """One open stream: its container (closed by the reader of its last packet) and gate."""

    container: av.container.InputContainer
    gate: KeyframeGate
    clock: StreamClock
    closed: bool = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.container.close()


@dataclass
class _Item:
    connection: _Connection
    packet: av.Packet | None  # None: the connection ended


class PacketQueue(HandOverQueue[_Item]):
    """Packets from the reader thread to the pipeline. When the pipeline falls behind by
    more than `size` packets, the oldest are dropped up to a keyframe, and after that only
    whole groups of pictures, so the decoder never sees a frame without its references."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._discarding = False

    def put(self, item: _Item) -> None:
        with self._ready:
            packet = item.packet
            if packet is not None and self._discarding:
                if not packet.is_keyframe:
                    self.dropped += 1
                    return
                self._discarding = False
            if packet is not None and len(self._items) >= self._size:
                self._drop_backlog()
                if self._discarding and not packet.is_keyframe:
                    self.dropped += 1
                    return
                self._discarding = False
            self._items.append(item)
            self._ready.notify()

    def _drop_backlog(self) -> None:
        """Drop every queued packet (keeping connection ends); wait for the next keyframe."""
        kept = deque(item for item in self._items if item.packet is None)
        self.dropped += len(self._items) - len(kept)
        self._items = kept
        self._discarding = True


@dataclass
class LiveGateSettings:
    url: str
    name: str
    mode: DecodeMode
    max_keyframe_interval_seconds: float
    options: dict[str, str] = field(default_factory=dict)


class GatedLiveSource:
    """A network camera demuxed by a background thread that never gives up; the pipeline's
    thread decodes (all frames, or keyframes only while quiet). `t` is the wall clock at
    the stream's first packet plus presentation time."""

    live = True
    total_frames = None

    def __init__(
        self,
        settings: LiveGateSettings,
        config: CaptureConfig,
        clock: Callable[[], float] = time.time,
        opener: Callable[[LiveGateSettings, CaptureConfig], av.container.InputContainer]
        | None = None,
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.config = config
        self.stats = SourceStats()
        self.gate_stats: list[GateStats] = []
        self._clock = clock
        self._opener = opener or open_network_stream
        self._queue = PacketQueue(config.packet_queue_size)
        self._closed = threading.Event()
        self._backoff = Backoff(config.reconnect_initial_seconds, config.reconnect_max_seconds)
        self._pending: deque[DecodedFrame] = deque()
        self._current: _Connection | None = None
        self._thread = threading.Thread(target=self._run, name=f"source-{self.name}", daemon=True)
        self._thread.start()

    def read(self) -> DecodedFrame | None:
        """Next frame; blocks while the camera is away; None once closed."""
        while not self._closed.is_set():
            if self._pending:
                self.stats.frames += 1
                self.stats.dropped = self._queue.dropped
                return self._pending.popleft()
            item = self._queue.get(timeout=0.5)
            if item is not None:
                self._pending.extend(self._decode(item))
        return None

    def follow(self, busy: bool) -> None:
        if self._current is not None:
            self._current.gate.follow(busy)

    def close(self) -> None:
        self.interrupt()
        if threading.current_thread() is not self._thread:
            self._thread.join(self.config.stall_timeout_seconds + 2.0)
        while (item := self._queue.get(timeout=0)) is not None:
            item.connection.close()
        if self._current is not None:
            self._current.close()

    def interrupt(self) -> None:
        self._closed.set()
        self._queue.wake()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _decode(self, item: _Item) -> list[DecodedFrame]:
        connection, packet = item.connection, item.packet
        if connection is not self._current:
            previous = self._current
            if previous is not None:  # a reconnect: frame numbers go on after every frame
                # of the last stream, decoded or skipped
                seen = previous.clock.first_index + previous.gate.stats.packets
                base = max(previous.clock.next_index, seen)
                connection.clock.first_index = connection.clock.next_index = base
            self._current = connection
        if packet is None:
            pictures = connection.gate.flush()
            connection.close()
            return connection.clock.frames(pictures)
        before = connection.gate.stats.skipped
        pictures = connection.gate.decode(packet)
        self.stats.skipped += connection.gate.stats.skipped - before
        return connection.clock.frames(pictures)

    def _run(self) -> None:
        connected_once = False
        while not self._closed.is_set():
            connection = self._connect()
            if connection is None:
                self._wait_before_retry("cannot open")
                continue
            if connected_once:
                self.stats.reconnects += 1
            connected_once = True
            log.info("source connected", extra={"source": self.name})
            reason = self._pump(connection)
            self._queue.put(_Item(connection, None))
            if not self._closed.is_set():
                self._wait_before_retry(reason)

    def _connect(self) -> _Connection | None:
        try:
            container = self._opener(self.settings, self.config)
        except Exception as exc:  # a network or codec error is a retry, not a crash
            log.warning("source open failed", extra={"source": self.name, "error": str(exc)})
            return None
        if not container.streams.video:
            container.close()
            log.warning("source has no video stream", extra={"source": self.name})
            return None
        stream = container.streams.video[0]
        gate = KeyframeGate(
            stream, self.settings.mode, self.settings.max_keyframe_interval_seconds, self.name
        )
        self.gate_stats.append(gate.stats)
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        return _Connection(container, gate, StreamClock(gate.time_base, fps, self._clock()))

    def _pump(self, connection: _Connection) -> str:
        """Demux until the stream fails, stalls or the source is closed; say why it ended."""
        stream = connection.container.streams.video[0]
        try:
            for packet in connection.container.demux(stream):
                if self._closed.is_set():
                    return "closed"
                if packet.size:
                    self._backoff.reset()
                    self._queue.put(_Item(connection, packet))
        except av.error.ExitError:
            self.stats.stalls += 1
            return "stalled"
        except av.error.FFmpegError as exc:
            return f"stream lost ({type(exc).__name__})"
        return "stream ended"

    def _wait_before_retry(self, reason: str) -> None:
        delay = self._backoff.next_delay()
        log.warning(
            "source lost; reconnecting",
            extra={"source": self.name, "reason": reason, "retry_in_s": round(delay, 2)},
        )
        self._closed.wait(delay)


def open_network_stream(
    settings: LiveGateSettings, config: CaptureConfig
) -> av.container.InputContainer:
    """Open an RTSP/HTTP stream; the read timeout is the stall watchdog."""
    options = {"rtsp_transport": config.rtsp_transport, "analyzeduration": "500000"}
    if not settings.url.lower().startswith(("rtsp://", "rtsps://")):
        options.pop("rtsp_transport")
    return av.open(
        settings.url,
        options={**options, **settings.options},
        timeout=(config.open_timeout_seconds, config.stall_timeout_seconds),
    )
