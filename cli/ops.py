"""Operator commands: enroll, people, forget, events, arm/disarm, stream, cost, report.

Each command finds its Doorman through the stack's CloudFormation outputs (`--stack`,
DOORMAN_STACK, default "Doorman") or a localcloud directory (`--local`, `--local-dir`,
DOORMAN_LOCAL_DIR). Errors are one readable line and exit status 1.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Column, Table

from adapters.discovery import (
    LOCAL_DIR_ENV,
    STACK_ENV,
    DiscoveryError,
    Target,
    resolve,
)
from cli.common import json_text, plain, printable
from core import cost
from core.rules import MODES, RulesRefused, mode_of
from ops import control, events, forget, people, report, rules, search, strangers
from ops.people import OperatorError


def console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --stack/--local/--local-dir and passes a resolved `target` instead."""

    @click.option("--stack", envvar=STACK_ENV, help=f"CloudFormation stack [env {STACK_ENV}].")
    @click.option("--local", is_flag=True, help="Use localcloud instead of AWS.")
    @click.option(
        "--local-dir",
        envvar=LOCAL_DIR_ENV,
        type=click.Path(file_okay=False, path_type=Path),
        help=f"localcloud data directory (has resources.json) [env {LOCAL_DIR_ENV}].",
    )
    @functools.wraps(command)
    def wrapper(stack: str | None, local: bool, local_dir: Path | None, **kwargs: Any) -> Any:
        try:
            target = resolve(stack=stack, local_dir=local_dir, local=local)
            return command(target=target, **kwargs)
        except (DiscoveryError, OperatorError, ValueError) as exc:
            raise click.ClickException(printable(exc)) from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise click.ClickException(
                printable(
                    f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}"
                )
            ) from exc
        except BotoCoreError as exc:
            raise click.ClickException(printable(f"cannot reach AWS: {exc}")) from exc

    return wrapper


# -- enroll / people / forget -------------------------------------------------------------
@click.command()
@click.argument("photos", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--name", required=True, help='Display name, any Unicode ("José Núñez").')
@click.option(
    "--watchlist",
    type=click.Choice(["known", "barred"]),
    default="known",
    show_default=True,
    help="known: family, staff. barred: alert on sight.",
)
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait.")
@click.option("--no-wait", is_flag=True, help="Upload and return without waiting.")
@target_options
def enroll(
    target: Target,
    photos: tuple[Path, ...],
    name: str,
    watchlist: str,
    timeout: float,
    no_wait: bool,
) -> None:
    """Enroll PHOTOS of one person: tagged uploads to the faces bucket.

    Prints the `enrollment` tag the enroll function writes back on each photo
    (indexed, no-face, many-faces, low-quality, bad-image, ...).
    """
    people.enrollment_tags(name, watchlist)  # check the tags and every file before any upload
    for photo in photos:
        people.check_photo(photo)
    out = console()
    uploads = [people.upload_photo(target, photo, name, watchlist) for photo in photos]
    for upload in uploads:
        bucket = target.resources.faces_bucket
        out.print(plain(f"uploaded {upload.path} -> s3://{bucket}/{upload.key}"))
    if no_wait:
        return

    def show(result: people.EnrollResult) -> None:
        if result.outcome == "timeout":
            out.print(plain(f"{result.path}: no enrollment result after {timeout:.0f} s", "red"))
        else:
            out.print(plain(f"{result.path}: {result.outcome}", "green" if result.ok else "red"))

    results = people.wait_for_enrollment(target, uploads, timeout=timeout, on_result=show)
    failed = [r for r in results if not r.ok]
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {len(results)} photos not enrolled"
            + (
                " (is the enroll function running?)"
                if any(r.outcome == "timeout" for r in failed)
                else ""
            )
        )


@click.command(name="people")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def people_command(target: Target, as_json: bool) -> None:
    """List enrolled people: watchlist, photos, faces and when they were last seen."""
    rows = people.people_rows(target)
    if as_json:
        click.echo(json_text([row.__dict__ for row in rows]))
        return
    table = Table("name", "person_id", "watchlist", "photos", "faces", "last seen (UTC)", "camera")
    for row in rows:
        table.add_row(
            plain(row.name),
            plain(row.person_id),
            plain(row.watchlist),
            str(row.photos),
            str(row.faces),
            plain(row.last_seen[:19].replace("T", " ") or "never"),
            plain(row.last_camera or "-"),
        )
    console().print(table if rows else "nobody enrolled yet: doorman enroll PHOTO --name NAME")


@click.command(name="forget")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--timeout", type=float, default=60.0, show_default=True)
@target_options
def forget_command(target: Target, name: str, yes: bool, timeout: float) -> None:
    """Erase NAME everywhere: faces, photos (all versions), People, sightings and frames."""
    out = console()
    forgetter = forget.Forgetter(target, log=lambda message: out.print(plain(message, "yellow")))
    subject = forgetter.find(name)
    if not subject:
        raise OperatorError(f"nobody called {name!r} (see `doorman people`)")
    out.print(plain(f"forgetting {forget.describe_subject(subject)}"))
    if not yes:
        click.confirm("This cannot be undone. Continue?", abort=True)
    remaining = forgetter.forget(subject, settle_timeout=timeout)
    done = ", ".join(f"{n} {what}" for what, n in sorted(forgetter.erased.items()))
    out.print(plain(f"erased: {done or 'nothing'}"))
    if remaining:
        raise OperatorError(f"traces remain: {remaining.describe()}")
    out.print(plain(f"{name} is forgotten.", "green"), "Emails already sent cannot be recalled.")


# -- events / arm / stream ----------------------------------------------------------------
@click.command(name="events")
@click.option("--since", default="24h", show_default=True, help="30m, 2h, 7d or an ISO time.")
@click.option("--camera", help="Only this camera.")
@click.option("--person", help='Only events with this person (name or id; "stranger").')
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def events_command(
    target: Target, since: str, camera: str | None, person: str | None, as_json: bool
) -> None:
    """List events: time, camera, who, severity, whether an alert went out."""
    person_id = strangers.person_or_stranger(target, person) if person else None
    found = events.list_events(target, events.parse_since(since), camera, person_id)
    if as_json:
        click.echo(json_text([e.to_json() for e in found]))
        return
    # Ids, names and keys are data to read whole or copy: never wrapped or cut short. The
    # prose columns (the rule, why a face is unknown) wrap instead.
    table = Table(
        Column("event", no_wrap=True), Column("time (UTC)", no_wrap=True),
        Column("camera", no_wrap=True), Column("who", no_wrap=True), "similarity", "severity",
        "alert", "rule", "why unknown", Column("frame", no_wrap=True),
    )  # fmt: skip
    for e in found:
        sims = [f"{f.similarity:.1f}" for f in e.faces if f.similarity is not None]
        table.add_row(
            plain(e.event_id),  # what `doorman correct` takes
            plain(e.captured_at[:19].replace("T", " ")),
            plain(e.camera_id),
            plain(e.who),
            ", ".join(sims) or "-",
            plain(e.severity),
            plain("yes" if e.alerted else e.alert_status.replace("none", "no")),
            plain(e.rule or "-"),
            plain("; ".join(f.why_unknown for f in e.faces if f.why_unknown) or "-"),
            plain(e.image_key),
        )
    console().print(table if found else plain(f"no events since {since}"))


@click.command()
@target_options
def arm(target: Target) -> None:
    """Arm: strangers and alarm labels alert again."""
    control.set_armed(target, True)
    click.echo("mode away (armed): strangers, barred people and alarm labels alert")


@click.command()
@target_options
def disarm(target: Target) -> None:
    """Disarm: strangers are recorded but not alerted; barred people still alert."""
    control.set_armed(target, False)
    click.echo("mode home (disarmed): strangers are recorded only; barred people still alert")


@click.command(name="mode")
@click.argument("mode", required=False, type=click.Choice(MODES))
@target_options
def mode_command(target: Target, mode: str | None) -> None:
    """Show or set the mode the alert rules match on: home, away or night."""
    if mode is None:
        click.echo(f"mode {control.mode_state(target)}")
        return
    click.echo(f"mode {control.set_mode(target, mode_of(mode))}")


@click.command(name="check-camera")
@click.argument("camera")
@click.option("--since", default="7d", show_default=True, help="30m, 2h, 7d or an ISO time.")
@target_options
def check_camera_command(target: Target, camera: str, since: str) -> None:
    """How good CAMERA's faces are for recognition, why not, and what to change."""
    from ops.camera_check import check_camera, lines

    found = events.list_events(target, events.parse_since(since), camera)
    if not found:
        raise click.ClickException(printable(f"no events from camera {camera!r} since {since}"))
    click.echo("\n".join(printable(line) for line in lines(check_camera(camera, found))))


# -- rules ----------------------------------------------------------------------------------
@click.group(name="rules")
def rules_group() -> None:
    """The alert rules: who is told about whom, at which camera, when and in which mode."""


@rules_group.command(name="show")
@target_options
def rules_show(target: Target) -> None:
    """Print the rules analyze applies now (JSON)."""
    document, note = rules.show(target)
    if note:
        click.echo(printable(f"# the default rules apply: {note}"), err=True)
    click.echo("\n".join(printable(line) for line in rules.pretty(document).splitlines()))


@rules_group.command(name="set")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@target_options
def rules_set(target: Target, file: Any) -> None:
    """Validate the rules in FILE ("-": stdin) and store them; refused: the old ones stay."""
    try:
        document = rules.set_rules(target, file.read())
    except RulesRefused as refused:
        for error in refused.errors:
            click.echo(printable(error), err=True)
        raise click.ClickException(
            f"rules refused ({len(refused.errors)} error(s)); the stored rules stay in force"
        ) from refused
    click.echo(f"stored {len(document.rules)} rule(s)")


@rules_group.command(name="test")
@click.argument("event")
@click.option("--mode", type=click.Choice(MODES), help="Instead of now's.")
@click.option("--rules", "rules_file", type=click.File("r", encoding="utf-8"), help="Try FILE.")
@target_options
def rules_test(target: Target, event: str, mode: str | None, rules_file: Any) -> None:
    """Which rule fires for a stored EVENT (CAMERA/EVENT_TIME), and why earlier ones don't."""
    text = rules_file.read() if rules_file else None
    try:
        chosen = mode_of(mode) if mode else None
        result = rules.try_rules(target, event, mode=chosen, text=text)
    except RulesRefused as refused:
        raise click.ClickException(printable(f"rules refused: {refused}")) from refused
    out = [f"{result.camera} {result.event_time} (mode {result.mode})"]
    if result.note:
        out.append(f"  the default rules apply: {result.note}")
    for match in result.matches:
        out.append(f"  {match.subject.describe()}:")
        out += [f"    - {name}: no, {why}" for name, why in match.skipped]
        if match.rule is None:
            out.append("    => no rule: recorded only")
        else:
            action = match.rule.then
            told = (
                "nobody (silenced)"
                if action.silent
                else (
                    f"{action.severity} by {', '.join(action.channels)} to "
                    f"{', '.join(action.recipients)}"
                )
            )
            out.append(f"    => {match.rule.name}: {told}")
    if not result.matches:
        out.append("  nothing the rules look at (no face identified, no alarm label)")
    click.echo("\n".join(printable(line) for line in out))


@click.group()
def stream() -> None:
    """The optional streaming path's Rekognition stream processors."""


def _print_status(statuses: list[control.ProcessorStatus]) -> None:
    table = Table("stream processor", "status", "message")
    for s in statuses:
        table.add_row(plain(s.name), plain(s.status), plain(s.message))
    console().print(table)


@stream.command(name="start")
@click.option("--camera", help="Only this camera's processor.")
@target_options
def stream_start(target: Target, camera: str | None) -> None:
    """Start the stream processor(s)."""
    _print_status(control.start_streams(target, camera))


@stream.command(name="stop")
@click.option("--camera", help="Only this camera's processor.")
@target_options
def stream_stop(target: Target, camera: str | None) -> None:
    """Stop the stream processor(s)."""
    _print_status(control.stop_streams(target, camera))


@stream.command(name="status")
@click.option("--camera", help="Only this camera's processor.")
@target_options
def stream_status(target: Target, camera: str | None) -> None:
    """Show the stream processor(s) status."""
    if not target.resources.stream_processor_name:
        click.echo(control.NO_STREAMING)
        return
    _print_status(control.stream_status(target, camera))


# -- cost -----------------------------------------------------------------------------------
def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def _unit_price(value: float) -> str:
    return f"${value:.10f}".rstrip("0").rstrip(".") if value else "$0"


@click.command(name="cost")
@click.option("--cameras", type=click.IntRange(min=0), default=1, show_default=True)
@click.option(
    "--events-per-day",
    type=click.FloatRange(min=0),
    default=20,
    show_default=True,
    help="Frames each camera uploads a day (after the edge filter).",
)
@click.option("--faces-per-event", type=click.FloatRange(min=0), default=1.0, show_default=True)
@click.option(
    "--enrolled",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="People in the collection.",
)
@click.option(
    "--streaming-minutes",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Minutes each camera streams to Rekognition a day.",
)
@click.option(
    "--image-minutes",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Minutes each camera streams a day for KVS images (streaming=images).",
)
@click.option(
    "--image-interval",
    type=click.FloatRange(min=0.2),
    default=2.0,
    show_default=True,
    help="Seconds between the images KVS generates (its SamplingInterval).",
)
@click.option(
    "--faces-per-image",
    type=click.FloatRange(min=0),
    default=0.01,
    show_default=True,
    help="Faces searched per generated image (most show nobody).",
)
@click.option(
    "--motion-frames-per-day",
    type=click.FloatRange(min=0),
    default=350,
    show_default=True,
    help="Comparison: frames with motion per camera a day.",
)
@click.option(
    "--strangers/--no-strangers",
    "remember_strangers",
    default=True,
    show_default=True,
    help="Remember strangers (a second search per stranger face, core.strangers).",
)
@click.option(
    "--stranger-share",
    type=click.FloatRange(min=0, max=1),
    default=0.5,
    show_default=True,
    help="Share of searched faces that are strangers.",
)
@click.option(
    "--borderline-share",
    type=click.FloatRange(min=0, max=1),
    default=0.05,
    show_default=True,
    help="Share of searched faces that also ask each person's user vector (SearchUsersByImage).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cost_command(
    cameras: int,
    events_per_day: float,
    faces_per_event: float,
    enrolled: int,
    streaming_minutes: float,
    image_minutes: float,
    image_interval: float,
    faces_per_image: float,
    motion_frames_per_day: float,
    remember_strangers: bool,
    stranger_share: float,
    borderline_share: float,
    as_json: bool,
) -> None:
    """Monthly AWS cost estimate per service, with the unit prices used."""
    usage = cost.Usage(
        cameras=cameras,
        events_per_day=events_per_day,
        faces_per_event=faces_per_event,
        enrolled=enrolled,
        streaming_minutes=streaming_minutes,
        image_minutes=image_minutes,
        image_interval_seconds=image_interval,
        faces_per_image=faces_per_image,
        remember_strangers=remember_strangers,
        stranger_share=stranger_share,
        borderline_share=borderline_share,
    )
    cmp = cost.compare(usage, motion_frames_per_day=motion_frames_per_day)
    prices = cmp.edge_filtered.prices
    rows = {
        "this estimate": cmp.edge_filtered.total,
        f"every motion frame ({motion_frames_per_day:g}/day/camera)": cmp.every_motion_frame.total,
        f"KVS images every {image_interval:g} s, 24/7 (streaming=images)": cmp.images_24_7.total,
        "24/7 streaming (face search)": cmp.streaming_24_7.total,
    }
    if as_json:
        click.echo(
            json.dumps(
                {
                    "prices_as_of": prices.as_of.isoformat(),
                    "region": prices.region,
                    "lines": [line.__dict__ for line in cmp.edge_filtered.lines],
                    "total": cmp.edge_filtered.total,
                    "unpriced": list(cmp.edge_filtered.unpriced),
                    "comparison": rows,
                },
                indent=1,
            )
        )
        return
    out = console()
    table = Table(
        "service",
        "item",
        "quantity / month",
        "unit price",
        "USD / month",
        title=f"Doorman monthly estimate: {cameras} camera(s), {events_per_day:g} uploads/day each",
    )
    for line in cmp.edge_filtered.lines:
        table.add_row(
            line.service,
            line.item,
            f"{line.quantity:,.2f} {line.unit}".replace(".00 ", " "),
            _unit_price(line.unit_price),
            _money(line.monthly_usd),
        )
    table.add_row("", "[b]total[/b]", "", "", f"[b]{_money(cmp.edge_filtered.total)}[/b]")
    out.print(table)
    versus = Table("design", "USD / month", title="Compared with")
    for label, total in rows.items():
        versus.add_row(label, _money(total))
    out.print(versus)
    out.print(f"Prices: {prices.region}, as of {prices.as_of.isoformat()}.")
    for note in prices.notes:
        out.print(f"  {note}")
    unpriced = cmp.edge_filtered.unpriced or cmp.images_24_7.unpriced
    for item in unpriced:
        out.print(f"  not priced: {item} (no verified unit price; shown at $0)")


# -- report ---------------------------------------------------------------------------------
@click.command(name="report")
@click.option("--since", default="7d", show_default=True, help="30m, 2h, 7d or an ISO time.")
@click.option("--camera", help="Only this camera.")
@click.option("--person", help="Only events with this person (name or id).")
@click.option(
    "--search",
    "photo",
    type=click.Path(path_type=Path),
    help="Only events with the face in this photo (as `doorman search`).",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@target_options
def report_command(
    target: Target,
    since: str,
    camera: str | None,
    person: str | None,
    photo: Path | None,
    out_dir: Path,
) -> None:
    """Write a static HTML report (timeline, thumbnails, filters, chart) to --out DIR."""
    moment = events.parse_since(since)
    person_id = strangers.person_or_stranger(target, person) if person else None
    found = events.list_events(target, moment, camera, person_id)
    # The strangers section shows the strangers the report is about: all of them, or the
    # one asked for, or the ones the photo matched (none for a report about a person).
    wanted: set[str] | None = {person_id} if person_id else None
    if photo is not None:  # the face's timeline, as `doorman search` finds it
        matched = search.search(target, photo, moment)
        if matched.note:
            click.echo(printable(matched.note))
        ids = {*matched.people, *matched.strangers}
        found = [e for e in found if e.people & ids]
        wanted = ids if wanted is None else wanted & ids
    cards = strangers.write_stranger_cards(
        target, out_dir, events.sort_key_floor(moment) if moment else "", camera, only=wanted
    )
    data = report.ReportData(
        events=found,
        counts=report.sighting_counts(target, moment, camera),
        origin=target.origin,
        filters={
            "since": since,
            "camera": camera or "",
            "person": person or "",
            "face in": photo.name if photo else "",
        },
        strangers=cards,
    )
    index = report.write_report(
        target, data, out_dir, on_skip=lambda message: click.echo(printable(message))
    )
    click.echo(printable(f"wrote {index} ({len(found)} events)"))


commands = [
    enroll,
    people_command,
    forget_command,
    events_command,
    arm,
    disarm,
    mode_command,
    rules_group,
    check_camera_command,
    stream,
    cost_command,
    report_command,
]
