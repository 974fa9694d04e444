"""Doorman edge agent: camera-side filtering and the `doorman` CLI."""

__version__ = "0.1.0"
