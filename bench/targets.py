"""The issue's targets, judged from the results dictionary (pure code, unit-tested)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

PASS, FAIL, MISSING = "PASS", "FAIL", "MISSING"


@dataclass(frozen=True)
class Verdict:
    name: str
    target: str
    value: str
    baseline: str
    status: str  # PASS | FAIL | MISSING
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def throughput_run(
    results: dict[str, Any], pipeline: str, scene: str, resolution: str
) -> dict[str, Any]:
    for run in results.get("throughput", {}).get("runs", []):
        if (run["pipeline"], run["scene"], run["resolution"]) == (pipeline, scene, resolution):
            return run
    raise KeyError(f"no throughput run for {pipeline} {scene} {resolution}")


def throughput_fps(results: dict[str, Any], pipeline: str, scene: str, resolution: str) -> float:
    return float(throughput_run(results, pipeline, scene, resolution)["fps"])


def speed_up(results: dict[str, Any], scene: str, resolution: str) -> tuple[float, float, float]:
    """(ratio, doorman fps, naive fps), over the frames naive ran when it was capped."""
    naive = throughput_run(results, "naive", scene, resolution)
    doorman = naive.get("doorman_fps_same_frames") or throughput_fps(
        results, "doorman", scene, resolution
    )
    return doorman / naive["fps"], doorman, naive["fps"]


def _judge(name: str, target: str, check: Callable[[], Verdict]) -> Verdict:
    try:
        verdict = check()
    except KeyError as missing:
        return Verdict(name, target, "-", "-", MISSING, f"not measured: {missing.args[0]}")
    if verdict.name != name:
        raise AssertionError(f"check for {name!r} named its verdict {verdict.name!r}")
    return verdict


def _status(ok: bool) -> str:
    return PASS if ok else FAIL


def _busy_vs_naive(results: dict[str, Any]) -> Verdict:
    ratio, doorman, naive = speed_up(results, "busy", "1080p")
    return Verdict(
        "busy 1080p speed-up over naive",
        ">= 10x",
        f"{ratio:.1f}x ({doorman:.1f} fps on the same frames)",
        f"naive {naive:.2f} fps",
        _status(ratio >= 10),
        "" if ratio >= 10 else f"short by {10 - ratio:.1f}x",
    )


def _busy_fps(results: dict[str, Any]) -> Verdict:
    doorman = throughput_fps(results, "doorman", "busy", "1080p")
    decode = throughput_fps(results, "decode-only", "busy", "1080p")
    return Verdict(
        "busy 1080p frames per second, one core",
        ">= 30 fps",
        f"{doorman:.1f} fps",
        f"decode-only {decode:.1f} fps",
        _status(doorman >= 30),
        "" if doorman >= 30 else f"short by {30 - doorman:.1f} fps",
    )


def _quiet_vs_decode(resolution: str) -> Callable[[dict[str, Any]], Verdict]:
    def check(results: dict[str, Any]) -> Verdict:
        doorman = throughput_fps(results, "doorman", "quiet", resolution)
        decode = throughput_fps(results, "decode-only", "quiet", resolution)
        share = doorman / decode
        return Verdict(
            f"quiet {resolution} throughput vs decode-only",
            ">= 80%",
            f"{share:.0%} ({doorman:.1f} fps)",
            f"decode-only {decode:.1f} fps",
            _status(share >= 0.8),
            "" if share >= 0.8 else f"short by {0.8 - share:.0%} points",
        )

    return check


def _totals(results: dict[str, Any]) -> dict[str, Any]:
    return results["uploads"]["totals"]


def _fewer_uploads(results: dict[str, Any]) -> Verdict:
    totals = _totals(results)
    doorman = totals["doorman"]["uploads"]
    every = totals["motion-only (every frame)"]["uploads"]
    per_second = totals["motion-only (1/s)"]["uploads"]
    cut = 1 - doorman / every if every else 0.0
    cut_per_second = 1 - doorman / per_second if per_second else 0.0
    return Verdict(
        "fewer uploads than motion-only",
        ">= 95%",
        f"{cut:.1%} fewer ({doorman} uploads); {cut_per_second:.1%} fewer than 1/s",
        f"motion-only {every} every frame, {per_second} at 1/s",
        _status(cut >= 0.95),
        "" if cut >= 0.95 else f"short by {0.95 - cut:.1%}",
    )


def _recall(results: dict[str, Any]) -> Verdict:
    doorman = _totals(results)["doorman"]
    recall = doorman["recall"]
    return Verdict(
        "person-track recall",
        "100%",
        f"{recall:.0%} ({doorman['covered_tracks']}/{doorman['tracks']} tracks)",
        f"naive {_totals(results)['naive']['recall']:.0%}",
        _status(recall >= 1.0),
        ", ".join(doorman.get("missed_tracks", [])),
    )


def _false_uploads(results: dict[str, Any]) -> Verdict:
    doorman = _totals(results)["doorman"]
    false = doorman["false_face_uploads"]
    return Verdict(
        "false face uploads",
        "0",
        str(false),
        f"naive {_totals(results)['naive']['false_face_uploads']}",
        _status(false == 0),
    )


def _far(results: dict[str, Any]) -> Verdict:
    accuracy = results["accuracy"]
    far = accuracy["far_at_default"]
    return Verdict(
        "FAR at the default threshold",
        f"0 at {accuracy['default_threshold']:.0f}",
        f"{far:.1%} of {accuracy['stranger_probes']} stranger probes",
        "-",
        _status(far == 0),
    )


def _tar(results: dict[str, Any]) -> Verdict:
    accuracy = results["accuracy"]
    tar = accuracy["tar_at_default"]
    return Verdict(
        "TAR at the default threshold",
        f">= 95% at {accuracy['default_threshold']:.0f}",
        f"{tar:.1%} of {accuracy['genuine_probes']} genuine probes",
        "-",
        _status(tar >= 0.95),
        "" if tar >= 0.95 else f"short by {0.95 - tar:.1%}",
    )


def _latency(results: dict[str, Any]) -> Verdict:
    latency = results["latency"]
    p95 = latency["p95_seconds"]
    lost = len(latency.get("lost", []))
    notes = [f"over by {p95 - 3.0:.2f} s"] if p95 >= 3.0 else []
    notes += [f"{lost} events got no email"] if lost else []
    return Verdict(
        "end-to-end p95 latency (edge event -> email)",
        "< 3 s",
        f"{p95:.2f} s (p50 {latency['p50_seconds']:.2f} s, {latency['events']} events)",
        "-",
        _status(p95 < 3.0 and not lost),
        "; ".join(notes),
    )


CHECKS: tuple[tuple[str, str, Callable[[dict[str, Any]], Verdict]], ...] = (
    ("busy 1080p speed-up over naive", ">= 10x", _busy_vs_naive),
    ("busy 1080p frames per second, one core", ">= 30 fps", _busy_fps),
    ("quiet 720p throughput vs decode-only", ">= 80%", _quiet_vs_decode("720p")),
    ("quiet 1080p throughput vs decode-only", ">= 80%", _quiet_vs_decode("1080p")),
    ("fewer uploads than motion-only", ">= 95%", _fewer_uploads),
    ("person-track recall", "100%", _recall),
    ("false face uploads", "0", _false_uploads),
    ("FAR at the default threshold", "0", _far),
    ("TAR at the default threshold", ">= 95%", _tar),
    ("end-to-end p95 latency (edge event -> email)", "< 3 s", _latency),
)


def evaluate(results: dict[str, Any]) -> list[Verdict]:
    return [_judge(name, target, partial(check, results)) for name, target, check in CHECKS]


def all_passed(verdicts: list[Verdict]) -> bool:
    return all(v.status == PASS for v in verdicts)
