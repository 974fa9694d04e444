"""Handlers import `core`, `adapters` and `functions.*` under the same names as in their
Lambda asset, so nothing needs to be put on sys.path here."""
