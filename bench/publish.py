"""Publish a benchmark run: bench/results/README.md from the run's results, and the main
README's figures copied from it (never typed by hand).

    python -m bench.publish                 # from bench/results/latest.json + latest.md
    python -m bench.publish --check         # exit 1 when README.md differs from the results
    python -m bench.publish --readme-only   # README.md from the committed results README

bench/results/README.md gets the run's summary (latest.md) under a header that states the
date, the machine (nproc, CPU model), the load and the exact command. A run measured under
load is published only with `--allow-load`, and then says so at the top. The main README's
block between the `<!-- bench:targets -->` and `<!-- /bench:targets -->` markers is replaced
by the targets table of bench/results/README.md and the line saying where it comes from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MAIN_README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- bench:targets -->", "<!-- /bench:targets -->"
TARGETS_HEADING = "## Targets:"


class PublishError(RuntimeError):
    pass


def results_readme(results: dict[str, Any], summary: str, allow_load: bool = False) -> str:
    meta = results.get("meta", {})
    if meta.get("under_load") and not allow_load:
        raise PublishError(
            "this run was measured under load (load average up to "
            f"{meta.get('load_during_throughput')}); rerun on an idle machine, or pass "
            "--allow-load to publish it marked as such"
        )
    if meta.get("quick"):
        raise PublishError("a --quick run is for development; publish a full run")
    header = [
        "# Benchmark results (the committed run)",
        "",
        f"- Date: {meta.get('started_at', '?')}",
        f"- Machine: nproc {meta.get('cpus', '?')}, {meta.get('cpu_model', '?')} "
        f"({meta.get('machine', '?')}), Python {meta.get('python', '?')}, "
        f"OpenCV {meta.get('opencv', '?')}",
        f"- Load average: {meta.get('load_start', '?')} at the start, up to "
        f"{meta.get('load_during_throughput', '-')} during the throughput runs "
        "(which add about 1 themselves)",
        f"- Command: `{meta.get('command', 'python -m bench')}` (what `make bench` runs)",
        "",
    ]
    if meta.get("under_load"):
        header += ["**Measured under load: the timings are pessimistic.**", ""]
    body = summary.split("\n", 1)[1] if summary.startswith("# ") else summary
    return "\n".join(header) + body.lstrip("\n")


def targets_block(published: str) -> str:
    """The targets heading and table of a published results README, with its source."""
    lines = published.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith(TARGETS_HEADING)), None)
    if start is None:
        raise PublishError("the results README has no targets table")
    table = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        table.append(line)
    date = next((line for line in lines if line.startswith("- Date: ")), "- Date: ?")
    machine = next((line for line in lines if line.startswith("- Machine: ")), "- Machine: ?")
    source = (
        f"From the committed run in [bench/results/README.md](bench/results/README.md) "
        f"({date.removeprefix('- Date: ')}; {machine.removeprefix('- Machine: ')}), copied "
        "by `python -m bench.publish`. " + lines[start].removeprefix("## ").strip() + "."
    )
    return "\n".join([source, "", *[line for line in table if line.strip()]])


def with_block(readme: str, block: str) -> str:
    begin, end = readme.find(BEGIN), readme.find(END)
    if begin < 0 or end < begin:
        raise PublishError(f"README.md has no {BEGIN} ... {END} block")
    return readme[: begin + len(BEGIN)] + "\n" + block + "\n" + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.publish", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--readme", type=Path, default=MAIN_README)
    parser.add_argument("--allow-load", action="store_true")
    parser.add_argument(
        "--check", action="store_true", help="only check that README.md matches the results"
    )
    parser.add_argument(
        "--readme-only",
        action="store_true",
        help="copy the committed results README's figures into README.md, regenerate nothing",
    )
    args = parser.parse_args(argv)
    published_path = args.results / "README.md"
    try:
        if not (args.check or args.readme_only):
            results = json.loads((args.results / "latest.json").read_text())
            summary = (args.results / "latest.md").read_text()
            published_path.write_text(results_readme(results, summary, args.allow_load))
        block = targets_block(published_path.read_text())
        current = args.readme.read_text()
        updated = with_block(current, block)
    except (PublishError, OSError) as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if updated != current:
            print("README.md's figures differ from bench/results/README.md", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
