"""expire_strangers: a daily schedule -> strangers not seen for the retention are erased."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.expire_strangers.deps import ExpireDeps
from functions.observability import LambdaEvent, invocation_metrics, observability

logger, metrics, tracer = observability("expire_strangers")
deps = ExpireDeps()  # settings now; clients and adapters on first use


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: LambdaEvent, context: LambdaContext) -> dict[str, Any]:
    with invocation_metrics(metrics, event, rekognition=deps.faces):
        report = deps.expirer.run()
    logger.info("strangers expired", checked=report.checked, erased=dict(report.erased))
    return {"checked": report.checked, "expired": report.expired, **dict(report.erased)}
