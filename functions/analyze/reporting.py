"""What analyze says about each outcome: one log line and the frame metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from core.schemas import FrameOutcome
from functions.analyze.alerting import RATE_LIMITED
from functions.analyze.logic import QUIET_REASON


def is_quiet(outcome: FrameOutcome) -> bool:
    """A `kvs/` image analysed and tagged quiet, with no Events item (Analyzer.analyze_frame)."""
    return outcome.status == "analyzed" and outcome.reason == QUIET_REASON


def report(logger: Logger, metrics: Metrics, outcome: FrameOutcome, **context: Any) -> None:
    """FramesAnalyzed counts every image Rekognition looked at (each one is billed);
    FramesQuiet counts those among them that recorded nothing."""
    logger.info("frame", **outcome.model_dump(exclude_defaults=True), **context)
    if outcome.status == "analyzed":
        metrics.add_metric(name="FramesAnalyzed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="FacesDetected", unit=MetricUnit.Count, value=outcome.faces)
        if is_quiet(outcome):
            metrics.add_metric(name="FramesQuiet", unit=MetricUnit.Count, value=1)
        if outcome.alerted:
            metrics.add_metric(name="AlertsQueued", unit=MetricUnit.Count, value=1)
        if outcome.alert_status == RATE_LIMITED:
            metrics.add_metric(name="AlertsRateLimited", unit=MetricUnit.Count, value=1)
    elif outcome.status == "rejected":
        metrics.add_metric(name="FramesRejected", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="FramesIgnored", unit=MetricUnit.Count, value=1)
