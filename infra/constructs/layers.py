"""Layers shared by every function: Powertools (public, by ARN) and the project's own deps.

The Lambda runtime ships boto3 but not pydantic-settings (or Pillow); the Powertools layer
brings pydantic. `infra/layer/requirements.txt` lists the rest. They are installed at synth
time with pip for the Lambda platform (manylinux aarch64, the runtime's Python) - no Docker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.function import ARCHITECTURE, RUNTIME, powertools_layer_arn

LAYER_SOURCE = Path(__file__).resolve().parents[1] / "layer"
PIP_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")


@jsii.implements(ILocalBundling)
class PipForLambda:
    """Local bundling: `pip install --target` wheels built for the Lambda platform."""

    def __init__(self, requirements: Path) -> None:
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *_args: Any, **_kwargs: Any) -> bool:
        python_version = RUNTIME.name.removeprefix("python")
        platforms = [arg for p in PIP_PLATFORMS for arg in ("--platform", p)]
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--only-binary=:all:",
                "--implementation",
                "cp",
                "--python-version",
                python_version,
                *platforms,
                "--target",
                str(Path(output_dir) / "python"),
                "-r",
                str(self._requirements),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"pip could not build the Lambda dependency layer from {self._requirements}:\n"
                f"{completed.stderr.strip()}"
            )
        return True


class FunctionLayers(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, powertools_version: int) -> None:
        super().__init__(scope, construct_id)
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "Powertools", powertools_layer_arn(self, powertools_version)
        )
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            description="Doorman function dependencies (infra/layer/requirements.txt)",
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            code=lambda_.Code.from_asset(
                str(LAYER_SOURCE),
                bundling=BundlingOptions(
                    # Never used: local bundling always succeeds or raises.
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),
                    local=PipForLambda(LAYER_SOURCE / "requirements.txt"),
                ),
            ),
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        # No file appears in both (the dependency layer is installed with --no-deps).
        return [self.powertools, self.dependencies]
