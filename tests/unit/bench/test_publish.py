"""bench.publish: the results README states where figures come from, refuses loaded or quick
runs unless told, and the main README's block is copied from it (and checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.publish import BEGIN, END, PublishError, main, results_readme, targets_block

META = {
    "started_at": "2026-11-29T12:00:00+00:00",
    "cpus": 2,
    "cpu_model": "Test CPU @ 2.0GHz",
    "machine": "x86_64",
    "load_start": 0.1,
    "load_during_throughput": 1.2,
    "command": "python -m bench",
}
SUMMARY = (
    "# Doorman benchmark\n\nRun ...\n\n## Targets: 1/2 pass\n\n"
    "| result | target |\n|---|---|\n| PASS | busy |\n| FAIL | quiet |\n\n## Throughput\n\nrows\n"
)


def _folder(tmp_path: Path, **meta: object) -> Path:
    results = tmp_path / "results"
    results.mkdir()
    (results / "latest.json").write_text(json.dumps({"meta": {**META, **meta}}))
    (results / "latest.md").write_text(SUMMARY)
    readme = tmp_path / "README.md"
    readme.write_text(f"# Doorman\n\n## Benchmarks\n\n{BEGIN}\nold figures\n{END}\n\nmore\n")
    return results


def test_publishes_the_run_with_its_machine_and_copies_the_targets(tmp_path: Path) -> None:
    results = _folder(tmp_path)
    readme = tmp_path / "README.md"
    args = ["--results", str(results), "--readme", str(readme)]
    assert main(args) == 0
    published = (results / "README.md").read_text()
    assert "- Machine: nproc 2, Test CPU @ 2.0GHz" in published
    assert "- Command: `python -m bench`" in published and "## Throughput" in published
    text = readme.read_text()
    assert "old figures" not in text and "| FAIL | quiet |" in text and text.endswith("more\n")
    assert "2026-11-29T12:00:00+00:00" in text and "Targets: 1/2 pass" in text
    assert main([*args, "--check"]) == 0
    readme.write_text(text.replace("| FAIL | quiet |", "| PASS | quiet |"))  # edited by hand
    assert main([*args, "--check"]) == 1


def test_a_loaded_or_quick_run_is_not_published_as_idle(tmp_path: Path) -> None:
    results = _folder(tmp_path, under_load=True)
    args = ["--results", str(results), "--readme", str(tmp_path / "README.md")]
    assert main(args) == 2 and not (results / "README.md").exists()
    assert main([*args, "--allow-load"]) == 0
    assert "Measured under load" in (results / "README.md").read_text()
    with pytest.raises(PublishError, match="--quick"):
        results_readme({"meta": {**META, "quick": True}}, SUMMARY)


def test_targets_block_needs_a_targets_table() -> None:
    with pytest.raises(PublishError, match="no targets table"):
        targets_block("# Benchmark results\n\n- Date: x\n")
