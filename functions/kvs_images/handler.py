"""kvs_images: every minute (EventBridge), new video of each camera -> JPEGs under kvs/."""

import time
from dataclasses import asdict
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.kvs_images.deps import KvsImagesDeps
from functions.kvs_images.logic import FINAL_PASS_MILLIS
from functions.observability import LambdaEvent, observability

logger, metrics, tracer = observability("kvs_images")
deps = KvsImagesDeps()  # settings now; clients and the poller on first use


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: LambdaEvent, context: LambdaContext) -> dict[str, object]:
    stop_at = time.monotonic() + deps.settings.poll_seconds
    report = deps.poller.run(
        keep_going=lambda: (
            time.monotonic() < stop_at
            and context.get_remaining_time_in_millis() > FINAL_PASS_MILLIS
        ),
        clock=lambda: datetime.now(UTC),
        wait=time.sleep,
    )
    metrics.add_metric(name="ImagesStored", unit=MetricUnit.Count, value=report.stored)
    metrics.add_metric(
        name="StreamsUnreadable", unit=MetricUnit.Count, value=len(report.unreadable)
    )
    logger.info("images polled", **asdict(report))
    return asdict(report)
