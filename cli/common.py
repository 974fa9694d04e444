"""What every command shares: output that shows data as typed, structured logging, and
config loading that names the key.

Names, cameras, keys and AWS messages are data, never markup or terminal control codes.
Everything the CLI prints that it did not write itself goes through `printable` (plain
output), `plain` (rich: a Text, which rich never parses as markup or emoji codes) or
`json_text` (--json). See https://rich.readthedocs.io/en/stable/markup.html (markup in
strings is parsed, Text is not).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from rich.text import Text

if TYPE_CHECKING:  # the edge agent loads only for the commands that read its config
    from edge_agent.config import AgentConfig

EXIT_CONFIG = 2
# What a terminal would act on instead of showing: C0 controls (ESC among them), DEL, C1
# controls (U+009B is an 8-bit CSI) and the bidirectional embeddings, overrides and
# isolates, which reorder the text shown after them.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
# The same, less C0: json.dumps escapes C0 itself, and its indentation is C0 (newlines).
_CONTROLS_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI_CONTROLS}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """`value` as text that a terminal shows as it is: each control character is written
    as a visible escape (ESC as `\\x1b`, a right-to-left override as `\\u202e`)."""
    return _CONTROLS.sub(_visible, str(value))


def plain(value: object, style: str = "") -> Text:
    """`value` for a rich Console or Table cell: shown as typed, in `style`."""
    return Text(printable(value), style=style)


def json_text(document: Any) -> str:
    """`document` as indented JSON that keeps Unicode readable and escapes the controls a
    terminal would act on as \\uXXXX (valid JSON: it parses back to the same data)."""
    text = json.dumps(document, indent=1, ensure_ascii=False)
    return _CONTROLS_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
    from edge_agent.config import ConfigError, load_config

    try:
        return load_config(config_path, overrides)
    except ConfigError as exc:
        click.echo("config error:", err=True)
        for problem in exc.problems:
            click.echo(f"  {printable(problem)}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
