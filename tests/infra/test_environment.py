"""Each function's environment is exactly what its settings model reads (plus Powertools)."""

from __future__ import annotations

import pytest

from core.settings import (
    AnalyzeSettings,
    EnrollSettings,
    ExpireStrangersSettings,
    NotifySettings,
)
from tests.infra.helpers import functions_by_package

pytestmark = pytest.mark.infra

MODELS = {
    "enroll": EnrollSettings,
    "analyze": AnalyzeSettings,
    "notify": NotifySettings,
    "expire_strangers": ExpireStrangersSettings,
}
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def test_environment_equals_the_settings_model(each_mode):
    for package, (_, props) in functions_by_package(each_mode).items():
        variables = props["Environment"]["Variables"]
        assert set(variables) - POWERTOOLS == MODELS[package].required_environment(), package
        assert variables["POWERTOOLS_SERVICE_NAME"] == package
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Doorman"


def test_the_model_accepts_the_values_the_stack_sets(each_mode):
    """Literal values must parse as the function will parse them; CloudFormation references
    (table names, URLs, ARNs) become placeholders."""
    for package, (_, props) in functions_by_package(each_mode).items():
        environment = {
            name.lower(): value if isinstance(value, str) else f"<{name.lower()}>"
            for name, value in props["Environment"]["Variables"].items()
            if not name.startswith("POWERTOOLS_")
        }
        settings = MODELS[package](**environment)
        if package == "analyze":
            assert settings.alarm_labels == ["Person", "Human"]
            assert (settings.known_threshold, settings.barred_threshold) == (90, 95)
            assert settings.labels_on_every_image is False
        if package == "notify":
            assert settings.owner_email == "owner@example.com"
            assert settings.authorities_emails == []
            assert settings.webhook_parameter == "/doorman/webhook-url"
            assert settings.presign_seconds == 3600
        if package == "enroll":
            assert settings.collection_id == "Doorman-faces"
