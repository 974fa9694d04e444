"""Synthetic door-camera scenes with ground truth, for tests, the demo and the benchmarks.

Each scenario is an H.264 MP4 (ffmpeg/libx264, `+faststart`) plus a JSON ground truth:
every person track (identity, first/last frame, frames with a visible face and the face box
in each) and every distractor (sensor noise, lighting steps, a car, rain, night). People
are the sample photos of assets/faces pasted as heads on moving bodies; faces are at least
96 px wide at 720p (144 px at 1080p). Everything is drawn from a seeded RNG, so the same
arguments give the same frames.

    python -m scenes.scenarios --out /tmp/scenes [--only one_person] [--resolution 1080p]

    from scenes.scenarios import SCENARIOS, generate
    video, truth = generate("one_person", out_dir, resolution="720p")
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
FACES_DIR = REPO / "assets" / "faces"
RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}
# Capped like an IP camera's encoder (noise would otherwise make a 10 Mbit/s stream).
MAX_BITRATE = {"720p": "3M", "1080p": "6M"}
DEFAULT_FPS = 10
FACE_WIDTH_720P = 100  # detector box width of a pasted face at 720p
WALK_SECONDS = 1.6  # time to walk from the frame edge to the door, and back out
NOISE_BANK = 6
FIDGET_FRACTION = 0.02  # sway while waiting: 26 px at 720p, about 4 cm at the door
FIDGET_PERIODS_SECONDS = (3.1, 1.3)


@dataclass
class Person:
    identity: str
    start: float  # seconds: enters the frame edge
    pause_at: float  # relative x of the door position
    pause_seconds: float
    side: str = "left"  # enters from this side
    leaves_back: bool = False  # leaves through the side it came from (else the other)
    turn_after: float | None = None  # seconds into the pause when the person turns away
    shirt: tuple[int, int, int] = (150, 90, 60)
    height_scale: float = 1.0

    @property
    def end(self) -> float:
        return self.start + 2 * WALK_SECONDS + self.pause_seconds


@dataclass
class Scene:
    name: str
    description: str
    seconds: float
    people: list[Person] = field(default_factory=list)
    noise_sigma: float = 3.0
    car: tuple[float, float] | None = None  # (start, seconds to cross)
    rain: bool = False
    night: bool = False
    lighting_steps: tuple[tuple[float, float], ...] = ()  # (time, gain) from then on


def _scene_static(seconds: float) -> Scene:
    return Scene("static_noise", "An empty porch with sensor noise.", seconds)


def _scene_one_person(seconds: float) -> Scene:
    pause = max(0.5, seconds - 2 * WALK_SECONDS - 1.0)
    return Scene(
        "one_person",
        "One person walks to the door, waits, and leaves.",
        seconds,
        people=[Person("grace_hopper", 0.5, 0.45, pause, "left", shirt=(60, 60, 150))],
    )


def _scene_two_people(seconds: float) -> Scene:
    pause = max(0.5, seconds - 2 * WALK_SECONDS - 1.6)
    return Scene(
        "two_people",
        "Two people arrive from both sides, wait side by side, and leave the way they came.",
        seconds,
        people=[
            Person("astronaut", 0.3, 0.27, pause, "left", True, shirt=(40, 120, 200)),
            Person("luispedro", 0.9, 0.72, pause, "right", True, shirt=(70, 140, 70)),
        ],
    )


def _scene_turning_away(seconds: float) -> Scene:
    pause = max(1.0, seconds - 2 * WALK_SECONDS - 1.0)
    return Scene(
        "turning_away",
        "A person comes to the door, turns their back to the camera, and walks away.",
        seconds,
        people=[
            Person("takeo", 0.5, 0.5, pause, "right", turn_after=pause / 2, shirt=(30, 30, 30))
        ],
    )


def _scene_lighting(seconds: float) -> Scene:
    return Scene(
        "lighting_change",
        "Lights switch on, then off again (global brightness steps).",
        seconds,
        lighting_steps=((seconds / 3, 1.45), (2 * seconds / 3, 1.0)),
    )


def _scene_car(seconds: float) -> Scene:
    return Scene(
        "car",
        "A car-like blob drives past; nobody is there.",
        seconds,
        car=(0.5, max(1.5, seconds - 1.5)),
    )


def _scene_rain(seconds: float) -> Scene:
    return Scene("rain", "Rain streaks over the whole scene.", seconds, rain=True)


def _scene_night(seconds: float) -> Scene:
    return Scene("night", "Night: low contrast and strong sensor noise.", seconds, night=True)


def _scene_empty_stretch(seconds: float) -> Scene:
    walk = 2 * WALK_SECONDS + 1.0
    return Scene(
        "empty_stretch",
        "A long empty stretch, then one person near the end.",
        seconds,
        people=[Person("luispedro", seconds - walk - 0.3, 0.55, 1.0, "left")],
    )


BUILDERS: dict[str, tuple[Callable[[float], Scene], float]] = {
    "static_noise": (_scene_static, 4.0),
    "one_person": (_scene_one_person, 6.0),
    "two_people": (_scene_two_people, 7.0),
    "turning_away": (_scene_turning_away, 7.0),
    "lighting_change": (_scene_lighting, 4.5),
    "car": (_scene_car, 5.0),
    "rain": (_scene_rain, 4.0),
    "night": (_scene_night, 4.0),
    "empty_stretch": (_scene_empty_stretch, 12.0),
}
SCENARIOS: list[str] = list(BUILDERS)


# -- drawing -----------------------------------------------------------------------------


@functools.cache
def _face_sprite(
    identity: str, face_width: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """(BGR head image, alpha 0..1, face box inside it) for a sample photo."""
    import dlib

    path = next(p for p in sorted(FACES_DIR.iterdir()) if p.stem == identity)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot read {path}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rects, scores, _ = dlib.get_frontal_face_detector().run(rgb, 1, 0.0)
    if not rects:
        raise ValueError(f"no face in {path}")
    face = rects[int(np.argmax(scores))]
    scale = face_width / face.width()
    cx, cy = (face.left() + face.right()) / 2, (face.top() + face.bottom()) / 2
    side = face.width() * 1.9
    x0, y0 = round(cx - side / 2), round(cy - side * 0.55)
    pad = round(side)
    padded = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[y0 + pad : y0 + pad + round(side), x0 + pad : x0 + pad + round(side)]
    size = round(side * scale)
    head = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    alpha = np.zeros((size, size), np.float32)
    cv2.ellipse(
        alpha,
        (size // 2, size // 2),
        (round(size * 0.44), round(size * 0.5)),
        0,
        0,
        360,
        1.0,
        -1,
    )
    alpha = cv2.GaussianBlur(alpha, (0, 0), size * 0.03)
    box = (
        round((face.left() - x0) * scale),
        round((face.top() - y0) * scale),
        round((face.right() + 1 - x0) * scale),
        round((face.bottom() + 1 - y0) * scale),
    )
    return head, alpha, box


def _back_of_head(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hair = np.full((size, size, 3), (30, 40, 55), np.uint8)
    strands = rng.integers(0, 25, (size, size, 1), dtype=np.uint8)
    return cv2.GaussianBlur(cv2.add(hair, np.repeat(strands, 3, axis=2)), (0, 0), 1.2)


def _background(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = height / 720
    wall = np.linspace(150, 120, height, dtype=np.float32)[:, None]
    image = np.empty((height, width, 3), np.float32)
    image[:] = wall[..., None] * np.array([0.95, 1.0, 1.05], np.float32)
    floor = int(height * 0.82)
    image[floor:] = (85, 95, 105)
    image = image.astype(np.uint8)
    # Bricks: faint lines that give the motion gate and HOG some real texture.
    for y in range(0, floor, round(40 * s)):
        cv2.line(image, (0, y), (width, y), (128, 128, 135), max(1, round(2 * s)))
    door = (int(width * 0.38), int(height * 0.12), int(width * 0.62), floor)
    cv2.rectangle(image, door[:2], door[2:], (40, 70, 110), -1)
    cv2.rectangle(image, door[:2], door[2:], (25, 45, 70), max(2, round(8 * s)))
    cv2.circle(
        image, (door[2] - round(30 * s), (door[1] + door[3]) // 2), round(8 * s), (60, 170, 200), -1
    )
    cv2.rectangle(
        image,
        (int(width * 0.05), int(height * 0.2)),
        (int(width * 0.2), int(height * 0.45)),
        (90, 60, 40),
        -1,
    )  # a window
    for _ in range(12):  # a bush
        center = (int(width * rng.uniform(0.8, 0.95)), int(height * rng.uniform(0.6, 0.8)))
        cv2.circle(
            image, center, round(rng.uniform(20, 45) * s), (40, int(rng.uniform(90, 130)), 50), -1
        )
    texture = rng.normal(0, 4, (height, width, 1)).astype(np.float32)
    return np.clip(image + texture, 0, 255).astype(np.uint8)


def _paste(frame: np.ndarray, sprite: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Alpha-blend `sprite` with its top-left at (x, y), clipped to the frame."""
    h, w = sprite.shape[:2]
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    part = sprite[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (part * a + region * (1 - a)).astype(np.uint8)


def _person_position(person: Person, t: float, width: int) -> float | None:
    """Centre x at time t, or None when the person is not in the scene."""
    if t < person.start or t > person.end:
        return None
    outside = -0.2 * width if person.side == "left" else 1.2 * width
    leave_to = 1.2 * width if person.side == "left" else -0.2 * width
    if person.leaves_back:
        leave_to = outside
    door = person.pause_at * width
    into = t - person.start
    if into < WALK_SECONDS:
        return outside + (door - outside) * into / WALK_SECONDS
    if into < WALK_SECONDS + person.pause_seconds:
        return door + _fidget(into - WALK_SECONDS, width)
    out = into - WALK_SECONDS - person.pause_seconds
    return door + (leave_to - door) * out / WALK_SECONDS


def _fidget(waited: float, width: int) -> float:
    """How far someone waiting at a door has shifted: people who wait are never quite still
    (they shift their weight, rock, look about). Two slow sways of unrelated periods, up to
    FIDGET_FRACTION of the frame's width in all."""
    slow = np.sin(2 * np.pi * waited / FIDGET_PERIODS_SECONDS[0])
    quick = np.sin(2 * np.pi * waited / FIDGET_PERIODS_SECONDS[1])
    return FIDGET_FRACTION * width * float(0.6 * slow + 0.4 * quick)


def _draw_person(
    frame: np.ndarray, person: Person, cx: float, t: float, seed: int
) -> tuple[int, int, int, int] | None:
    """Draw body and head; return the face box (l, t, r, b) if the face is visible."""
    height, width = frame.shape[:2]
    s = height / 720
    face_width = round(FACE_WIDTH_720P * s * person.height_scale)
    head, alpha, face_box = _face_sprite(person.identity, face_width)
    size = head.shape[0]
    walking = not (
        person.start + WALK_SECONDS <= t <= person.start + WALK_SECONDS + person.pause_seconds
    )
    bob = round(6 * s * abs(np.sin(t * 6))) if walking else 0
    head_x, head_y = round(cx - size / 2), round(height * 0.16) + bob
    torso_w = round(size * 1.25)
    torso_top = head_y + round(size * 0.9)
    cv2.rectangle(
        frame,
        (round(cx - size * 0.12), head_y + round(size * 0.7)),
        (round(cx + size * 0.12), torso_top + 5),
        (120, 150, 190),
        -1,
    )  # neck
    cv2.rectangle(
        frame,
        (round(cx - torso_w / 2), torso_top),
        (round(cx + torso_w / 2), height + 5),
        person.shirt,
        -1,
    )
    for arm in (-1, 1):
        swing = round(10 * s * np.sin(t * 6 + arm)) if walking else 0
        x = round(cx + arm * (torso_w / 2 + size * 0.1))
        cv2.line(
            frame,
            (x, torso_top + round(20 * s)),
            (x + swing, torso_top + round(size * 1.6)),
            person.shirt,
            round(size * 0.2),
        )
    turned = person.turn_after is not None and t >= (
        person.start + WALK_SECONDS + person.turn_after
    )
    if turned:
        _paste(frame, _back_of_head(size, seed), alpha, head_x, head_y)
        return None
    _paste(frame, head, alpha, head_x, head_y)
    box = (
        head_x + face_box[0],
        head_y + face_box[1],
        head_x + face_box[2],
        head_y + face_box[3],
    )
    inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
    return box if inside else None


def _draw_car(frame: np.ndarray, progress: float) -> tuple[int, int, int, int]:
    height, width = frame.shape[:2]
    car_w, car_h = int(width * 0.32), int(height * 0.16)
    x = round(-car_w + progress * (width + car_w))
    y = int(height * 0.86) - car_h
    cv2.rectangle(frame, (x, y + car_h // 3), (x + car_w, y + car_h), (40, 40, 160), -1)
    cv2.rectangle(
        frame, (x + car_w // 5, y), (x + car_w * 4 // 5, y + car_h // 3 + 2), (40, 40, 140), -1
    )
    cv2.rectangle(
        frame, (x + car_w // 4, y + 6), (x + car_w * 3 // 4, y + car_h // 3), (180, 160, 140), -1
    )
    for wheel in (x + car_w // 5, x + car_w * 4 // 5):
        cv2.circle(frame, (wheel, y + car_h), car_h // 4, (20, 20, 20), -1)
    return (max(0, x), y, min(width, x + car_w), y + car_h + car_h // 4)


def _draw_rain(frame: np.ndarray, rng: np.random.Generator) -> None:
    height, width = frame.shape[:2]
    s = height / 720
    count = int(350 * (width * height) / (1280 * 720))
    xs = rng.integers(0, width, count)
    ys = rng.integers(0, height, count)
    lengths = rng.integers(round(10 * s), round(22 * s), count)
    streaks = np.zeros_like(frame)
    for x, y, length in zip(xs, ys, lengths, strict=True):
        cv2.line(
            streaks, (int(x), int(y)), (int(x) + int(length) // 4, int(y + length)), (45, 45, 45), 1
        )
    cv2.add(frame, streaks, dst=frame)


# -- rendering ---------------------------------------------------------------------------


def render(
    scene: Scene,
    resolution: str,
    fps: int,
    seed: int,
    frame_sink: Callable[[np.ndarray], object],
) -> dict[str, Any]:
    """Draw every frame into `frame_sink(bgr)` and return the ground truth."""
    width, height = RESOLUTIONS[resolution]
    rng = np.random.default_rng(seed)
    background = _background(width, height, seed)
    if scene.night:
        background = cv2.convertScaleAbs(background, alpha=0.22, beta=8)
    sigma = scene.noise_sigma * (2.0 if scene.night else 1.0)
    noise = [rng.normal(0, sigma, (height, width, 3)).astype(np.int16) for _ in range(NOISE_BANK)]
    frames = max(1, round(scene.seconds * fps))
    tracks: list[dict[str, Any]] = [
        {
            "identity": p.identity,
            "face_source": f"assets/faces/{_photo_name(p.identity)}",
            "start_frame": None,
            "end_frame": None,
            "face_boxes": [],
        }
        for p in scene.people
    ]
    car_frames: list[int] = []
    for index in range(frames):
        t = index / fps
        frame = background.copy()
        for n, person in enumerate(scene.people):
            cx = _person_position(person, t, width)
            if cx is None:
                continue
            track = tracks[n]
            face = _draw_person(frame, person, cx, t, seed + n)
            body_visible = -0.12 * width < cx < 1.12 * width
            if body_visible:
                track["start_frame"] = (
                    track["start_frame"] if track["start_frame"] is not None else index
                )
                track["end_frame"] = index
            if face is not None:
                track["face_boxes"].append([index, *face])
        if scene.car is not None:
            start, crossing = scene.car
            if start <= t <= start + crossing:
                _draw_car(frame, (t - start) / crossing)
                car_frames.append(index)
        if scene.rain:
            _draw_rain(frame, rng)
        gain = 1.0
        for when, step_gain in scene.lighting_steps:
            if t >= when:
                gain = step_gain
        if gain != 1.0:
            frame = cv2.convertScaleAbs(frame, alpha=gain, beta=12 * (gain - 1))
        grain = noise[int(rng.integers(0, NOISE_BANK))]
        frame = np.clip(frame.astype(np.int16) + grain, 0, 255).astype(np.uint8)
        frame_sink(frame)

    people = []
    for track in tracks:
        if track["start_frame"] is None:
            continue
        visible = [box[0] for box in track["face_boxes"]]
        track["face_visible"] = [min(visible), max(visible)] if visible else None
        people.append(track)
    distractors: list[dict[str, Any]] = [
        {"kind": "sensor_noise", "sigma": sigma, "start_frame": 0, "end_frame": frames - 1}
    ]
    if car_frames:
        distractors.append(
            {"kind": "car", "start_frame": car_frames[0], "end_frame": car_frames[-1]}
        )
    if scene.rain:
        distractors.append({"kind": "rain", "start_frame": 0, "end_frame": frames - 1})
    if scene.night:
        distractors.append({"kind": "night", "start_frame": 0, "end_frame": frames - 1})
    for when, step_gain in scene.lighting_steps:
        frame_no = int(np.ceil(when * fps))
        distractors.append(
            {"kind": "lighting", "gain": step_gain, "start_frame": frame_no, "end_frame": frame_no}
        )
    return {
        "scenario": scene.name,
        "description": scene.description,
        "resolution": resolution,
        "width": width,
        "height": height,
        "fps": fps,
        "frames": frames,
        "seconds": scene.seconds,
        "seed": seed,
        "people": people,
        "distractors": distractors,
        "expected": {"face_tracks": len([p for p in people if p["face_boxes"]])},
    }


def _photo_name(identity: str) -> str:
    return next(p.name for p in sorted(FACES_DIR.iterdir()) if p.stem == identity)


def keyframe_args(fps: int, keyframe_seconds: float, b_frames: int = 0) -> list[str]:
    """x264 options for a camera-like stream: a keyframe every `keyframe_seconds` exactly."""
    interval = str(max(1, round(fps * keyframe_seconds)))
    return ["-g", interval, "-keyint_min", interval, "-sc_threshold", "0", "-bf", str(b_frames)]


def generate(
    name: str,
    out_dir: Path | str,
    resolution: str = "720p",
    fps: int = DEFAULT_FPS,
    seconds: float | None = None,
    seed: int = 7,
    keyframe_seconds: float = 1.0,
) -> tuple[Path, Path]:
    """Write `<name>-<resolution>.mp4` and `.json` into out_dir; return both paths.

    `seconds` stretches the scenario (pauses and empty time grow; walking speed does not).
    `keyframe_seconds` is the keyframe interval, fixed as a camera's (no scene-cut
    keyframes, no B-frames).
    """
    if name not in BUILDERS:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}; choose from {', '.join(RESOLUTIONS)}")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: run `make setup` (it installs ffmpeg)")
    builder, default_seconds = BUILDERS[name]
    scene = builder(seconds or default_seconds)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"{name}-{resolution}.mp4"
    truth_path = out / f"{name}-{resolution}.json"
    width, height = RESOLUTIONS[resolution]
    tmp = video.with_name(f".{video.name}.tmp.mp4")
    argv = [
        ffmpeg, "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p",
        "-maxrate", MAX_BITRATE[resolution], "-bufsize", MAX_BITRATE[resolution],
        *keyframe_args(fps, keyframe_seconds), "-movflags", "+faststart", str(tmp),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=errors)
        stdin = process.stdin
        assert stdin is not None  # stdin=PIPE
        try:
            truth = render(scene, resolution, fps, seed, lambda f: stdin.write(f.tobytes()))
        finally:
            stdin.close()
            process.wait()
        if process.returncode != 0:
            tmp.unlink(missing_ok=True)
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise RuntimeError(f"ffmpeg failed: {message}")
    tmp.replace(video)
    truth["video"] = video.name
    truth["keyframe_seconds"] = keyframe_seconds
    truth_path.write_text(json.dumps(truth, indent=1))
    return video, truth_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--only", choices=SCENARIOS, action="append", help="one scenario (repeatable)"
    )
    parser.add_argument("--resolution", choices=list(RESOLUTIONS), default="720p")
    parser.add_argument("--fps", type=int, default=DEFAULT_FPS)
    parser.add_argument("--seconds", type=float, default=None, help="stretch each scenario")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keyframe-seconds", type=float, default=1.0, help="keyframe interval (default 1 s)"
    )
    args = parser.parse_args(argv)
    for name in args.only or SCENARIOS:
        video, truth = generate(
            name,
            args.out,
            args.resolution,
            args.fps,
            args.seconds,
            args.seed,
            keyframe_seconds=args.keyframe_seconds,
        )
        people = json.loads(truth.read_text())["people"]
        print(f"{video}  ({len(people)} person tracks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
