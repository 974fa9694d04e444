"""The architecture's shape is checked, not hoped for.

import-linter's contracts (pyproject.toml, `make lint`) hold on the tree, and they fail when a
module breaks them: the breaking import is added to a copy of the packages in a temporary
folder, so the repository itself is never touched. The core must also stay light at run
time: importing all of it loads none of the packages its contract forbids. And mypy is
strict exactly where pyproject.toml says, not everywhere and not nowhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
IMPORT_LINTER = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS: list[dict[str, Any]] = IMPORT_LINTER["contracts"]


def _forbidden_contract(source: str) -> dict[str, Any]:
    (contract,) = [
        contract
        for contract in CONTRACTS
        if contract["type"] == "forbidden" and contract["source_modules"] == [source]
    ]
    return contract


CORE_CONTRACT = _forbidden_contract("core")
EDGE_CONTRACT = _forbidden_contract("edge_agent")


def _run_python(root: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run with `root` first on the path: the packages there shadow the installed ones."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        argv, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _lint_imports(root: Path) -> tuple[int, str, dict[str, str]]:
    """Exit code, whitespace-normalised report and KEPT/BROKEN per contract name."""
    done = _run_python(
        root, [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")]
    )
    report = " ".join(done.stdout.split())  # long contract names are wrapped over two lines
    verdicts = {}
    for contract in CONTRACTS:
        found = re.search(re.escape(contract["name"]) + r" (KEPT|BROKEN)\b", report)
        assert found, f"no verdict for {contract['name']!r} in:\n{done.stdout}{done.stderr}"
        verdicts[contract["name"]] = found.group(1)
    return done.returncode, report, verdicts


def _copy_packages(target: Path) -> Path:
    """The .py files of every root package import-linter checks, and pyproject.toml."""
    for package in IMPORT_LINTER["root_packages"]:
        for source in (REPO / package).rglob("*.py"):
            copy = target / source.relative_to(REPO)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
    shutil.copyfile(REPO / "pyproject.toml", target / "pyproject.toml")
    return target


def _add_import(module: Path, statement: str) -> None:
    with module.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{statement}\n")


def test_the_tree_keeps_every_import_contract() -> None:
    code, report, verdicts = _lint_imports(REPO)

    assert code == 0, report
    assert set(verdicts.values()) == {"KEPT"}


def test_the_aws_sdk_in_the_core_breaks_the_core_contract(tmp_path: Path) -> None:
    copy = _copy_packages(tmp_path)
    _add_import(copy / "core" / "cost.py", "import boto3")

    code, report, verdicts = _lint_imports(copy)

    assert code != 0
    assert verdicts[CORE_CONTRACT["name"]] == "BROKEN"
    assert "core.cost -> boto3" in report
    assert verdicts[EDGE_CONTRACT["name"]] == "KEPT"


def test_operator_tools_in_the_edge_agent_break_the_camera_contract(tmp_path: Path) -> None:
    copy = _copy_packages(tmp_path)
    _add_import(copy / "edge_agent" / "events.py", "import ops")

    code, report, verdicts = _lint_imports(copy)

    assert code != 0
    assert verdicts[EDGE_CONTRACT["name"]] == "BROKEN"
    assert "edge_agent.events -> ops" in report
    assert verdicts[CORE_CONTRACT["name"]] == "KEPT"


IMPORT_ALL_OF_CORE = """
import importlib, json, pkgutil, sys
import core
imported = sorted(m.name for m in pkgutil.iter_modules(core.__path__, "core."))
for name in imported:
    importlib.import_module(name)
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"imported": imported, "forbidden_loaded": loaded}))
"""


def test_importing_the_whole_core_loads_no_forbidden_package() -> None:
    forbidden = CORE_CONTRACT["forbidden_modules"]
    done = _run_python(REPO, [sys.executable, "-c", IMPORT_ALL_OF_CORE, json.dumps(forbidden)])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)

    modules = {f"core.{path.stem}" for path in (REPO / "core").glob("*.py")} - {"core.__init__"}
    assert set(result["imported"]) == modules
    assert result["forbidden_loaded"] == []


UNTYPED = "def untyped(value):\n    return value\n"


def test_mypy_is_strict_on_the_strict_modules_only(tmp_path: Path) -> None:
    strict = ["core/__init__.py", "edge_agent/pipeline.py"]
    lenient = ["bench/__init__.py", "edge_agent/spool.py"]
    for name in strict + lenient:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(UNTYPED)
    (tmp_path / "edge_agent" / "__init__.py").write_text("")
    shutil.copyfile(REPO / "pyproject.toml", tmp_path / "pyproject.toml")

    cache = str(tmp_path / ".mypy_cache")
    mypy = [sys.executable, "-m", "mypy", "--cache-dir", cache, "core", "bench", "edge_agent"]
    done = _run_python(tmp_path, mypy)

    untyped = {
        line.split(":")[0] for line in done.stdout.splitlines() if "[no-untyped-def]" in line
    }
    assert untyped == set(strict), done.stdout + done.stderr
