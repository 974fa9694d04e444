"""cdk-nag AwsSolutions: zero unacknowledged findings, each acknowledgement narrow and reasoned."""

from __future__ import annotations

import pytest

from infra.nag import acknowledgements, findings

pytestmark = pytest.mark.infra


def test_no_unacknowledged_findings(each_mode):
    assert findings(each_mode.app) == []


def test_acknowledgements_are_granular_and_reasoned(each_mode):
    acks = acknowledgements(each_mode.app)
    assert acks
    stack_path = each_mode.stack.node.path
    for ack in acks:
        assert ack.path != stack_path, f"{ack.rule} is acknowledged for the whole stack"
        assert len(ack.reason) > 40, ack
        if ack.rule.startswith("AwsSolutions-IAM5"):
            assert "[" in ack.rule, f"{ack.rule} must name the finding it accepts"


def test_the_checks_do_find_problems():
    """A bucket and a queue without the usual guards are reported: the pack is live."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sqs as sqs

    app = App()
    stack = Stack(app, "Careless")
    s3.Bucket(stack, "Bucket")
    sqs.Queue(stack, "Queue")
    rules = {finding.rule for finding in findings(app)}
    assert {
        "AwsSolutions-S1",
        "AwsSolutions-S10",
        "AwsSolutions-SQS3",
        "AwsSolutions-SQS4",
    } <= rules


def test_every_synth_fails_on_an_unacknowledged_finding(tmp_path):
    """add_checks (what infra.app.build runs) plugs the pack into synth itself."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    from infra.nag import add_checks

    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Careless"), "Queue")
    add_checks(app)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()
