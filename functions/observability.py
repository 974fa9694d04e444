"""Powertools Logger, Metrics and Tracer, one set per function (namespace "Doorman")."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "Doorman"


def observability(service: str) -> tuple[Logger, Metrics, Tracer]:
    return (
        Logger(service=service),
        Metrics(namespace=NAMESPACE, service=service),
        Tracer(service=service),
    )
