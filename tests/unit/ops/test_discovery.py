"""Which Doorman the CLI talks to, and the errors when it cannot tell."""

from __future__ import annotations

import json

import pytest

from adapters.discovery import DiscoveryError, resolve
from core.resources import StackResources

FIELDS = {
    name: f"value-{name}"
    for name, info in StackResources.model_fields.items()
    if info.is_required()
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DOORMAN_LOCAL_DIR", "DOORMAN_RESOURCES", "DOORMAN_STACK", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_REKOGNITION", "AWS_REGION", "AWS_DEFAULT_REGION",
                 "AWS_PROFILE", "AWS_CONFIG_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    return monkeypatch


def _write_resources(directory, endpoints=None):
    (directory / "resources.json").write_text(json.dumps(StackResources(**FIELDS).to_outputs()))
    if endpoints is not None:
        (directory / "endpoints.json").write_text(json.dumps(endpoints))


def test_local_dir_from_env_reads_resources_and_endpoints(clean_env, tmp_path):
    _write_resources(tmp_path, {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    clean_env.setenv("DOORMAN_LOCAL_DIR", str(tmp_path))
    target = resolve()
    assert target.local
    assert target.resources.uploads_bucket == "value-uploads_bucket"
    assert target.client("s3").meta.endpoint_url == "http://127.0.0.1:1"


def test_local_dir_alone_needs_no_exports_and_no_real_credentials(clean_env, tmp_path):
    _write_resources(tmp_path, {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        clean_env.delenv(name, raising=False)
    clean_env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    target = resolve(local_dir=tmp_path)
    credentials = target.session.get_credentials()
    assert (credentials.access_key, credentials.secret_key) == ("testing", "testing")
    assert target.session.region_name == "us-east-1"


def test_local_without_any_endpoint_refuses_to_use_real_aws(clean_env, tmp_path):
    _write_resources(tmp_path)
    with pytest.raises(DiscoveryError, match="refusing"):
        resolve(local_dir=tmp_path)


def test_local_flag_without_a_directory_says_how_to_give_one(clean_env):
    with pytest.raises(DiscoveryError, match="DOORMAN_LOCAL_DIR"):
        resolve(local=True)


def test_local_dir_without_resources_file(clean_env, tmp_path):
    with pytest.raises(DiscoveryError, match=r"no resources\.json"):
        resolve(local_dir=tmp_path)


def test_stack_without_region_says_what_to_set(clean_env):
    with pytest.raises(DiscoveryError, match="AWS_REGION"):
        resolve(stack="Doorman")


def test_a_resources_json_path_is_enough(clean_env, tmp_path):
    _write_resources(tmp_path)
    clean_env.setenv("DOORMAN_RESOURCES", str(tmp_path / "resources.json"))
    clean_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    target = resolve()
    assert target.local
    assert target.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:2"
