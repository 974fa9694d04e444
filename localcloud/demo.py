"""`python -m localcloud.demo` (`make demo`, `doorman demo`): Doorman end to end, locally.

1. Generates door-camera scenes with ground truth (scenes.scenarios): a known person (Grace
   Hopper), a barred person (Eileen Collins), a stranger, and distractors (a passing car,
   lights switching).
2. Starts LocalCloud: moto, the face service, the stack's resources, and the enroll,
   analyze and notify handlers on their queues.
3. Enrolls Grace Hopper (known) and Eileen Collins (barred) by uploading tagged photos to
   the faces bucket, through the real enroll handler.
4. Runs `doorman watch` on each scene, one camera each, uploading to the local S3.
5. Waits for the queues to drain, prints who was seen and which alerts went out (the
   emails moto received), checks all of it against the ground truth, and writes an HTML
   report to demo-report/.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from core.strangers import short_id

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

REPO = Path(__file__).resolve().parents[1]
FACES = REPO / "assets" / "faces"
# The handlers log JSON and metrics like they do in Lambda; the demo prints its own summary.
QUIET_FUNCTIONS = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}


@dataclass(frozen=True)
class Enrollee:
    identity: str  # the scenario's identity (sample photo stem)
    name: str
    watchlist: str
    photo: Path


ENROLLEES = (
    Enrollee("grace_hopper", "Grace Hopper", "known", FACES / "grace_hopper.jpg"),
    Enrollee("astronaut", "Eileen Collins", "barred", FACES / "astronaut.png"),
)


@dataclass(frozen=True)
class Camera:
    camera_id: str
    scenario: str
    seconds: float | None = None


# Who is where: Grace at the front door; Eileen with a stranger in the garden; the same
# stranger alone at the side gate; a car in the street and the porch lights: nobody.
FULL = (
    Camera("front-door", "one_person", 6.0),
    Camera("garden", "two_people", 7.0),
    Camera("side-gate", "empty_stretch", 6.0),
    Camera("street", "car", 4.0),
    Camera("porch", "lighting_change", 3.0),
)
SHORT = (
    Camera("front-door", "one_person", 5.0),
    Camera("garden", "two_people", 6.0),
    Camera("street", "car", 3.0),
)


@dataclass
class Expected:
    """What the ground truth says each camera should report."""

    who: dict[str, set[str]] = field(default_factory=dict)  # camera -> labels
    critical: set[str] = field(default_factory=set)  # cameras that must send a critical alert
    warning: set[str] = field(default_factory=set)  # cameras that may send a warning alert
    # The cooldown (300 s) outlasts the demo and each alert claims a slot per identity it
    # reports (a barred person, or "unknown" for all strangers): a camera sends at most one
    # alert per slot, and exactly one critical email per barred person.
    slots: dict[str, int] = field(default_factory=dict)  # camera -> identities owed an alert
    critical_emails: int = 0
    # Cameras that show one and the same stranger (the same scene person, nobody enrolled):
    # Doorman must remember them as one stranger (core.strangers), seen at each of them.
    same_stranger: list[set[str]] = field(default_factory=list)


def expected_from_truth(truths: dict[str, Truth]) -> Expected:
    by_identity = {e.identity: e for e in ENROLLEES}
    expected = Expected()
    strangers: dict[str, set[str]] = {}  # camera -> the unenrolled people showing a face
    for camera, truth in truths.items():
        strangers[camera] = {
            p["identity"]
            for p in truth["people"]
            if p.get("face_boxes") and p["identity"] not in by_identity
        }
        labels = set()
        for person in truth["people"]:
            if not person.get("face_boxes"):
                continue  # never showed a face
            enrollee = by_identity.get(person["identity"])
            labels.add(enrollee.name if enrollee else "stranger")
            if not enrollee:
                expected.warning.add(camera)
        barred = {e.name for e in ENROLLEES if e.watchlist == "barred"} & labels
        if barred:
            expected.critical.add(camera)
        expected.critical_emails += len(barred)
        expected.slots[camera] = len(barred) + (camera in expected.warning)
        expected.who[camera] = labels
    # Only where each camera shows that one stranger, so every stranger face there is them.
    for identity in sorted(set().union(*strangers.values())):
        cameras = {c for c, ids in strangers.items() if ids == {identity}}
        if len(cameras) > 1:
            expected.same_stranger.append(cameras)
    return expected


def stranger_ids(events: list[Any], cameras: set[str]) -> dict[str, set[str]]:
    """camera -> the remembered stranger ids its events show."""
    found: dict[str, set[str]] = {camera: set() for camera in cameras}
    for event in events:
        if event.camera_id in cameras:
            found[event.camera_id] |= {f.stranger_id for f in event.faces if f.stranger_id}
    return found


@dataclass
class Seen:
    camera: str
    time: str
    who: str
    watchlist: str
    similarity: float | None
    severity: str
    alert: str


def rows_from_events(events: list[Any]) -> list[Seen]:
    rows = []
    for event in events:
        faces = [f for f in event.faces if f.status != "too-small"] or [None]
        for face in faces:
            rows.append(
                Seen(
                    camera=event.camera_id,
                    time=event.captured_at[11:19],
                    who=face.label if face else (event.who if event.labels else "no face"),
                    watchlist=(face.status if face and face.status != "stranger" else "-"),
                    similarity=face.similarity if face else None,
                    severity=event.severity,
                    alert="yes" if event.alerted else event.alert_status.replace("none", "no"),
                )
            )
    return rows


def strangers_across_cameras(events: list[Any]) -> list[str]:
    """One line per remembered stranger seen at more than one camera."""
    cameras: dict[str, list[str]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.captured_at):
        for face in event.faces:
            if face.stranger_id and event.camera_id not in cameras[face.stranger_id]:
                cameras[face.stranger_id].append(event.camera_id)
    return [
        f"The same stranger ({label}) was seen at {' and '.join(where)}: one stranger, "
        "remembered, not two unrelated unknown people."
        for stranger_id, where in cameras.items()
        if len(where) > 1
        for label in [f"stranger {short_id(stranger_id)}"]
    ]


def check(expected: Expected, events: list[Any], emails: list[dict[str, Any]]) -> list[str]:
    """Differences between what happened and the ground truth; empty means it matches."""
    problems = []
    seen: dict[str, set[str]] = defaultdict(set)
    for event in events:  # a remembered stranger's label names it: "stranger 7f3a"
        seen[event.camera_id].update(
            "stranger" if f.status == "stranger" else f.label
            for f in event.faces
            if f.status != "too-small"
        )
    for camera, labels in expected.who.items():
        if seen.get(camera, set()) != labels:
            problems.append(
                f"{camera}: expected {sorted(labels) or 'nobody'}, saw {sorted(seen[camera])}"
            )
    for camera in set(seen) - set(expected.who):
        problems.append(f"{camera}: not a demo camera")
    sent, per_camera = defaultdict(set), Counter(e.camera_id for e in events if e.alerted)
    for event in events:
        if event.alerted:
            sent[event.severity].add(event.camera_id)
    for camera, count in sorted(per_camera.items()):
        if count > expected.slots.get(camera, 0):
            problems.append(
                f"{camera}: {count} alerts, at most {expected.slots.get(camera, 0)} expected"
            )
    if sent["critical"] != expected.critical:
        problems.append(
            f"critical alerts from {sorted(sent['critical'])}, expected {sorted(expected.critical)}"
        )
    if not sent["warning"] <= expected.warning:
        problems.append(f"warning alerts from {sorted(sent['warning'] - expected.warning)}")
    # A stranger without a barred person next to them is a warning (the demo is armed).
    if missing := (expected.warning - expected.critical) - sent["warning"]:
        problems.append(f"no warning alert from {sorted(missing)}")
    for cameras in expected.same_stranger:
        ids = stranger_ids(events, cameras)
        every = set().union(*ids.values())
        if len(every) != 1 or not all(ids.values()):
            shown = ", ".join(f"{c}: {sorted(i) or 'none'}" for c, i in sorted(ids.items()))
            problems.append(f"the same stranger should be one remembered stranger ({shown})")
    alert_events = sum(1 for e in events if e.alerted)
    if len(emails) != alert_events:
        problems.append(f"{len(emails)} emails for {alert_events} alerts")
    critical = [m for m in emails if email_severity(m) == "critical"]
    if len(critical) != expected.critical_emails:
        problems.append(f"{len(critical)} critical emails, expected {expected.critical_emails}")
    if [m for m in critical if len(_recipients(m)) < 2]:
        problems.append("a critical email did not reach the authorities")
    return problems


def email_severity(message: dict[str, Any]) -> str:
    """notify's subjects read "Doorman {severity}: {headline}"."""
    subject = str(message.get("subject", ""))
    return subject.removeprefix("Doorman ").split(":", 1)[0] if ":" in subject else ""


def _recipients(message: dict[str, Any]) -> list[str]:
    destinations = message.get("destinations") or {}
    return [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
            for a in destinations.get(kind, [])]  # fmt: skip


def sent_emails(moto_url: str) -> list[dict[str, Any]]:
    """What moto's SES received (server mode keeps them at /moto-api/data.json)."""
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=10) as response:  # noqa: S310 (local moto)
        data = json.load(response)
    return list(data.get("ses", {}).get("Message", []))


# A scene's ground truth, as scenes.scenarios writes it; camera -> (video, truth).
Truth = dict[str, Any]
Scenes = dict[str, tuple[Path, Truth]]


# -- steps ------------------------------------------------------------------------------------
def generate_scenes(cameras: tuple[Camera, ...], out: Path) -> Scenes:
    from scenes.scenarios import generate

    scenes: Scenes = {}
    for camera in cameras:
        video, truth = generate(
            camera.scenario, out / camera.camera_id, "720p", seconds=camera.seconds
        )
        scenes[camera.camera_id] = (video, json.loads(truth.read_text()))
    return scenes


def watch(camera: str, video: Path, bucket: str, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """`doorman watch VIDEO --camera-id CAMERA` in its own process, uploading to `bucket`."""
    summary = work / f"{camera}-summary.json"
    child_env = {
        **os.environ,
        **env,
        "DOORMAN_UPLOAD__BUCKET": bucket,
        "DOORMAN_SPOOL__DIR": str(work / f"spool-{camera}"),
    }
    argv = [sys.executable, "-c", "from cli import main; main()", "watch", str(video),
            "--camera-id", camera, "--no-progress", "--log-level", "WARNING",
            "--summary-json", str(summary)]  # fmt: skip
    done = subprocess.run(argv, env=child_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"doorman watch ({camera}) failed: {done.stderr.strip()[-2000:]}")
    counters: dict[str, Any] = json.loads(summary.read_text())
    return counters


@dataclass
class DemoResult:
    events: list[Any]
    emails: list[dict[str, Any]]
    problems: list[str]
    seconds: float
    report: Path
    uploads: dict[str, int]


def run_demo(
    short: bool = False,
    report_dir: Path = Path("demo-report"),
    work_dir: Path | None = None,
    out: Console | None = None,
) -> DemoResult:
    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig
    from localcloud.services import apply_env, restore_env

    out = out or Console()
    started = time.monotonic()
    step = _stepper(out, started)
    cameras = SHORT if short else FULL
    work = Path(work_dir or tempfile.mkdtemp(prefix="doorman-demo-"))

    step(f"generating {len(cameras)} scenes in {work}, starting LocalCloud meanwhile")
    with ExitStack() as stack:
        stack.callback(restore_env, apply_env(QUIET_FUNCTIONS))
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        generating = pool.submit(generate_scenes, cameras, work / "scenes")
        # moto keeps its state per process: a prefix of its own keeps this run apart.
        config = LocalConfig(
            prefix=f"doorman-demo-{secrets.token_hex(3)}",
            cameras=tuple(camera.camera_id for camera in cameras),  # analyze rejects others
        )
        cloud = stack.enter_context(LocalCloud(config, data_dir=work / "cloud"))
        scenes = generating.result()
        # From here on boto3, the operator code and `doorman watch` talk to localcloud.
        stack.callback(restore_env, apply_env(cloud.env()))
        found, emails, index, uploads = _run_in_cloud(cloud, scenes, work, report_dir, out, step)
    expected = expected_from_truth({camera: truth for camera, (_, truth) in scenes.items()})
    problems = check(expected, found, emails)
    step("done")
    return DemoResult(found, emails, problems, time.monotonic() - started, index, uploads)


def _run_in_cloud(
    cloud: LocalCloud,
    scenes: Scenes,
    work: Path,
    report_dir: Path,
    out: Console,
    step: Callable[[str], None],
) -> tuple[list[Any], list[dict[str, Any]], Path, dict[str, int]]:
    from adapters.discovery import Target
    from ops import events, people, report

    env = cloud.env()
    endpoints = {k: v for k, v in env.items() if k.startswith("AWS_ENDPOINT_URL")}
    target = Target(cloud.resources, f"localcloud {cloud.data_dir}", endpoints=endpoints)
    earlier = {m.get("id") for m in sent_emails(cloud.moto_url)}  # other clouds in-process

    step("LocalCloud is up (moto, face service, enroll/analyze/notify on their queues)")
    step("enrolling Grace Hopper (known) and Eileen Collins (barred): tagged uploads")
    uploads = [people.upload_photo(target, e.photo, e.name, e.watchlist) for e in ENROLLEES]
    for result in people.wait_for_enrollment(target, uploads, timeout=90):
        out.print(f"    s3://…/{result.key}: enrollment={result.outcome}")
        if not result.ok:
            raise RuntimeError(f"enrollment of {result.key} failed: {result.outcome}")

    step("running `doorman watch` on each camera's scene (uploads to the local S3)")
    bucket = cloud.resources.uploads_bucket
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            camera: pool.submit(watch, camera, video, bucket, work, env)
            for camera, (video, _) in scenes.items()
        }
        summaries = {camera: f.result() for camera, f in futures.items()}
    uploaded = {camera: int(s.get("uploads", 0)) for camera, s in summaries.items()}
    out.print("    frames uploaded: " + ", ".join(f"{c} {n}" for c, n in uploaded.items()))

    step("waiting for the queues to drain")
    cloud.drain(timeout=120)
    found = events.list_events(target)
    emails = [m for m in sent_emails(cloud.moto_url) if m.get("id") not in earlier]
    data = report.ReportData(
        events=found, counts=report.sighting_counts(target), origin="doorman demo (localcloud)"
    )
    index = report.write_report(target, data, report_dir)
    return found, emails, index, uploaded


def _stepper(out: Console, started: float) -> Callable[[str], None]:
    def step(message: str) -> None:
        out.print(f"[dim]{time.monotonic() - started:6.1f}s[/dim] [bold]{message}[/bold]")

    return step


def reasons_table(events: list[Any]) -> Table:
    """Each event's alert rule (core/rules.py) and why its unknown faces were not named
    (core.face_quality), in a table of their own so the first one stays narrow."""
    table = Table(title="Rule and reason per event")
    for column in ("camera", "time (UTC)", "rule that decided", "why unknown"):
        table.add_column(column)
    for event in events:
        why = "; ".join(dict.fromkeys(f.why_unknown for f in event.faces if f.why_unknown))
        table.add_row(
            event.camera_id,
            event.captured_at[11:19],
            event.rule or f"none ({event.alert_status})",
            why or "-",
        )
    return table


def print_result(result: DemoResult, out: Console) -> None:
    table = Table(title="What Doorman saw")
    for column in ("camera", "time (UTC)", "who", "watchlist", "similarity", "severity",
                   "alert sent"):  # fmt: skip
        table.add_column(column)
    colours = {"critical": "red", "warning": "yellow", "info": "green"}
    for row in rows_from_events(result.events):
        colour = colours.get(row.severity, "white")
        table.add_row(
            row.camera,
            row.time,
            row.who,
            row.watchlist,
            f"{row.similarity:.1f}" if row.similarity is not None else "-",
            f"[{colour}]{row.severity}[/{colour}]",
            row.alert,
        )
    out.print(table)
    out.print(reasons_table(result.events))
    for line in strangers_across_cameras(result.events):
        out.print(line)
    mail = Table(title="Emails sent (moto SES)")
    mail.add_column("subject")
    mail.add_column("to")
    for message in result.emails:
        mail.add_row(str(message.get("subject", "")), ", ".join(_recipients(message)))
    out.print(mail)
    if result.problems:
        out.print("[red bold]Does NOT match the ground truth:[/red bold]")
        for problem in result.problems:
            out.print(f"  [red]- {problem}[/red]")
    else:
        out.print(
            "[green bold]Matches the ground truth[/green bold]: every person on the right "
            "camera, the right alerts, nothing from the distractors."
        )
    out.print(f"Report: {result.report.resolve()}  (open it in a browser)")
    out.print(f"Demo wall time: {result.seconds:.1f} s")


@click.command(name="demo")
@click.option("--short", is_flag=True, help="Fewer, shorter scenes (for tests).")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-report"),
    show_default=True,
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep scenes, spools and the local cloud's data here.",
)
def demo(short: bool, report_dir: Path, work_dir: Path | None) -> None:
    """Run the whole pipeline locally on generated scenes and print who was seen."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    out = Console(width=None if sys.stdout.isatty() else 140)
    result = run_demo(short=short, report_dir=report_dir, work_dir=work_dir, out=out)
    print_result(result, out)
    if result.problems:
        raise SystemExit(1)


if __name__ == "__main__":
    demo()
