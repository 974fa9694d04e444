"""Powertools Logger, Metrics and Tracer, one set per function (namespace "Doorman"), and the
metrics every invocation reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Doorman"
LambdaEvent = dict[str, Any]  # the event as a handler receives it (JSON)


class BilledCalls(Protocol):
    """An adapter that counts the billed API calls it made (adapters.faces.FaceIndex)."""

    @property
    def calls(self) -> int: ...


def observability(service: str) -> tuple[Logger, Metrics, Tracer]:
    return (
        Logger(service=service),
        Metrics(namespace=NAMESPACE, service=service),
        Tracer(service=service),
    )


@contextmanager
def invocation_metrics(
    metrics: Metrics, event: LambdaEvent, rekognition: BilledCalls | None = None
) -> Iterator[None]:
    """`Records` in the event and, given the Rekognition adapter, `RekognitionCalls` made
    while the block ran (counted even when it raises)."""
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    before = rekognition.calls if rekognition is not None else 0
    try:
        yield
    finally:
        if rekognition is not None:
            used = rekognition.calls - before
            metrics.add_metric(name="RekognitionCalls", unit=MetricUnit.Count, value=used)
