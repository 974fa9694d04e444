"""Commands about faces Doorman learns: strangers, naming them, corrections, merge, search."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from adapters.discovery import Target
from cli.common import json_text, plain
from cli.ops import console, target_options
from ops import corrections, events, merge, naming, search, strangers
from ops.people import EnrollResult


@click.command(name="strangers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def strangers_command(target: Target, as_json: bool) -> None:
    """List remembered strangers: id, sightings, first and last seen, cameras."""
    rows = strangers.stranger_rows(target)
    if as_json:
        click.echo(json_text([row.__dict__ for row in rows]))
        return
    table = Table("stranger", "seen", "first (UTC)", "last (UTC)", "cameras", "crops", "now")
    for row in rows:
        table.add_row(
            plain(f"stranger {row.short_id}"),
            str(row.sightings),
            plain(f"{row.first_seen[:16].replace('T', ' ')} {row.first_camera}"),
            plain(f"{row.last_seen[:16].replace('T', ' ')} {row.last_camera}"),
            plain(", ".join(row.cameras)),
            str(row.crops),
            plain(row.named_as or "-"),
        )
    console().print(table if rows else "no strangers remembered")


@click.command(name="name")
@click.argument("stranger")
@click.option("--name", required=True, help='Display name, any Unicode ("José Núñez").')
@click.option(
    "--watchlist",
    type=click.Choice(["known", "barred"]),
    default="known",
    show_default=True,
    help="known: family, staff. barred: alert on sight.",
)
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait.")
@target_options
def name_command(target: Target, stranger: str, name: str, watchlist: str, timeout: float) -> None:
    """Name STRANGER: its stored face crops are enrolled as NAME (tagged uploads)."""
    out = console()

    def show(result: EnrollResult) -> None:
        colour = "green" if result.ok else "red"
        out.print(plain(f"{result.key}: {result.outcome}", colour))

    done = naming.name_stranger(target, stranger, name, watchlist, timeout=timeout, on_result=show)
    out.print(
        plain(
            f"stranger {done.stranger.short_id} is now {name} ({done.person_id}, {watchlist}): "
            f"{sum(r.ok for r in done.results)} of {len(done.results)} crops enrolled",
            "green",
        )
    )


@click.command(name="correct")
@click.argument("event")
@click.option(
    "--face", "number", type=int, required=True, help="Which face: 1 is the first listed."
)
@click.option("--not", "not_name", metavar="NAME", help="This face is not NAME.")
@click.option("--is", "is_name", metavar="NAME", help="This face is NAME (enrolled from it).")
@click.option(
    "--watchlist",
    type=click.Choice(["known", "barred"]),
    default="known",
    show_default=True,
    help="With --is: the watchlist of NAME.",
)
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait.")
@target_options
def correct_command(
    target: Target,
    event: str,
    number: int,
    not_name: str | None,
    is_name: str | None,
    watchlist: str,
    timeout: float,
) -> None:
    """Correct face N of EVENT: --not NAME (never name such a face NAME) or --is NAME."""
    if (not_name is None) == (is_name is None):
        raise click.UsageError("give exactly one of --not NAME and --is NAME")
    out = console()
    if not_name is not None:
        done = corrections.not_person(target, event, number, not_name)
        out.print(
            plain(
                f"face {number} of event {done.event.event_id} is not {not_name} "
                f"({done.person_id}): faces closer to it than to {not_name}'s own photos "
                "will not be named so",
                "green",
            )
        )
        return
    assert is_name is not None

    def show(result: EnrollResult) -> None:
        out.print(plain(f"{result.key}: {result.outcome}", "green" if result.ok else "red"))

    done = corrections.is_person(
        target, event, number, is_name, watchlist, timeout=timeout, on_result=show
    )
    out.print(plain(f"face {number} of event {done.event.event_id} added to {is_name}", "green"))


@click.command(name="merge")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait.")
@target_options
def merge_command(target: Target, first: str, second: str, timeout: float) -> None:
    """Join A into B: two strangers, a stranger and a person, or two people."""
    out = console()

    def show(result: EnrollResult) -> None:
        out.print(plain(f"{result.key}: {result.outcome}", "green" if result.ok else "red"))

    done = merge.merge(target, first, second, timeout=timeout, on_result=show)
    out.print(plain(done.what, "green"))


@click.command(name="search")
@click.argument("photo", type=click.Path(path_type=Path))
@click.option("--since", default="30d", show_default=True, help="30m, 2h, 7d or an ISO time.")
@click.option("--face", "number", type=int, help="Which face of PHOTO (1: the largest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def search_command(
    target: Target, photo: Path, since: str, number: int | None, as_json: bool
) -> None:
    """Every sighting of the face in PHOTO: camera, time, similarity and frame."""
    found = search.search(target, photo, events.parse_since(since), number)
    if as_json:
        click.echo(
            json_text(
                {
                    "faces": found.faces,
                    "face": found.face,
                    "people": found.people,
                    "strangers": found.strangers,
                    "sightings": [hit.__dict__ for hit in found.hits],
                }
            )
        )
        return
    out = console()
    if found.note:
        out.print(plain(found.note, "yellow"))
    table = Table("time (UTC)", "camera", "who", "similarity", "frame")
    for hit in found.hits:
        table.add_row(
            plain(hit.time[:19].replace("T", " ")),
            plain(hit.camera),
            plain(hit.who),
            f"{hit.similarity:.1f}" if hit.similarity is not None else "-",
            plain(hit.frame),
        )
    out.print(table if found.hits else plain(f"no sighting of this face since {since}"))


commands = [strangers_command, name_command, correct_command, merge_command, search_command]
