"""Frames per second on one pinned core, and peak memory, for each pipeline.

Every measurement runs in a fresh child process under `taskset -c 0` with one thread for
OpenCV, OpenMP and BLAS, so pipelines cannot borrow the second core and each peak RSS is
its own. The child sets up (loads models, builds the pipeline) before the clock starts;
the clock covers opening the video, decoding and processing every frame.

    python -m bench.throughput --pipeline doorman --video bench/.cache/busy-1080p.mp4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

# doorman: keyframe-gated decoding (the default); doorman-full: the same pipeline decoding
# every frame; decode-only: PyAV decoding every frame, no colour conversion (the cost any
# pipeline that looks at every frame pays); demux-only: reading the packets, no decoding
# (the floor under keyframe gating); naive: the hobby pipeline.
PIPELINES = ("doorman", "doorman-full", "naive", "decode-only", "keyframes-only", "demux-only")
CAMERAS = "cameras"  # several gated pipelines in one process (see `_cameras`)
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}
PINNED_CORE = "0"
CHILD_TIMEOUT_SECONDS = 600


def _decode_only(video: Path, max_frames: int | None) -> Callable[[], int]:
    import av

    container = av.open(str(video))  # opened before the clock, as doorman's source is

    def run() -> int:
        frames = 0
        with container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            for packet in container.demux(stream):
                frames += len(stream.codec_context.decode(packet) if packet.size else [])
                if max_frames is not None and frames >= max_frames:
                    break
        return frames

    return run


def _keyframes_only(video: Path, max_frames: int | None) -> Callable[[], int]:
    """Decode the keyframes alone, with the decoder Doorman's gate uses while quiet
    (edge_agent.decoding.new_decoder), and nothing else: the most keyframe gating can give.
    Frames of the video are counted, decoded or not, as for doorman."""
    import av

    from edge_agent.decoding import new_decoder

    container = av.open(str(video))

    def run() -> int:
        frames = 0
        with container:
            stream = container.streams.video[0]
            decoder = new_decoder(stream.codec_context, keyframes_only=True)
            for packet in container.demux(stream):
                if not packet.size:
                    continue
                frames += 1
                if packet.is_keyframe:
                    decoder.decode(packet)
                if max_frames is not None and frames >= max_frames:
                    break
        return frames

    return run


def _demux_only(video: Path, max_frames: int | None) -> Callable[[], int]:
    import av

    container = av.open(str(video))

    def run() -> int:
        frames = 0
        with container:
            for packet in container.demux(container.streams.video[0]):
                frames += 1 if packet.size else 0
                if max_frames is not None and frames >= max_frames:
                    break
        return frames

    return run


def _naive(video: Path, max_frames: int | None) -> Callable[[], int]:
    from bench.baselines import NaivePipeline, iter_frames
    from bench.faces import known_faces

    pipeline = NaivePipeline(known_faces())

    def run() -> int:
        frames = 0
        for _, frame in iter_frames(video, max_frames):
            pipeline.process(frame)
            frames += 1
        return frames

    return run


def _doorman(video: Path, max_frames: int | None) -> Callable[[], int]:
    from bench.doorman import DoormanRunner

    runner = DoormanRunner(video, max_frames=max_frames, decode="keyframes")
    return runner.run


def _doorman_full(video: Path, max_frames: int | None) -> Callable[[], int]:
    from bench.doorman import DoormanRunner

    runner = DoormanRunner(video, max_frames=max_frames, decode="full")
    return runner.run


RUNNERS: dict[str, Callable[[Path, int | None], Callable[[], int]]] = {
    "decode-only": _decode_only,
    "keyframes-only": _keyframes_only,
    "demux-only": _demux_only,
    "naive": _naive,
    "doorman": _doorman,
    "doorman-full": _doorman_full,
}


def _cameras(video: Path, cameras: int) -> Callable[[], int]:
    """`cameras` agents' pipelines in one process (models shared), fed round-robin, each
    reading its own copy of the stream: what one core does for several quiet cameras."""
    from bench.doorman import DoormanRunner

    runners = [DoormanRunner(video, decode="keyframes") for _ in range(cameras)]
    return lambda: round_robin(runners)


def round_robin(runners: list[Any]) -> int:
    """One frame of each camera in turn until every stream ends; frames covered in all."""
    active = list(runners)
    while active:
        for runner in list(active):
            frame = runner.pipeline.source.read()
            if frame is None:
                active.remove(runner)
                runner.pipeline.flush()
            else:
                runner.pipeline.process(frame)
    return sum(r.pipeline.stats.frames + r.source.stats.skipped for r in runners)


def child(pipeline: str, video: Path, max_frames: int | None, cameras: int = 1) -> dict[str, Any]:
    """Runs inside the pinned child: set up, then time one pass over the video."""
    import cv2

    cv2.setNumThreads(1)
    runner = RUNNERS.get(pipeline)
    run = runner(video, max_frames) if runner is not None else _cameras(video, cameras)
    started = time.perf_counter()
    frames = run()
    seconds = time.perf_counter() - started
    return {
        "pipeline": pipeline,
        "cameras": cameras,
        "frames": frames,
        "seconds": seconds,
        "fps": frames / seconds if seconds else 0.0,
        "peak_rss_mb": peak_rss_kb() / 1024,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "affinity": sorted(os.sched_getaffinity(0)),
    }


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM).

    Not ru_maxrss: Linux carries that across exec, so a child forked from the (large)
    benchmark process would report the parent's size instead of its own.
    """
    status = Path("/proc/self/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(
    pipeline: str, video: Path, max_frames: int | None = None, cameras: int = 1
) -> dict[str, Any]:
    """Run one measurement in a child pinned to one core; returns the child's numbers."""
    if pipeline not in RUNNERS and pipeline != CAMERAS:
        raise ValueError(f"unknown pipeline {pipeline!r}; choose from {', '.join(RUNNERS)}")
    argv = [sys.executable, "-m", "bench.throughput", "--pipeline", pipeline, "--video", str(video)]
    if max_frames is not None:
        argv += ["--max-frames", str(max_frames)]
    if pipeline == CAMERAS:
        argv += ["--cameras", str(cameras)]
    taskset = shutil.which("taskset")
    if taskset is None:
        raise RuntimeError("taskset (util-linux) is needed to pin measurements to one core")
    env = {**os.environ, **SINGLE_THREAD_ENV}
    done = subprocess.run(
        [taskset, "-c", PINNED_CORE, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{pipeline} on {video.name} failed ({done.returncode}):\n{tail}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["affinity"] != [int(PINNED_CORE)]:
        raise RuntimeError(f"child was not pinned: affinity {result['affinity']}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", choices=(*PIPELINES, CAMERAS), required=True)
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--cameras", type=int, default=1, help=f"with --pipeline {CAMERAS}")
    args = parser.parse_args(argv)
    if not args.video.is_file():
        parser.error(f"no such video: {args.video}")
    print(json.dumps(child(args.pipeline, args.video, args.max_frames, args.cameras)))


# Naive is slow: it is measured over the first frames only (its cost per frame is flat).
NAIVE_FRAME_CAP = {"720p": 100, "1080p": 60}
QUICK_NAIVE_FRAME_CAP = {"720p": 20, "1080p": 12}
# Every pipeline runs REPEATS times, alternating, and its median run is reported, so a
# burst from another process on the shared core moves no figure on its own.
REPEATS = 3
# Cameras per core: this many quiet cameras in one process, against one camera alone.
CAMERA_COUNT = 16
QUICK_CAMERA_COUNT = 4
CAMERA_SCENE = ("quiet", "1080p")
# Memory when every camera is busy at once (decoding every frame, detecting faces).
BUSY_CAMERA_COUNT = 4
BUSY_CAMERA_SCENE = ("busy", "1080p")


def _median(tries: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = sorted(tries, key=lambda r: r["fps"])
    median = dict(ranked[(len(ranked) - 1) // 2])
    median["fps_tries"] = [round(r["fps"], 2) for r in tries]
    median["repeats"] = len(tries)
    return median


def _repeated(
    jobs: dict[str, Callable[[], dict[str, Any]]], repeats: int, tick: Callable[[], None]
) -> dict[str, dict[str, Any]]:
    """Each job `repeats` times, interleaved (a, b, c, a, b, c, ...); the median of each."""
    tries: dict[str, list[dict[str, Any]]] = {name: [] for name in jobs}
    for _ in range(repeats):
        for name, job in jobs.items():
            tries[name].append(job())
    medians = {name: _median(runs) for name, runs in tries.items()}
    for _ in medians:
        tick()
    return medians


def _scene_runs(scene: str, resolution: str, video: Any, quick: bool, repeats: int,
                tick: Callable[[], None]) -> list[dict[str, Any]]:  # fmt: skip
    truth = video.truth()
    total = truth["frames"]
    cap = (QUICK_NAIVE_FRAME_CAP if quick else NAIVE_FRAME_CAP)[resolution]
    path = video.video
    jobs: dict[str, Callable[[], dict[str, Any]]] = {
        name: partial(measure, name, path) for name in PIPELINES if name != "naive"
    }
    jobs["naive"] = partial(measure, "naive", path, cap)
    if cap < total:
        jobs["doorman@naive-frames"] = partial(measure, "doorman", path, cap)
    medians = _repeated(jobs, repeats, tick)
    same = medians.pop("doorman@naive-frames", None)
    if same is not None:
        medians["naive"]["doorman_fps_same_frames"] = same["fps"]
        medians["naive"]["doorman_fps_same_frames_tries"] = same["fps_tries"]
    runs = []
    for pipeline in PIPELINES:
        result = medians[pipeline]
        result.update(
            scene=scene,
            resolution=resolution,
            video_frames=total,
            video_fps=truth["fps"],
            keyframe_seconds=truth.get("keyframe_seconds"),
            capped=pipeline == "naive" and cap < total,
            frame_cap=cap if pipeline == "naive" else None,
        )
        runs.append(result)
    return runs


def _busy_camera_memory(video: Any) -> dict[str, Any]:
    """Peak memory of one busy camera and of `BUSY_CAMERA_COUNT` in one process (once each:
    memory does not vary from run to run as time does)."""
    one = measure(CAMERAS, video.video, cameras=1)
    many = measure(CAMERAS, video.video, cameras=BUSY_CAMERA_COUNT)
    return {
        "cameras": BUSY_CAMERA_COUNT,
        "one_peak_rss_mb": one["peak_rss_mb"],
        "many_peak_rss_mb": many["peak_rss_mb"],
        "extra_mb_per_camera": (many["peak_rss_mb"] - one["peak_rss_mb"]) / (BUSY_CAMERA_COUNT - 1),
    }


def _camera_runs(video: Any, quick: bool, repeats: int,
                 tick: Callable[[], None]) -> dict[str, Any]:  # fmt: skip
    """One quiet camera alone, then `CAMERA_COUNT` in one process: frames per second of
    video handled, cameras kept up with in real time, and memory per extra camera."""
    count = QUICK_CAMERA_COUNT if quick else CAMERA_COUNT
    path = video.video
    medians = _repeated(
        {
            "one": partial(measure, CAMERAS, path, cameras=1),
            "many": partial(measure, CAMERAS, path, cameras=count),
        },
        repeats,
        tick,
    )
    truth = video.truth()
    one, many = medians["one"], medians["many"]
    extra = (many["peak_rss_mb"] - one["peak_rss_mb"]) / (count - 1)
    return {
        "scene": CAMERA_SCENE[0],
        "resolution": CAMERA_SCENE[1],
        "camera_fps": truth["fps"],
        "keyframe_seconds": truth.get("keyframe_seconds"),
        "cameras": count,
        "one": one,
        "many": many,
        "fps_all_cameras": many["fps"],
        "cameras_per_core": many["fps"] / truth["fps"],
        "extra_mb_per_camera": extra,
    }


def run_all(
    videos: dict[tuple[str, str], Any],
    quick: bool = False,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Every pipeline on every (scene, resolution) video, and the many-cameras run.

    Every pipeline runs `REPEATS` times, interleaved, and the median is kept. Naive runs
    over its frame cap; Doorman is then also timed over exactly those frames (as often), so
    the speed-up is like for like (`doorman_fps_same_frames` on the naive run).
    """
    tick = progress or (lambda: None)
    caps = QUICK_NAIVE_FRAME_CAP if quick else NAIVE_FRAME_CAP
    repeats = 1 if quick else REPEATS
    runs = []
    for (scene, resolution), video in sorted(videos.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        runs += _scene_runs(scene, resolution, video, quick, repeats, tick)
    cameras = _camera_runs(videos[CAMERA_SCENE], quick, repeats, tick)
    cameras["busy"] = _busy_camera_memory(videos[BUSY_CAMERA_SCENE])
    scenes = {}
    for (scene, _), video in videos.items():
        truth = video.truth()
        scenes[scene] = (
            f"{scene}: {truth['scenario']}, {truth['seconds']:g} s at {truth['fps']} fps, "
            f"a keyframe every {truth.get('keyframe_seconds', 1.0):g} s: {truth['description']}"
        )
    return {
        "runs": runs,
        "cameras": cameras,
        "notes": [
            *sorted(scenes.values()),
            f"each run in its own process pinned with `taskset -c {PINNED_CORE}`, "
            "cv2.setNumThreads(1), one decoder thread and OMP/OPENBLAS/MKL threads = 1; the "
            "clock starts with the video open and the models loaded, and covers decoding "
            "and processing every frame",
            "fps counts frames of the video, decoded or not: doorman decodes keyframes only "
            "while nothing moves; doorman-full is the same pipeline decoding every frame",
            "decode-only decodes every frame with PyAV (no colour conversion); "
            "keyframes-only decodes the keyframes alone with the gate's own decoder and "
            "does nothing else: the most keyframe gating can give; demux-only reads the "
            "packets without decoding",
            "naive is slow, so it runs over the first "
            + " / ".join(f"{caps[r]} frames at {r}" for r in caps)
            + "; the doorman/naive ratio compares Doorman timed over those same frames",
            f"every pipeline runs {repeats} times, interleaved; the median run is reported "
            "(fps_tries lists each)",
            f"cameras: {cameras['cameras']} gated pipelines in one process (models shared) "
            "fed round-robin on the quiet 1080p scene, against one alone; extra memory per "
            "camera = (peak RSS of all - peak RSS of one) / (cameras - 1); the same with "
            f"{BUSY_CAMERA_COUNT} cameras all busy at once (busy 1080p, every frame decoded)",
            "peak RSS is the child's VmHWM (interpreter and loaded models included); "
            "ru_maxrss is recorded too but inherits the forking parent's size on Linux",
        ],
    }


def measurement_count(videos: int) -> int:
    """Progress steps of `run_all` (one per pipeline and video, two for the cameras)."""
    return videos * (len(PIPELINES) + 1) + 2


if __name__ == "__main__":
    main()
