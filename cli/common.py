"""What every agent command shares: structured logging and config loading that names the key."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from edge_agent.config import AgentConfig, ConfigError, load_config

EXIT_CONFIG = 2


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is now (progress bars and test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str) -> None:
    """JSON lines on stderr (Powertools' formatter); idempotent, keeps other handlers."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(LambdaPowertoolsFormatter(service="doorman-edge"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def load_or_exit(config_path: Path | None, overrides: dict[str, Any] | None = None) -> AgentConfig:
    """The validated config, or every problem (each naming its key) on stderr and exit 2."""
    try:
        return load_config(config_path, overrides)
    except ConfigError as exc:
        click.echo("config error:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
