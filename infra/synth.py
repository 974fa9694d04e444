"""`make synth`: the pinned CDK CLI (cdk-nag runs inside every synth) and cfn-lint, 3 modes.

    python -m infra.synth             # every mode (default, streaming, images) into cdk.out/<mode>/
    python -m infra.synth --mode default

Exits non-zero when a synth fails (a cdk-nag finding fails it) or cfn-lint reports anything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
OUT_ROOT = REPO_ROOT / "cdk.out"
# W3005: an explicit DependsOn that is also implied; CDK writes those on purpose.
CFN_LINT_IGNORE = "W3005"
MODES: dict[str, list[str]] = {
    "default": ["-c", "streaming=false"],
    "streaming": ["-c", "streaming=true"],
    "images": ["-c", "streaming=images"],
}
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


@dataclass
class ModeResult:
    mode: str
    outdir: Path
    synth_ok: bool = False
    synth_log: str = ""
    seconds: float = 0.0
    templates: list[Path] = field(default_factory=list)
    resources: int = 0
    acknowledgements: list[tuple[str, str, str]] = field(default_factory=list)
    lint_findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.synth_ok and bool(self.templates) and not self.lint_findings


def cdk_env() -> dict[str, str]:
    return {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def synth(mode: str, extra_args: list[str], outdir: Path) -> ModeResult:
    """Run `cdk synth --quiet` into `outdir`; cdk-nag findings make it fail."""
    result = ModeResult(mode=mode, outdir=outdir)
    shutil.rmtree(outdir, ignore_errors=True)
    started = time.monotonic()
    completed = subprocess.run(
        [str(CDK), "synth", "--quiet", "--no-notices", "--output", str(outdir), *extra_args],
        cwd=REPO_ROOT,
        env=cdk_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    result.seconds = time.monotonic() - started
    result.synth_ok = completed.returncode == 0
    result.synth_log = _without_node_banner(completed.stdout + completed.stderr)
    result.templates = sorted(outdir.glob("*.template.json"))
    for template in result.templates:
        resources = json.loads(template.read_text()).get("Resources", {})
        result.resources += len(resources)
    result.acknowledgements = read_acknowledgements(outdir)
    return result


def read_acknowledgements(outdir: Path) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) recorded in the cloud assembly's metadata."""
    found = []
    for metadata_file in sorted(outdir.glob("*.metadata.json")):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry.get("type") != ACKNOWLEDGED:
                    continue
                for rule, reason in entry.get("data", {}).items():
                    found.append((path, rule.removeprefix("Annotation::"), reason))
    return found


def lint(templates: list[Path]) -> list[str]:
    """cfn-lint every template; one line per finding (empty when clean)."""
    if not templates:
        return []
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    completed = subprocess.run(
        [
            str(cfn_lint) if cfn_lint.exists() else "cfn-lint",
            "--ignore-checks",
            CFN_LINT_IGNORE,
            "--format",
            "parseable",
            "--",
            *map(str, templates),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if completed.returncode != 0 and not lines:
        lines = [f"cfn-lint exited {completed.returncode}: {completed.stderr.strip()}"]
    return lines


def _without_node_banner(text: str) -> str:
    """Drop the Node end-of-life box the JSII runtime may still print."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("!!"))


def report(results: list[ModeResult]) -> None:
    for result in results:
        print(f"\n== {result.mode}: cdk synth -> {result.outdir.relative_to(REPO_ROOT)}")
        if result.synth_ok:
            print(
                f"   synth ok in {result.seconds:.0f} s: {len(result.templates)} template(s), "
                f"{result.resources} resources"
            )
            print(
                f"   cdk-nag AwsSolutions: 0 unacknowledged findings, "
                f"{len(result.acknowledgements)} acknowledged:"
            )
            for path, rule, reason in result.acknowledgements:
                print(f"     - {rule} at {path}\n         {reason}")
        else:
            print("   synth FAILED (cdk-nag findings or errors):")
            print("\n".join(f"     {line}" for line in result.synth_log.splitlines()[-60:]))
        if result.lint_findings:
            print(f"   cfn-lint: {len(result.lint_findings)} finding(s):")
            print("\n".join(f"     {line}" for line in result.lint_findings))
        elif result.templates:
            print(f"   cfn-lint (--ignore-checks {CFN_LINT_IGNORE}): clean")
    verdict = "OK" if all(result.ok for result in results) else "FAILED"
    summary = ", ".join(f"{r.mode}={'ok' if r.ok else 'failed'}" for r in results)
    print(f"\nmake synth: {verdict} ({summary})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(MODES), action="append")
    args = parser.parse_args(argv)
    if not CDK.exists():
        print(f"{CDK} is missing: run `make setup` (npm install) first", file=sys.stderr)
        return 2
    results = []
    for mode in args.mode or list(MODES):
        result = synth(mode, MODES[mode], OUT_ROOT / mode)
        result.lint_findings = lint(result.templates) if result.synth_ok else []
        results.append(result)
    report(results)
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
