"""CDK fixtures: each mode is synthesized once per session and shared.

Bundling is skipped (context `aws:cdk:bundling-stacks=[]`), so the dependency layer's pip
install does not run here; tests/infra/test_cli_synth.py runs the real CLI with bundling.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MODES = ("default", "streaming")


def cdk_json_context() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@dataclass
class Synthesized:
    mode: str
    app: Any  # aws_cdk.App
    stack: Any  # infra.stack.DoormanStack
    template: Any  # aws_cdk.assertions.Template

    @property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.json["Resources"].items()
            if resource["Type"] == resource_type
        }


def synthesize(mode: str, outdir: Path, **overrides: Any) -> Synthesized:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.app import build

    context = {
        **cdk_json_context(),
        "aws:cdk:bundling-stacks": [],
        "streaming": mode == "streaming",
        **overrides,
    }
    app = App(context=context, outdir=str(outdir))
    stack = build(app, nag=False)
    return Synthesized(mode=mode, app=app, stack=stack, template=Template.from_stack(stack))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesized]:
    """Both modes. The streaming one also uses removal_policy=destroy and two cameras, so
    the auto-delete handlers and the per-camera resources are covered too."""
    return {
        "default": synthesize("default", tmp_path_factory.mktemp("cdk-default")),
        "streaming": synthesize(
            "streaming",
            tmp_path_factory.mktemp("cdk-streaming"),
            removal_policy="destroy",
            cameras=["front-door", "garage"],
        ),
    }


@pytest.fixture(scope="session", params=MODES)
def each_mode(request: pytest.FixtureRequest, synthesized) -> Synthesized:
    return synthesized[request.param]
