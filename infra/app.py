"""Build the Doorman CDK app: config from context, one stack, cdk-nag on every synth."""

from __future__ import annotations

from aws_cdk import App

from infra.config import DoormanConfig
from infra.nag import add_checks
from infra.stack import DoormanStack


def build(app: App, *, nag: bool = True) -> DoormanStack:
    config = DoormanConfig.from_context(app.node.get_all_context())
    stack = DoormanStack(
        app,
        config.stack_name,
        config=config,
        description="Doorman: face-aware door camera (edge -> S3 -> Lambda -> Rekognition)",
    )
    if nag:
        add_checks(app)
    return stack
