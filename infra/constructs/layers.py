"""The one layer every function uses: the project's run-time dependencies, Powertools included.

The Lambda Python runtime ships boto3 and its dependencies
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html) and nothing else.
`infra/layer/requirements.txt` names everything else the functions import, and each of its
dependencies, without versions; the versions come from `constraints.txt`, so Lambda runs
exactly what the tests run. They are installed at synth time with pip, wheels only, for the
Lambda platform (manylinux aarch64, the runtime's Python) - no Docker.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.function import ARCHITECTURE, REPO_ROOT, RUNTIME

LAYER_SOURCE = Path(__file__).resolve().parents[1] / "layer"
LAYER_REQUIREMENTS = LAYER_SOURCE / "requirements.txt"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
PIP_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
# What the python3.14 runtime already holds: boto3 and the packages it depends on. The layer
# does not ship them (botocore alone is tens of MB).
LAMBDA_RUNTIME_PACKAGES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)


def normalize(name: str) -> str:
    """PEP 503 name: `Jinja2`, `typing_extensions` -> `jinja2`, `typing-extensions`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def constraint_pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """normalized name -> version, for every `name==version` line of constraints.txt."""
    pins = {}
    for line in _names(path):
        name, separator, version = line.partition("==")
        if separator:
            pins[normalize(name)] = version.strip()
    return pins


def layer_requirements(
    requirements: Path = LAYER_REQUIREMENTS, constraints: Path = CONSTRAINTS
) -> list[str]:
    """`name==version` for each package the layer ships, pinned as constraints.txt pins it."""
    pins = constraint_pins(constraints)
    names = _names(requirements)
    unpinned = [name for name in names if normalize(name) not in pins]
    if unpinned:
        raise ValueError(f"{requirements} names packages {constraints} does not pin: {unpinned}")
    pinned = [name for name in names if re.search(r"[=<>!~;@\[ ]", name)]
    if pinned:
        raise ValueError(
            f"{requirements} must name packages only (versions come from "
            f"{constraints.name}): {pinned}"
        )
    return [f"{name}=={pins[normalize(name)]}" for name in names]


def _pip_arguments(requirements: list[str], target: Path) -> list[str]:
    python_version = RUNTIME.name.removeprefix("python")
    platforms = [arg for p in PIP_PLATFORMS for arg in ("--platform", p)]
    return [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",  # the list is complete (tests/infra/test_layer.py)
        "--no-compile",  # bytecode of the synth machine's Python would be dead weight
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        *platforms,
        "--target",
        str(target),
        *requirements,
    ]


def layer_asset_hash(requirements: list[str]) -> str:
    """Changes exactly when what pip installs changes: the pins and the platform. (The
    source directory alone would not change when only constraints.txt does.)"""
    return hashlib.sha256("\n".join(_pip_arguments(requirements, Path())).encode()).hexdigest()


@jsii.implements(ILocalBundling)
class PipForLambda:
    """Local bundling: `pip install --target` wheels built for the Lambda platform."""

    def __init__(self, requirements: list[str]) -> None:
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *_args: Any, **_kwargs: Any) -> bool:
        target = Path(output_dir) / "python"
        completed = subprocess.run(
            [sys.executable, "-m", "pip", *_pip_arguments(self._requirements, target)],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                "pip could not build the Lambda dependency layer "
                f"({', '.join(self._requirements)}):\n{completed.stderr.strip()}"
            )
        return True


class FunctionLayers(Construct):
    """`dependencies`: the layer built from infra/layer/requirements.txt; `all` for functions."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        requirements = layer_requirements()
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            description="Doorman function dependencies, Powertools included "
            "(infra/layer/requirements.txt at the constraints.txt versions)",
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            code=lambda_.Code.from_asset(
                str(LAYER_SOURCE),
                asset_hash=layer_asset_hash(requirements),
                asset_hash_type=AssetHashType.CUSTOM,
                bundling=BundlingOptions(
                    # Never used: local bundling always succeeds or raises.
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),
                    local=PipForLambda(requirements),
                ),
            ),
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.dependencies]
