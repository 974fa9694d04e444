"""Generated scenarios, cached in bench/.cache/ (gitignored).

A cache entry is keyed by scenario, resolution, frame rate, length and a hash of the
generator's source, so editing scenes/scenarios.py regenerates instead of reusing stale
videos. An entry counts only once its `entry.json` is written, after generation finished.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_DIR = Path(__file__).resolve().parents[1] / "bench" / ".cache"


@dataclass(frozen=True)
class Scenario:
    name: str
    resolution: str
    fps: int
    seconds: float | None
    video: Path
    truth_path: Path

    def truth(self) -> dict[str, Any]:
        return json.loads(self.truth_path.read_text())


def generator_hash() -> str:
    from scenes import scenarios

    return hashlib.sha256(inspect.getsource(scenarios).encode()).hexdigest()[:10]


def prune_stale(folder: Path) -> None:
    """Remove `folder` and the same entry made by an older generator (another hash)."""
    stem = folder.name.rsplit("-", 1)[0]
    for old in folder.parent.glob(f"{stem}-*"):
        if old.is_dir() and old.name.rsplit("-", 1)[0] == stem:
            shutil.rmtree(old, ignore_errors=True)


def scenario(
    name: str,
    resolution: str,
    fps: int,
    seconds: float | None = None,
    cache_dir: Path = CACHE_DIR,
    keyframe_seconds: float = 1.0,
) -> Scenario:
    """The cached scenario, generating it first when it is missing or stale."""
    from scenes import scenarios

    length = "default" if seconds is None else f"{seconds:g}s"
    gop = f"-key{keyframe_seconds:g}s"
    folder = cache_dir / f"{name}-{resolution}-{fps}fps-{length}{gop}-{generator_hash()}"
    entry = folder / "entry.json"
    if entry.is_file():
        paths = json.loads(entry.read_text())
        video, truth = folder / paths["video"], folder / paths["truth"]
        if video.is_file() and truth.is_file():
            return Scenario(name, resolution, fps, seconds, video, truth)
    prune_stale(folder)
    folder.mkdir(parents=True)
    video, truth = scenarios.generate(
        name, folder, resolution, fps, seconds, keyframe_seconds=keyframe_seconds
    )
    entry.write_text(
        json.dumps(
            {"video": str(video.relative_to(folder)), "truth": str(truth.relative_to(folder))}
        )
    )
    return Scenario(name, resolution, fps, seconds, video, truth)
