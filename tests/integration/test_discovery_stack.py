"""The CLI reads a deployed Doorman from CloudFormation outputs (moto server over HTTP).

Not a unit test with `mock_aws()`: leaving that context resets moto's module-global
backends, which the in-process moto server of the integration tests shares.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from adapters.discovery import DiscoveryError, resolve
from core.resources import StackResources

pytestmark = pytest.mark.integration

FIELDS = {
    name: f"value-{name}"
    for name, info in StackResources.model_fields.items()
    if info.is_required()
}


def _template(outputs: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
    )


def test_stack_outputs_become_resources(moto_server, monkeypatch):
    for name in ("DOORMAN_LOCAL_DIR", "DOORMAN_RESOURCES", "DOORMAN_STACK", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL_REKOGNITION", "AWS_REGION"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    home, partial, missing = (f"{n}-{uuid.uuid4().hex[:6]}" for n in ("Home", "Partial", "Gone"))
    outputs = StackResources(**FIELDS).to_outputs()
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName=home, TemplateBody=_template(outputs))
    without_people = {k: v for k, v in outputs.items() if k != "PeopleTable"}
    cfn.create_stack(StackName=partial, TemplateBody=_template(without_people))

    target = resolve(stack=home)
    assert target.resources.people_table == "value-people_table"
    assert target.stack_name == home and not target.local
    with pytest.raises(DiscoveryError, match="lacks Doorman outputs PeopleTable"):
        resolve(stack=partial)
    monkeypatch.setenv("DOORMAN_STACK", missing)
    with pytest.raises(DiscoveryError, match=f"'{missing}' not found in eu-west-1"):
        resolve()
