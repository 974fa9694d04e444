"""Jinja2 environments for the HTML Doorman renders (alert mail, the report).

Autoescape is on for every template: the values are user text (names, camera ids, keys),
and the HTML must never carry their markup. Undefined names fail loudly."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def html_templates(package: str) -> Environment:
    """The templates in `package`/templates, which ship inside the package."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
