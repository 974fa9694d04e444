"""boto3 clients with standard retries. Endpoints come from AWS_ENDPOINT_URL[_<SERVICE>],
so the same code talks to AWS and to localcloud."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

DEFAULT_ATTEMPTS = 4


def aws_client(service: str, *, max_attempts: int = DEFAULT_ATTEMPTS, **config: Any) -> Any:
    retries = {"mode": "standard", "max_attempts": max_attempts}
    options: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 30, **config}
    if service == "s3":
        options.setdefault("signature_version", "s3v4")
    return boto3.client(service, config=Config(retries=retries, **options))  # type: ignore[arg-type]
