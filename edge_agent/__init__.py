"""Doorman edge agent: the camera-side pipeline that keeps the good frames and uploads them
(the `doorman watch` and `doorman push` commands live in cli/)."""

__version__ = "0.1.0"
