"""PASS/FAIL logic of the benchmark summary, on hand-made results."""

from __future__ import annotations

import copy

import pytest

from bench.report import markdown
from bench.targets import FAIL, MISSING, PASS, all_passed, evaluate


def _run(pipeline: str, scene: str, resolution: str, fps: float) -> dict:
    return {
        "pipeline": pipeline,
        "scene": scene,
        "resolution": resolution,
        "fps": fps,
        "frames": 100,
        "seconds": 100 / fps,
        "peak_rss_mb": 200.0,
    }


def _uploads(pipeline_uploads: int, covered: int = 4, false: int = 0) -> dict:
    return {
        "uploads": pipeline_uploads,
        "tracks": 4,
        "covered_tracks": covered,
        "recall": covered / 4,
        "false_face_uploads": false,
        "uploads_without_person": false,
        "missed_tracks": [],
    }


def _load_run() -> dict:
    return {
        "lost": 0,
        "duplicates": 0,
        "duplicated_alerts": 0,
        "lost_alerts": 0,
        "dlq_depth": 0,
        "mails": 20,
        "mail_allowance": 60,
    }


GOOD = {
    "throughput": {
        "runs": [
            _run("doorman", "busy", "1080p", 65.0),
            _run("naive", "busy", "1080p", 2.0),
            _run("decode-only", "busy", "1080p", 90.0),
            _run("doorman", "quiet", "720p", 900.0),
            _run("decode-only", "quiet", "720p", 200.0),
            _run("demux-only", "quiet", "720p", 9000.0),
            _run("doorman", "quiet", "1080p", 500.0),
            _run("decode-only", "quiet", "1080p", 95.0),
            _run("demux-only", "quiet", "1080p", 7000.0),
        ],
        "cameras": {
            "scene": "quiet",
            "resolution": "1080p",
            "keyframe_seconds": 2.0,
            "cameras": 16,
            "camera_fps": 15,
            "one": {"fps": 500.0, "peak_rss_mb": 180.0},
            "many": {"fps": 480.0, "peak_rss_mb": 900.0},
            "fps_all_cameras": 480.0,
            "cameras_per_core": 32.0,
            "extra_mb_per_camera": 8.0,
            "busy": {
                "cameras": 4,
                "one_peak_rss_mb": 165.0,
                "many_peak_rss_mb": 300.0,
                "extra_mb_per_camera": 45.0,
            },
        },
    },
    "detection": {
        "photos": 18,
        "faces": 46,
        "group_faces": 37,
        "rows": [
            {
                "detector": detector,
                "min_face_px": size,
                "faces": 46,
                "hits": hits,
                "misses": 46 - hits,
                "false_faces": 0,
                "recall": hits / 46,
                "group_recall": hits / 46,
                "ms_per_photo": 10.0,
            }
            for detector, size, hits in (
                ("hog", 32, 43),
                ("yunet", 32, 46),
                ("hog", 80, 18),
                ("yunet", 80, 26),
            )
        ],
    },
    "uploads": {
        "totals": {
            "doorman": _uploads(5),
            "naive": _uploads(300, false=12),
            "motion-only (1/s)": _uploads(60),
            "motion-only (every frame)": _uploads(900),
        },
        "scenarios": [],
        "motion_delay": [
            {
                "scenario": "car",
                "first_motion_frame": 5,
                "first_analysed_frame": 11,
                "seconds": 0.6,
                "keyframe_seconds": 1.0,
                "keyframe_intervals": 0.6,
            },
            {
                "scenario": "busy",
                "first_motion_frame": 0,
                "first_analysed_frame": 10,
                "seconds": 1.0,
                "keyframe_seconds": 1.0,
                "keyframe_intervals": 1.0,
            },
        ],
    },
    "accuracy": {
        "default_threshold": 90.0,
        "far_at_default": 0.0,
        "tar_at_default": 0.975,
        "stranger_probes": 45,
        "genuine_probes": 40,
    },
    "latency": {"p50_seconds": 0.6, "p95_seconds": 1.2, "max_seconds": 1.5, "events": 50},
    "load": {
        "frames": 1000,
        "cameras": 20,
        "runs": {
            "sequential": {**_load_run(), "concurrency": 1, "frames_per_second": 4.0},
            "concurrent": {**_load_run(), "concurrency": 4, "frames_per_second": 9.0},
        },
        "speed_up": 2.25,
        "restart": {
            "events_stored": 1000,
            "events_after_restart": 1000,
            "queued_at_stop": 80,
            "stop_seconds": 2.1,
            "restart_seconds": 6.0,
            **{f"after_{k}": v for k, v in _load_run().items()},
        },
    },
}


def _status(results: dict) -> dict[str, str]:
    return {v.name: v.status for v in evaluate(results)}


def test_good_results_pass_every_target() -> None:
    verdicts = evaluate(GOOD)
    assert [v.status for v in verdicts] == [PASS] * len(verdicts)
    assert all_passed(verdicts)


@pytest.mark.parametrize(
    ("path", "value", "failing"),
    [
        (("throughput", "runs", 0, "fps"), 59.0, "busy 1080p frames per second, one core"),
        (("throughput", "runs", 1, "fps"), 6.7, "busy 1080p speed-up over naive"),
        (("throughput", "runs", 7, "fps"), 130.0, "quiet 1080p throughput / decode-every-frame"),
        (
            ("throughput", "cameras", "cameras_per_core"),
            15.9,
            "1080p 15 fps quiet cameras per core, real time",
        ),
        (
            ("throughput", "cameras", "extra_mb_per_camera"),
            61.0,
            "extra memory per additional camera",
        ),
        (
            ("throughput", "cameras", "busy", "extra_mb_per_camera"),
            60.5,
            "extra memory per additional camera",
        ),
        (
            ("uploads", "motion_delay", 1, "keyframe_intervals"),
            1.1,
            "first motion -> first analysed frame",
        ),
        (
            ("uploads", "totals", "doorman", "uploads"),
            7,
            "fewer uploads than motion-only at 1 frame/s",
        ),
        (("uploads", "totals", "doorman", "recall"), 0.75, "person-track recall"),
        (("detection", "rows", 3, "hits"), 17, "real-photo face recall, YuNet vs HOG"),
        (("uploads", "totals", "doorman", "false_face_uploads"), 1, "false face uploads"),
        (("accuracy", "far_at_default"), 0.02, "FAR at the default threshold"),
        (("accuracy", "tar_at_default"), 0.9, "TAR at the default threshold"),
        (("latency", "p95_seconds"), 3.0, "end-to-end p95 latency (edge event -> email)"),
        (("load", "speed_up"), 1.9, "localcloud frames/s, concurrent router vs one at a time"),
        (
            ("load", "runs", "concurrent", "lost"),
            1,
            "localcloud load: lost, duplicates, DLQ, mails",
        ),
        (
            ("load", "runs", "sequential", "mails"),
            61,
            "localcloud load: lost, duplicates, DLQ, mails",
        ),
        (
            ("load", "restart", "stop_seconds"),
            3.0,
            "localcloud stopped with frames queued, restarted",
        ),
        (
            ("load", "restart", "after_duplicates"),
            1,
            "localcloud stopped with frames queued, restarted",
        ),
    ],
)
def test_each_target_fails_on_its_own(path: tuple, value: float, failing: str) -> None:
    results = copy.deepcopy(GOOD)
    node = results
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    statuses = _status(results)
    assert statuses.pop(failing) == FAIL
    assert set(statuses.values()) == {PASS}


def test_the_speed_up_compares_doorman_on_the_frames_naive_ran() -> None:
    results = copy.deepcopy(GOOD)
    naive = results["throughput"]["runs"][1]
    naive["doorman_fps_same_frames"] = 18.0  # the capped frames are busier than the rest
    verdict = next(v for v in evaluate(results) if v.name.startswith("busy 1080p speed-up"))
    assert verdict.status == FAIL
    assert verdict.value.startswith("9.0x")


def test_an_event_without_email_fails_latency_whatever_the_percentiles() -> None:
    results = copy.deepcopy(GOOD)
    results["latency"]["lost"] = ["cam-7"]
    verdict = next(v for v in evaluate(results) if v.name.startswith("end-to-end"))
    assert verdict.status == FAIL
    assert "1 events got no email" in verdict.detail


def test_a_missing_section_is_reported_not_passed() -> None:
    results = {k: v for k, v in GOOD.items() if k != "latency"}
    verdicts = evaluate(results)
    latency = [v for v in verdicts if v.status == MISSING]
    assert [v.name for v in latency] == ["end-to-end p95 latency (edge event -> email)"]
    assert not all_passed(verdicts)


def test_the_markdown_summary_shows_every_verdict() -> None:
    results = {k: v for k, v in GOOD.items() if k != "accuracy"}
    results["meta"] = {"started_at": "now", "duration_seconds": 1, "cpus": 2}
    results["errors"] = {"accuracy": "face service did not start"}
    verdicts = evaluate(results)
    text = markdown(results, verdicts)
    assert f"Targets: {len(verdicts) - 2}/{len(verdicts)} pass" in text
    assert "Not measured: face service did not start" in text
    for verdict in verdicts:
        assert f"| {verdict.status} | {verdict.name} |" in text
    assert "| concurrent | 4 | 9.00 | 0 | 0 | 0 | 20 / 60 |" in text
    assert "stopped in 2.10 s, started again in 6.00 s with 1000 events" in text


def _verdict(results: dict, name: str):
    return next(v for v in evaluate(results) if v.name == name)


def test_a_missed_upload_cut_says_the_most_the_scenes_allow() -> None:
    results = copy.deepcopy(GOOD)
    results["uploads"]["totals"]["doorman"]["uploads"] = 9
    results["uploads"]["totals"]["motion-only (1/s)"]["uploads"] = 42
    verdict = _verdict(results, "fewer uploads than motion-only at 1 frame/s")
    assert verdict.status == FAIL
    # 4 tracks need 4 uploads at least: 1 - 4/42
    assert "short by 11.4%; these scenes allow at most 90.5% (4 person tracks" in verdict.detail


def test_a_missed_load_speed_up_says_the_most_this_machine_allows() -> None:
    results = copy.deepcopy(GOOD)
    results["load"]["speed_up"] = 1.3
    results["load"]["speed_up_ceiling"] = 1.84
    results["load"]["runs"]["concurrent"].update(cpu_ms_per_frame=127.0, cores_busy=1.41)
    verdict = _verdict(results, "localcloud frames/s, concurrent router vs one at a time")
    assert verdict.status == FAIL
    assert "short by 0.70x; at most 1.84x on this machine" in verdict.detail
    assert "127 ms of CPU per frame" in verdict.detail and "1.41 cores busy" in verdict.detail


def test_the_speed_up_ceiling_is_every_core_busy_at_the_measured_cost(monkeypatch) -> None:
    from bench import load

    monkeypatch.setattr(load.os, "cpu_count", lambda: 2)
    # 125 ms of CPU per frame on 2 cores: 16 frames/s at most, 2x the sequential 8
    ceiling = load.speed_up_ceiling(
        {"frames_per_second": 8.0}, {"cpu_ms_per_frame": 125.0, "frames_per_second": 11.0}
    )
    assert ceiling == 2.0
    assert load.speed_up_ceiling({"frames_per_second": 8.0}, {"frames_per_second": 11.0}) is None


def test_cpu_seconds_counts_this_process_and_its_children() -> None:
    import subprocess
    import sys
    import time

    from bench import load

    if load.cpu_seconds() is None:
        pytest.skip("no /proc")
    before = load.cpu_seconds()
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        during = load.cpu_seconds()
    finally:
        child.kill()
        child.wait()
    assert before is not None and during is not None
    assert during - before >= 0.3  # the child's busy loop counts


def test_a_missed_gating_ratio_says_what_decoding_the_keyframes_alone_gives() -> None:
    results = copy.deepcopy(GOOD)
    runs = results["throughput"]["runs"]
    quiet = ("doorman", "quiet", "1080p")
    next(r for r in runs if (r["pipeline"], r["scene"], r["resolution"]) == quiet)["fps"] = 370.5
    runs.append(_run("keyframes-only", "quiet", "1080p", 380.0))
    verdict = _verdict(results, "quiet 1080p throughput / decode-every-frame")
    assert verdict.status == FAIL
    # 370.5 / 95 = 3.9x; the keyframes alone: 380 / 95 = 4.0x
    assert verdict.detail == (
        "short by 0.1x; decoding the keyframes alone gives 4.0x, the most gating can"
    )
