"""Writes the results: latest.json, the Markdown summary latest.md and the PNG plots."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from bench.targets import BUSY_FPS, CAMERAS_PER_CORE, PASS, Verdict

PIPELINE_ORDER = (
    "doorman",
    "doorman-full",
    "naive",
    "decode-only",
    "keyframes-only",
    "demux-only",
)
UPLOAD_ORDER = ("doorman", "naive", "motion-only (1/s)", "motion-only (every frame)")


def write_json(results: dict[str, Any], out_dir: Path) -> Path:
    path = out_dir / "latest.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    return path


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return [*lines, ""]


def targets_table(verdicts: list[Verdict]) -> list[str]:
    rows = [[v.status, v.name, v.target, v.value, v.baseline, v.detail] for v in verdicts]
    return _table(["result", "target", "goal", "measured", "baseline", "note"], rows)


def _throughput_lines(section: dict[str, Any]) -> list[str]:
    runs = section.get("runs", [])
    keys = sorted({(r["scene"], r["resolution"]) for r in runs}, key=lambda k: (k[1], k[0]))
    rows = []
    for scene, res in keys:
        by = {r["pipeline"]: r for r in runs if (r["scene"], r["resolution"]) == (scene, res)}
        cells = [scene, res]
        for pipeline in PIPELINE_ORDER:
            run = by.get(pipeline)
            if run is None:
                cells.append("-")
                continue
            cap = " (capped)" if run.get("capped") else ""
            cells.append(
                f"{run['fps']:.1f} fps, {run['peak_rss_mb']:.0f} MB, {run['frames']} fr{cap}"
            )
        doorman, naive, decode = by.get("doorman"), by.get("naive"), by.get("decode-only")
        same = naive.get("doorman_fps_same_frames") if naive else None
        if doorman and naive:
            ratio = (same or doorman["fps"]) / naive["fps"]
            cells.append(f"{ratio:.1f}x" + (f" ({same:.1f} fps)" if same else ""))
        else:
            cells.append("-")
        cells.append(f"{doorman['fps'] / decode['fps']:.1f}x" if doorman and decode else "-")
        rows.append(cells)
    header = [
        "scene",
        "res",
        *PIPELINE_ORDER,
        "doorman/naive (same frames)",
        "doorman/decode-only",
    ]
    notes = [f"- {n}" for n in section.get("notes", [])]
    return _table(header, rows) + _cameras_lines(section.get("cameras")) + notes + [""]


def _cameras_lines(cameras: dict[str, Any] | None) -> list[str]:
    if not cameras:
        return []
    one, many = cameras["one"], cameras["many"]
    rows = [
        ["1", f"{one['fps']:.0f}", f"{one['fps'] / cameras['camera_fps']:.1f}",
         f"{one['peak_rss_mb']:.0f}"],
        [str(cameras["cameras"]), f"{many['fps']:.0f}", f"{cameras['cameras_per_core']:.1f}",
         f"{many['peak_rss_mb']:.0f}"],
    ]  # fmt: skip
    header = ["cameras in one process", "fps (all cameras)", "cameras kept up with", "peak MB"]
    return [
        f"Quiet {cameras['resolution']} cameras at {cameras['camera_fps']} fps, a keyframe "
        f"every {cameras['keyframe_seconds']:g} s, one core: "
        f"{cameras['extra_mb_per_camera']:.1f} MB per additional camera"
        + (
            f"; {cameras['busy']['extra_mb_per_camera']:.1f} MB when {cameras['busy']['cameras']} "
            "busy 1080p cameras decode every frame at once."
            if "busy" in cameras
            else "."
        ),
        "",
        *_table(header, rows),
    ]


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _uploads_lines(section: dict[str, Any]) -> list[str]:
    totals = section["totals"]
    every = totals.get("motion-only (every frame)", {}).get("uploads") or 0
    per_second = totals.get("motion-only (1/s)", {}).get("uploads") or 0
    rows = []
    for name in UPLOAD_ORDER:
        t = totals.get(name)
        if t is None:
            continue
        cut = f"{1 - t['uploads'] / every:.1%}" if every else "-"
        cut_per_second = f"{1 - t['uploads'] / per_second:.1%}" if per_second else "-"
        recall = f"{t['recall']:.0%} ({t['covered_tracks']}/{t['tracks']})"
        rows.append(
            [
                name,
                str(t["uploads"]),
                cut_per_second,
                cut,
                recall,
                str(t["uploads_without_person"]),
                _count(t["false_face_uploads"]),
            ]
        )
    header = [
        "pipeline",
        "uploads",
        "fewer than motion-only (1/s)",
        "fewer than motion-only (every frame)",
        "track recall",
        "uploads without a person",
        "false face uploads",
    ]
    lines = _table(header, rows)
    doorman = totals.get("doorman", {})
    if "face_uploads" in doorman:
        lines += [
            f"Doorman sent {doorman['face_uploads']} face frames and "
            f"{doorman['motion_uploads']} motion snapshots "
            f"({doorman['faces_per_upload']:.2f} faces per face frame).",
            "",
        ]
    if doorman.get("report_delays"):
        lines += _report_delay_lines(doorman["report_delays"])
    if doorman.get("missed_tracks"):
        lines += [f"Doorman missed: {', '.join(doorman['missed_tracks'])}.", ""]
    per_scenario = [
        [s["scenario"], str(s["frames"]), str(s["tracks"])]
        + [str(s["uploads"].get(name, "-")) for name in UPLOAD_ORDER]
        for s in section.get("scenarios", [])
    ]
    lines += _table(["scenario", "frames", "person tracks", *UPLOAD_ORDER], per_scenario)
    delays = [
        [d["scenario"], str(d["first_motion_frame"]), _count(d["first_analysed_frame"]),
         f"{d['seconds']:.2f}", f"{d['keyframe_seconds']:g}", f"{d['keyframe_intervals']:.2f}"]
        for d in section.get("motion_delay", [])
    ]  # fmt: skip
    if delays:
        header = ["scenario", "first motion (frame)", "first analysed with motion (frame)",
                  "delay (s)", "keyframe interval (s)", "delay (keyframe intervals)"]  # fmt: skip
        lines += _table(header, delays)
    return lines + [f"- {n}" for n in section.get("notes", [])] + [""]


def _report_delay_lines(delays: list[dict[str, Any]]) -> list[str]:
    """When each visitor was first reported: from their face first in view to the first
    upload that shows them (a later upload may show them again, beside someone else)."""
    first: dict[str, dict[str, Any]] = {}
    for delay in delays:
        kept = first.get(delay["track"])
        if kept is None or delay["seconds"] < kept["seconds"]:
            first[delay["track"]] = delay
    seconds = [d["seconds"] for d in first.values()]
    before = sum(1 for d in first.values() if d["before_leaving"])
    visits = [d["visit_seconds"] for d in first.values()]
    return [
        f"Each visitor was first reported {statistics.median(seconds):.1f} s (median; at most "
        f"{max(seconds):.1f} s) after their face came into view; {before} of {len(first)} "
        f"while they were still there (visits of {min(visits):.1f}-{max(visits):.1f} s).",
        "",
    ]


def _detection_lines(section: dict[str, Any]) -> list[str]:
    rows = [
        [r["detector"], str(r["min_face_px"]), str(r["hits"]), str(r["misses"]),
         str(r["false_faces"]), f"{r['recall']:.0%}", f"{r['group_recall']:.0%}",
         f"{r['ms_per_photo']:.1f}"]
        for r in section["rows"]
    ]  # fmt: skip
    header = ["detector", "min_face_px", "hits", "misses", "false faces", "recall",
              "group-photo recall", "ms per photo"]  # fmt: skip
    return [
        f"{section['photos']} photos, {section['faces']} annotated faces "
        f"({section['group_faces']} in group photos).",
        "",
        *_table(header, rows),
        *[f"- {n}" for n in section.get("notes", [])],
        "",
    ]


def _photos_lines(section: dict[str, Any]) -> list[str]:
    rows = [
        [f"{r['threshold']:.0f}", f"{r['tar']:.1%}", f"{r['far']:.2%}"] for r in section["rates"]
    ]
    found = section["detection"]
    return [
        f"This measures {section['measures']}. {section['genuine_pairs']} genuine pairs, "
        f"{section['impostor_pairs']} impostor pairs.",
        "",
        *_table(["similarity threshold", "TAR", "FAR"], rows),
        f"Detection on the group photos: {found['hits']} of {found['faces']} faces found "
        f"({found['recall']:.0%}), {found['misses']} missed, {found['false_faces']} false faces.",
        "",
        *[f"- {n}" for n in section.get("notes", [])],
        "",
    ]


def _accuracy_lines(section: dict[str, Any]) -> list[str]:
    lines = [
        f"{len(section['people'])} people, {section['enroll_photos_per_person']} enrollment "
        f"photos each; {section['genuine_probes']} held-out genuine probes, "
        f"{section['stranger_probes']} leave-one-out stranger probes.",
        "",
    ]
    lines += [
        f"TAR at {section['default_threshold']:.0f}: {section['tar_at_default']:.1%} of all "
        f"genuine probes; {section['tar_at_default_face_found']:.1%} of those in which the face "
        f"service found a face ({section['genuine_without_face']} had none). FAR counts the "
        f"{section['stranger_probes_with_face']} stranger probes with a detected face.",
        "",
    ]
    if section.get("not_enrolled"):
        lines += [f"Not enrolled (no face indexed): {', '.join(section['not_enrolled'])}.", ""]
    shown = {70, 80, 85, 88, 90, 92, 95, 97, 99}
    rows = [
        [f"{p['threshold']:.0f}", f"{p['tar']:.1%}", f"{p['far']:.1%}", str(p["misidentified"])]
        for p in section["roc"]
        if int(p["threshold"]) in shown
    ]
    lines += _table(["threshold", "TAR", "FAR", "misidentified"], rows)
    stats = section.get("similarity_stats", {})
    if stats:
        lines += [", ".join(f"{k} {v:.1f}" for k, v in stats.items()), ""]
    return lines


def _latency_lines(section: dict[str, Any]) -> list[str]:
    rows = [
        [
            "edge event -> email in SES",
            str(section["events"]),
            f"{section['p50_seconds']:.2f} s",
            f"{section['p95_seconds']:.2f} s",
            f"{section['max_seconds']:.2f} s",
        ]
    ]
    handler = section.get("analyze_handler")
    if handler:
        rows.append(
            [
                "analyze handler per frame",
                str(handler["frames"]),
                f"{handler['p50_ms']:.0f} ms",
                f"{handler['p95_ms']:.0f} ms",
                f"{handler['max_ms']:.0f} ms",
            ]
        )
    return (
        _table(["what", "n", "p50", "p95", "max"], rows)
        + [f"- {n}" for n in section.get("notes", [])]
        + [""]
    )


def _costs_lines(section: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["pipeline"],
            f"{r['uploads_per_day']:.0f}" if r["pipeline"] != "24/7 streaming" else "-",
            f"${r['rekognition_usd']:.2f}",
            f"${r['usd_per_month']:.2f}",
        ]
        for r in section["rows"]
    ]
    note = f"Prices as of {section['prices_as_of']} ({section['region']}); {section['assumption']}."
    header = ["pipeline", "uploads/day", "Rekognition/month", "total/month"]
    return [*_table(header, rows), note, ""]


def _load_lines(section: dict[str, Any]) -> list[str]:
    rows = [
        [
            name,
            str(run["concurrency"]),
            f"{run['frames_per_second']:.2f}",
            str(run["lost"]),
            str(run["duplicates"]),
            str(run["dlq_depth"]),
            f"{run['mails']} / {run['mail_allowance']}",
            f"{run['cpu_ms_per_frame']:.0f}" if "cpu_ms_per_frame" in run else "-",
            f"{run['cores_busy']:.2f}" if "cores_busy" in run else "-",
        ]
        for name, run in section["runs"].items()
    ]
    lines = [
        f"{section['frames']} frames from {section['cameras']} cameras through a fresh "
        "localcloud per run.",
        "",
        *_table(
            [
                "router",
                "concurrency",
                "frames/s",
                "lost",
                "duplicates",
                "DLQ",
                "mails / cooldown allows",
                "CPU ms per frame",
                "cores busy",
            ],
            rows,
        ),
        f"Speed-up {section['speed_up']:.2f}x"
        + (
            f"; at most {section['speed_up_ceiling']:.2f}x on this machine (every core busy "
            "at the concurrent run's CPU per frame)."
            if section.get("speed_up_ceiling")
            else "."
        ),
    ]
    restart = section.get("restart")
    if restart:
        lines += [
            "",
            f"Restart: {restart['events_stored']} events stored, {restart['queued_at_stop']} "
            f"frames queued at the stop; stopped in {restart['stop_seconds']:.2f} s, started "
            f"again in {restart['restart_seconds']:.2f} s with {restart['events_after_restart']} "
            f"events; afterwards lost {restart['after_lost']}, duplicates "
            f"{restart['after_duplicates']}, DLQ {restart['after_dlq_depth']}.",
        ]
    return [*lines, "", *[f"- {note}" for note in section.get("notes", [])], ""]


def markdown(results: dict[str, Any], verdicts: list[Verdict]) -> str:
    meta = results.get("meta", {})
    passed = sum(1 for v in verdicts if v.status == PASS)
    lines = [
        "# Doorman benchmark",
        "",
        f"Run {meta.get('started_at', '?')}, {meta.get('duration_seconds', 0):.0f} s, "
        f"{meta.get('cpus', '?')} CPUs. Load average {meta.get('load_start', '?')} at the "
        f"start, up to {meta.get('load_during_throughput', '-')} during the throughput runs "
        f"(which add about 1 themselves), {meta.get('load_end', '?')} at the end. "
        f"Machine: {meta.get('cpu_model', '?')}. Command: `{meta.get('command', '?')}`."
        + (" **Measured under load: timings are pessimistic.**" if meta.get("under_load") else "")
        + (" Quick mode (short runs)." if meta.get("quick") else ""),
        "",
        f"## Targets: {passed}/{len(verdicts)} pass",
        "",
        *targets_table(verdicts),
    ]
    sections = (
        ("Throughput (one pinned core)", "throughput", _throughput_lines),
        ("Uploads and recall (whole scenario set)", "uploads", _uploads_lines),
        ("Face detection on real photos (edge detectors)", "detection", _detection_lines),
        ("Real photos through the local face service (not Rekognition)", "photos", _photos_lines),
        ("Recognition accuracy (face service)", "accuracy", _accuracy_lines),
        ("End-to-end latency (localcloud)", "latency", _latency_lines),
        ("Cost per camera-month", "costs", _costs_lines),
        ("Load (localcloud, 20 cameras)", "load", _load_lines),
    )
    for title, key, render in sections:
        lines += [f"## {title}", ""]
        if key in results:
            lines += render(results[key])
        else:
            error = results.get("errors", {}).get(key, "not run")
            lines += [f"Not measured: {error}", ""]
    plots = results.get("plots", [])
    if plots:
        lines += ["## Plots", ""] + [f"![{Path(p).stem}]({Path(p).name})" for p in plots] + [""]
    return "\n".join(lines)


def write_markdown(results: dict[str, Any], verdicts: list[Verdict], out_dir: Path) -> Path:
    path = out_dir / "latest.md"
    path.write_text(markdown(results, verdicts))
    return path


# --- plots --------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_throughput(section: dict[str, Any], path: Path) -> Path:
    """Frames per second by scene and pipeline (gated and full-decode Doorman side by side),
    and, beside it, how many quiet cameras one core keeps up with."""
    plt = _pyplot()
    runs = section["runs"]
    groups = sorted({(r["scene"], r["resolution"]) for r in runs}, key=lambda k: (k[1], k[0]))
    cameras = section.get("cameras")
    fig, axes = plt.subplots(
        1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [4, 1]}, squeeze=False
    )
    ax, side = axes[0]
    width = 0.8 / len(PIPELINE_ORDER)
    for n, pipeline in enumerate(PIPELINE_ORDER):
        values = [
            next(
                (
                    r["fps"]
                    for r in runs
                    if (r["pipeline"], r["scene"], r["resolution"]) == (pipeline, *g)
                ),
                0.0,
            )
            for g in groups
        ]
        xs = [i + (n - (len(PIPELINE_ORDER) - 1) / 2) * width for i in range(len(groups))]
        label = "doorman (keyframe-gated)" if pipeline == "doorman" else pipeline
        bars = ax.bar(xs, values, width, label=label)
        ax.bar_label(bars, labels=[f"{v:.0f}" for v in values], fontsize=6)
    ax.axhline(
        BUSY_FPS, color="grey", linestyle="--", linewidth=0.8, label=f"busy {BUSY_FPS:g} fps target"
    )
    ax.set_xticks(range(len(groups)), [f"{s} {r}" for s, r in groups], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("frames of video per second (one core, log scale)")
    ax.set_title("Edge throughput, with and without keyframe gating")
    ax.legend(fontsize=7)
    if cameras:
        kept = [cameras["one"]["fps"] / cameras["camera_fps"], cameras["cameras_per_core"]]
        bars = side.bar(["1 camera", f"{cameras['cameras']} cameras"], kept, color="tab:blue")
        side.bar_label(bars, labels=[f"{v:.0f}" for v in kept], fontsize=8)
        side.axhline(
            CAMERAS_PER_CORE,
            color="grey",
            linestyle="--",
            linewidth=0.8,
            label=f"{CAMERAS_PER_CORE:g} target",
        )
        side.set_title(f"{cameras['camera_fps']} fps quiet cameras\nper core", fontsize=9)
        side.set_ylabel("cameras kept up with in real time")
        side.legend(fontsize=7)
    else:
        side.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_roc(section: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    points = section["roc"]
    default = section["default_threshold"]
    thresholds = [p["threshold"] for p in points]
    fig, (scores, rates, curve) = plt.subplots(1, 3, figsize=(13, 4.2))
    genuine = [r["similarity"] for r in section["genuine"] if r["face_found"]]
    strangers = [r["similarity"] for r in section["strangers"] if r["face_found"]]
    bins = [x / 2 for x in range(0, 201, 4)]
    scores.hist(strangers, bins=bins, alpha=0.7, label=f"strangers (n={len(strangers)})")
    scores.hist(genuine, bins=bins, alpha=0.7, label=f"genuine (n={len(genuine)})")
    scores.axvline(default, color="grey", linestyle="--", linewidth=0.8, label="default 90")
    scores.set_xlabel("best-match similarity")
    scores.set_ylabel("probes")
    scores.set_title("Similarity of the best match")
    scores.legend(fontsize=8)
    rates.plot(thresholds, [p["tar"] for p in points], marker=".", label="TAR (genuine)")
    rates.plot(thresholds, [p["far"] for p in points], marker=".", label="FAR (strangers)")
    rates.axvline(default, color="grey", linestyle="--", linewidth=0.8)
    rates.set_xlabel("similarity threshold")
    rates.set_ylabel("rate")
    rates.set_ylim(-0.02, 1.02)
    rates.set_title("Accept rates by threshold")
    rates.legend(fontsize=8)
    curve.plot([p["far"] for p in points], [p["tar"] for p in points], marker="o")
    labelled: set[tuple[float, float]] = set()
    for p in points:
        spot = (p["far"], p["tar"])
        if spot not in labelled:  # one label per distinct point: the lowest threshold
            labelled.add(spot)
            curve.annotate(
                f"{p['threshold']:.0f}",
                spot,
                fontsize=7,
                xytext=(3, -10),
                textcoords="offset points",
            )
    curve.set_xlabel("false accept rate")
    curve.set_ylabel("true accept rate")
    curve.set_xlim(-0.02, 1.02)
    curve.set_ylim(-0.02, 1.02)
    curve.set_title("ROC, thresholds 70-99 (labels: threshold)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_uploads(section: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    from matplotlib.ticker import ScalarFormatter

    totals = section["totals"]
    names = [n for n in UPLOAD_ORDER if n in totals]
    counts = [totals[n]["uploads"] for n in names]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    colors = {"doorman": "C0", "naive": "C1"}
    bars = ax.bar(
        names,
        [max(c, 1) for c in counts],  # log scale: an empty bar still shows
        color=[colors.get(n, "C7") for n in names],
    )
    labels = [
        f"{totals[n]['uploads']} uploads\nrecall {totals[n]['recall']:.0%}\n"
        f"{totals[n]['uploads_without_person']} without a person"
        for n in names
    ]
    ax.bar_label(bars, labels=labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(1, max(*counts, 1) * 4)
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_ylabel("uploads over the scenario set (log scale)")
    ax.set_title("What each pipeline sends to the cloud")
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_plots(results: dict[str, Any], out_dir: Path) -> list[Path]:
    plots = []
    if "throughput" in results:
        plots.append(plot_throughput(results["throughput"], out_dir / "throughput.png"))
    if "accuracy" in results:
        plots.append(plot_roc(results["accuracy"], out_dir / "roc.png"))
    if "uploads" in results:
        plots.append(plot_uploads(results["uploads"], out_dir / "uploads.png"))
    return plots
