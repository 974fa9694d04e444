"""KeyframeGate on real H.264 from x264: keyframes only while quiet, every frame from the
keyframe that showed motion on (with and without B-frames), fallbacks for streams that
cannot be gated, and the file source's frame accounting."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from edge_agent.config import CaptureConfig
from edge_agent.decoding import DecodedFrame, GatedFileSource, KeyframeGate
from edge_agent.sources import SourceError, open_source
from scenes.scenarios import keyframe_args

FPS = 10
WIDTH, HEIGHT = 320, 240
FRAMES = 60


def _clip(path: Path, keyframe_seconds: float, b_frames: int) -> Path:
    """A square moving right and a frame counter in the corner, one picture per frame."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    argv = [
        ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray",
        "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "-", "-c:v", "libx264",
        "-preset", "veryfast", "-pix_fmt", "yuv420p",
        *keyframe_args(FPS, keyframe_seconds, b_frames), str(path),
    ]  # fmt: skip
    frames = []
    for index in range(FRAMES):
        frame = np.full((HEIGHT, WIDTH), 40, np.uint8)
        frame[100:140, index * 4 : index * 4 + 40] = 200
        frame[0:32, 0:32] = 60 + index * 3  # the frame number, readable after decoding
        frames.append(frame.tobytes())
    subprocess.run(argv, input=b"".join(frames), check=True)
    return path


def _number(picture: av.VideoFrame) -> int:
    luma = picture.to_ndarray(format="gray")[8:24, 8:24].mean()
    return round((float(luma) - 60) / 3)


def _play(path: Path, busy_from: float, quiet_from: float, **gate: object) -> list[int]:
    """Decode through a gate that is told busy from `busy_from` s on, quiet from `quiet_from`;
    return the frame numbers handed out, in order."""
    container = av.open(str(path))
    stream = container.streams.video[0]
    keyframes = KeyframeGate(stream, **gate)  # type: ignore[arg-type]
    shown = []
    for packet in container.demux(stream):
        for picture in keyframes.decode(packet):
            shown.append(_number(picture))
            seconds = float(picture.pts * stream.time_base)
            keyframes.follow(busy_from <= seconds < quiet_from)
    shown += [_number(picture) for picture in keyframes.flush()]
    container.close()
    return shown


@pytest.mark.parametrize("b_frames", [0, 2], ids=["no-b-frames", "b-frames"])
def test_quiet_decodes_keyframes_only_and_motion_resumes_at_that_keyframe(
    tmp_path: Path, b_frames: int
) -> None:
    clip = _clip(tmp_path / "clip.mp4", keyframe_seconds=1.0, b_frames=b_frames)
    shown = _play(clip, busy_from=2.0, quiet_from=3.45)
    # Keyframes at 0, 1 s; busy from the keyframe at 2 s: every frame up to the one that
    # found the scene quiet (3.5 s); then keyframes again (4 s, 5 s).
    assert shown == [0, 10, *range(20, 36), 40, 50]


def test_every_frame_mode_decodes_everything(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4", keyframe_seconds=2.0, b_frames=2)
    assert _play(clip, busy_from=99, quiet_from=99, mode="full") == list(range(FRAMES))


def test_a_long_keyframe_interval_falls_back_to_every_frame(tmp_path: Path, caplog) -> None:
    clip = _clip(tmp_path / "clip.mp4", keyframe_seconds=3.0, b_frames=0)
    with caplog.at_level(logging.WARNING, logger="edge_agent.decoding"):
        shown = _play(clip, busy_from=99, quiet_from=99, max_keyframe_interval_seconds=2.0)
    # Keyframe 0 alone; after 2 s without a keyframe, every frame from the next keyframe on.
    assert shown[0] == 0 and shown[1:] == list(range(30, FRAMES))
    [warning] = [r for r in caplog.records if "keyframe gating off" in r.getMessage()]
    assert warning.reason.startswith("no keyframe for 2.1 s")  # type: ignore[attr-defined]


def test_a_stream_without_keyframe_flags_is_decoded_in_full(tmp_path: Path, caplog) -> None:
    clip = _clip(tmp_path / "clip.mp4", keyframe_seconds=1.0, b_frames=0)
    container = av.open(str(clip))
    stream = container.streams.video[0]
    keyframes = KeyframeGate(stream, max_keyframe_interval_seconds=1.5)
    shown = []
    with caplog.at_level(logging.WARNING, logger="edge_agent.decoding"):
        for packet in container.demux(stream):
            packet.is_keyframe = False  # as some cameras' RTP payloads arrive
            shown += [_number(picture) for picture in keyframes.decode(packet)]
    container.close()
    [warning] = [r for r in caplog.records if "keyframe gating off" in r.getMessage()]
    assert warning.reason == "no keyframe flags"  # type: ignore[attr-defined]
    assert shown and shown == list(range(shown[0], FRAMES)) and shown[0] <= 20
    assert not keyframes.gated


def test_the_file_source_counts_skipped_frames_and_times_them_from_pts(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4", keyframe_seconds=1.0, b_frames=0)
    source = GatedFileSource(clip, "keyframes", start_epoch=1000.0)
    frames: list[DecodedFrame] = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    assert [f.index for f in frames] == [0, 10, 20, 30, 40, 50]
    assert [f.t for f in frames] == [1000.0 + n for n in range(6)]
    assert source.stats.frames == 6 and source.stats.skipped == FRAMES - 6
    assert frames[1].gray.shape == (HEIGHT, WIDTH) and frames[1].bgr.shape == (HEIGHT, WIDTH, 3)
    assert abs(float(frames[1].gray[16, 16]) - 90) < 4  # the luma plane, as drawn


def test_sources_by_decode_mode_and_clear_errors(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4", keyframe_seconds=1.0, b_frames=0)
    gated = open_source(str(clip), CaptureConfig())
    full = open_source(str(clip), CaptureConfig(decode="full"))
    assert isinstance(gated, GatedFileSource) and not isinstance(full, GatedFileSource)
    gated.close()
    full.close()
    with pytest.raises(SourceError, match="no such video file"):
        GatedFileSource(tmp_path / "missing.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video" * 100)
    with pytest.raises(SourceError, match="cannot open as video"):
        GatedFileSource(tmp_path / "junk.mp4")


def test_unknown_decode_mode_names_the_key() -> None:
    from edge_agent.config import ConfigError, load_config

    with pytest.raises(
        ConfigError, match=r"capture\.decode: Input should be 'keyframes' or 'full'"
    ):
        load_config(overrides={"capture": {"decode": "sometimes"}})
