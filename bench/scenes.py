"""The videos the benchmark runs on, built with scenes.scenarios and cached in bench/.cache/.

- `quiet`: scenarios' `static_noise` (an empty porch with sensor noise), stretched, at
  15 fps with a keyframe every 2 s (`quiet-key1s`: every 1 s), as cameras send it.
- `busy`: people and distractors together, composed here from scenarios' own `Scene` and
  `Person` and drawn by its `render()`: three people (two at the door at once), a car
  passing behind them and the porch light switching on.
- the scenario set for uploads and recall: every scenario in `SCENARIOS`, plus `busy`
  (10 fps, a keyframe every second, like `busy`). The visits to the door last as visits
  do (`VISIT_SECONDS`): a caller who rings waits about 25 s for the door, swaying a little
  as people who wait do; the tests render the same scenarios at their short defaults.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scenes import scenarios
from scenes.cache import CACHE_DIR, Scenario, generator_hash, prune_stale
from scenes.cache import scenario as cached_scenario

BUSY = "busy"
QUIET = "static_noise"
FPS = scenarios.DEFAULT_FPS
KEYFRAME_SECONDS = 1.0  # busy scenes and the upload scenarios: a keyframe every second
# Quiet cameras as the targets count them: 15 fps, a keyframe every 2 s (and every 1 s).
QUIET_FPS = 15
QUIET_KEYFRAME_SECONDS = 2.0
QUIET_1S = "quiet-key1s"
# The scenarios where someone comes to the door and waits, stretched to 30 s: about 25 s at
# the door (walking in and out takes the rest). Their defaults, 6-7 s, leave under 2 s.
VISIT_SECONDS = {"one_person": 30.0, "two_people": 30.0, "turning_away": 30.0}


def busy_scene(seconds: float = 20.0) -> scenarios.Scene:
    person = scenarios.Person
    return scenarios.Scene(
        BUSY,
        "Three people (two at the door together), a passing car and the porch light.",
        seconds,
        people=[
            person("grace_hopper", 0.5, 0.3, 4.0, "left", shirt=(60, 60, 150)),
            person("takeo", 3.0, 0.7, 4.0, "right", shirt=(30, 30, 30)),
            person("luispedro", 11.0, 0.5, 3.0, "left", shirt=(70, 140, 70)),
        ],
        car=(8.0, 4.0),
        lighting_steps=((seconds - 2.5, 1.3),),
    )


def _write(scene: scenarios.Scene, folder: Path, resolution: str, fps: int) -> tuple[Path, Path]:
    """Render `scene` to `folder/<name>-<res>.mp4` + `.json`, as scenarios.generate does."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: run `make setup` (it installs ffmpeg)")
    width, height = scenarios.RESOLUTIONS[resolution]
    video = folder / f"{scene.name}-{resolution}.mp4"
    truth_path = video.with_suffix(".json")
    argv = [
        ffmpeg, "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        *scenarios.keyframe_args(fps, KEYFRAME_SECONDS), "-movflags", "+faststart", str(video),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=errors)
        stdin = process.stdin
        assert stdin is not None  # stdin=PIPE
        try:
            truth = scenarios.render(
                scene, resolution, fps, 7, lambda frame: stdin.write(frame.tobytes())
            )
        finally:
            stdin.close()
            process.wait()
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"ffmpeg failed: {errors.read().decode(errors='replace')}")
    truth["video"] = video.name
    truth["keyframe_seconds"] = KEYFRAME_SECONDS
    truth_path.write_text(json.dumps(truth, indent=1))
    return video, truth_path


def busy(resolution: str, seconds: float = 20.0, fps: int = FPS) -> Scenario:
    folder = CACHE_DIR / f"{BUSY}-{resolution}-{fps}fps-{seconds:g}s-{generator_hash()}"
    video, truth = folder / f"{BUSY}-{resolution}.mp4", folder / f"{BUSY}-{resolution}.json"
    if not (folder / "entry.json").is_file():
        prune_stale(folder)
        folder.mkdir(parents=True)
        _write(busy_scene(seconds), folder, resolution, fps)
        (folder / "entry.json").write_text(json.dumps({"video": video.name, "truth": truth.name}))
    return Scenario(BUSY, resolution, fps, seconds, video, truth)


def quiet(
    resolution: str,
    seconds: float = 30.0,
    fps: int = QUIET_FPS,
    keyframe_seconds: float = QUIET_KEYFRAME_SECONDS,
) -> Scenario:
    return cached_scenario(QUIET, resolution, fps, seconds, keyframe_seconds=keyframe_seconds)


@dataclass(frozen=True)
class SceneSet:
    throughput: dict[tuple[str, str], Scenario]  # (scene, resolution) -> video
    uploads: list[Scenario]


def prepare(quick: bool, on_ready: Callable[[], None] | None = None) -> SceneSet:
    """Generate (or reuse) every video the run needs."""
    tick = on_ready or (lambda: None)
    seconds = {"quiet": 8.0, "busy": 12.0} if quick else {"quiet": 30.0, "busy": 20.0}
    throughput = {}
    for resolution in ("720p", "1080p"):
        throughput[("quiet", resolution)] = quiet(resolution, seconds["quiet"])
        tick()
        throughput[("busy", resolution)] = busy(resolution, seconds["busy"])
        tick()
    throughput[(QUIET_1S, "1080p")] = quiet("1080p", seconds["quiet"], keyframe_seconds=1.0)
    tick()
    uploads = []
    for name in scenarios.SCENARIOS:
        uploads.append(cached_scenario(name, "720p", FPS, VISIT_SECONDS.get(name)))
        tick()
    uploads.append(busy("720p", 20.0))
    tick()
    return SceneSet(throughput, uploads)


def video_count() -> int:
    return 5 + len(scenarios.SCENARIOS) + 1
