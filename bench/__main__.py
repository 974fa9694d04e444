"""`python -m bench` (what `make bench` runs): Doorman against its baselines, in one run.

Sections: throughput (one pinned core, with and without keyframe gating, and many cameras
in one process), uploads and recall (scenario set), detection (HOG vs YuNet on the
CompreFace photos), photos (the local face service on them), recognition accuracy (face
service), end-to-end latency (localcloud in its own process), cost per camera-month, load
(1,000 frames from 20 cameras through localcloud, sequential vs concurrent router, and a
stop and restart with frames queued). Writes
bench/results/latest.json, latest.md and the PNG plots, and prints every target with
PASS or FAIL. The exit status is 1 when a target fails or is not measured (`--no-strict`
reports without failing) and when a section crashes (the others still run). `--quick`
shortens everything for development.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bench import report
from bench.targets import FAIL, MISSING, PASS, all_passed, evaluate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SECTIONS = (
    "throughput",
    "uploads",
    "detection",
    "photos",
    "accuracy",
    "latency",
    "costs",
    "load",
)
UNDER_LOAD = 1.0  # load average (2 cores) from others above which timings are suspect
THROUGHPUT_OWN_LOAD = 1.0  # what the pinned measurement adds itself


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs for development")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    parser.add_argument("--latency-events", type=int, default=None, help="default 50 (10 quick)")
    parser.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="exit 1 when a target fails (default); --no-strict reports without failing",
    )
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return args


def _meta() -> dict[str, Any]:
    import cv2

    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class Sections:
    """Runs sections, keeping going when one fails; collects results and errors."""

    def __init__(self, progress: Progress, results: dict[str, Any]) -> None:
        self.progress = progress
        self.results = results

    def section(self, name: str, total: int, work: Callable[[Callable[[], None]], Any]) -> Any:
        task: TaskID = self.progress.add_task(name, total=total)

        def tick() -> None:
            self.progress.advance(task)

        started = time.monotonic()
        try:
            value = work(tick)
        except Exception as exc:
            self.results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            self.results.setdefault("tracebacks", {})[name] = traceback.format_exc()
            self.progress.update(task, description=f"[red]{name} failed")
            return None
        finally:
            self.results.setdefault("section_seconds", {})[name] = round(
                time.monotonic() - started, 1
            )
        self.progress.update(task, completed=total)
        return value


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    from bench import (
        accuracy,
        costs,
        detection,
        latency,
        load,
        real_photos,
        scenes,
        throughput,
        uploads,
    )

    results: dict[str, Any] = {"meta": {**_meta(), "quick": args.quick}}
    wanted = set(args.sections)
    started = time.monotonic()
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        step = Sections(progress, results)
        videos = None
        if wanted & {"throughput", "uploads", "costs"}:
            videos = step.section(
                "scenarios",
                scenes.video_count(),
                lambda tick: scenes.prepare(args.quick, on_ready=tick),
            )
        if "throughput" in wanted and videos is not None:
            loads: list[float] = []

            def sampled(tick: Callable[[], None]) -> Callable[[], None]:
                def tick_and_sample() -> None:
                    loads.append(os.getloadavg()[0])
                    tick()

                return tick_and_sample

            section = step.section(
                "throughput",
                throughput.measurement_count(len(videos.throughput)),
                lambda tick: throughput.run_all(videos.throughput, args.quick, sampled(tick)),
            )
            if loads:
                results["meta"]["load_during_throughput"] = round(max(loads), 2)
            if section is not None:
                results["throughput"] = section
        face_jpegs: list[bytes] = []
        if wanted & {"uploads", "costs"} and videos is not None:
            outcome = step.section(
                "uploads",
                2 * len(videos.uploads),  # Doorman and the baselines per scenario
                lambda tick: uploads.run(videos.uploads, tick),
            )
            if outcome is not None:
                results["uploads"], face_jpegs = outcome
        if "detection" in wanted:
            section = step.section("detection", detection.count(), detection.run)
            if section is not None:
                results["detection"] = section
        if "photos" in wanted:
            section = step.section("photos", real_photos.count(), real_photos.run)
            if section is not None:
                results["photos"] = section
        if "accuracy" in wanted:
            probes = 3 if args.quick else accuracy.PROBES_PER_PERSON
            count = accuracy.search_count(len(accuracy.sample_people()), probes)
            section = step.section(
                "accuracy", count, lambda tick: accuracy.run(tick, probes=probes)
            )
            if section is not None:
                results["accuracy"] = section
        if "latency" in wanted:
            events = args.latency_events or (10 if args.quick else latency.EVENTS)
            frames = face_jpegs or [latency.sample_frame()]
            section = step.section(
                "latency", events, lambda tick: latency.run(frames, events, tick)
            )
            if section is not None:
                section["frames_from"] = (
                    "Doorman face events of the scenario set" if face_jpegs else "sample frame"
                )
                results["latency"] = section
        if "load" in wanted:
            section = step.section(
                "load", load.upload_count(args.quick), lambda tick: load.run(args.quick, tick)
            )
            if section is not None:
                results["load"] = section
        if "costs" in wanted and "uploads" in results:
            section = step.section("costs", 1, lambda tick: costs.camera_month(results["uploads"]))
            if section is not None:
                results["costs"] = section
    meta = results["meta"]
    meta["duration_seconds"] = round(time.monotonic() - started, 1)
    meta["load_end"] = round(os.getloadavg()[0], 2)
    # The pinned child itself adds about 1 to the load average while throughput runs.
    meta["under_load"] = meta.get("load_during_throughput", 0) > UNDER_LOAD + THROUGHPUT_OWN_LOAD
    return results


def _print_summary(console: Console, results: dict[str, Any], verdicts: list) -> None:
    styles = {PASS: "green", FAIL: "red", MISSING: "yellow"}
    table = Table(title="Doorman benchmark targets", show_lines=False)
    for column in ("result", "target", "goal", "measured", "baseline", "note"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        table.add_row(
            f"[{styles[v.status]}]{v.status}[/]", v.name, v.target, v.value, v.baseline, v.detail
        )
    console.print(table)
    meta = results["meta"]
    if meta.get("under_load"):
        console.print(
            f"[yellow]Measured under load: load average up to "
            f"{meta.get('load_during_throughput', '-')} during the throughput runs (which add "
            "about 1 themselves), on 2 cores; timings are pessimistic.[/]"
        )
    for name, error in results.get("errors", {}).items():
        console.print(f"[red]{name} failed:[/] {error}")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    # The file is fixed now: latency redirects sys.stdout to keep handler logs off screen.
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 150)
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(args, console)
    verdicts = evaluate(results)
    results["targets"] = [v.as_dict() for v in verdicts]
    try:
        results["plots"] = [str(p) for p in report.write_plots(results, args.out)]
    except Exception as exc:  # a plot must not cost the numbers
        results.setdefault("errors", {})["plots"] = f"{type(exc).__name__}: {exc}"
    json_path = report.write_json(results, args.out)
    md_path = report.write_markdown(results, verdicts, args.out)
    _print_summary(console, results, verdicts)
    console.print(f"Results: {json_path}  Summary: {md_path}")
    if results.get("errors"):
        return 1
    if not args.strict:
        return 0
    # A target left unmeasured fails a full run; with --only, only what ran is judged.
    judged = (
        verdicts
        if set(args.sections) == set(SECTIONS)
        else [v for v in verdicts if v.status != MISSING]
    )
    return 0 if all_passed(judged) else 1


if __name__ == "__main__":
    sys.exit(main())
