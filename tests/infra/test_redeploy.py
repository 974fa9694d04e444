"""Deploy again after `cdk destroy` (defect 4): what a retained destroy leaves behind, or
what already exists in the account, can be adopted instead of created again.

- `existing_collection_id`: the collection kept by `removal_policy=retain` has a fixed id,
  so creating it again fails with ResourceAlreadyExists; the stack references it instead.
- `existing_ses_identities`: addresses already verified in the account (an identity created
  outside this stack) cannot be created again either; the stack grants on them instead.
"""

from __future__ import annotations

import pytest

from infra.config import ConfigError, DoormanConfig
from tests.infra.conftest import cdk_json_context, synthesize
from tests.infra.helpers import as_list, functions_by_package, render

pytestmark = pytest.mark.infra

PSEUDO = "arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"


@pytest.fixture(scope="module")
def adopted(tmp_path_factory):
    """Default mode, adopting the collection and the owner's verified identity."""
    return synthesize(
        "default",
        tmp_path_factory.mktemp("cdk-adopted"),
        existing_collection_id="Doorman-faces",
        existing_strangers_collection_id="Doorman-strangers",
        existing_ses_identities=["owner@example.com"],
    )


def _granted(stack, package: str, action: str) -> set[str]:
    role_id = functions_by_package(stack)[package][1]["Role"]["Fn::GetAtt"][0]
    resources = set()
    for policy in stack.resources("AWS::IAM::Policy").values():
        if role_id not in [r["Ref"] for r in policy["Properties"]["Roles"]]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if action in as_list(statement["Action"]):
                resources |= {render(r) for r in as_list(statement["Resource"])}
    return resources


def test_by_default_the_stack_creates_the_collection_and_every_identity(synthesized):
    default = synthesized["default"]
    collections = default.resources("AWS::Rekognition::Collection").values()
    ids = {c["Properties"]["CollectionId"] for c in collections}
    assert ids == {"Doorman-faces", "Doorman-strangers"}
    identities = {
        r["Properties"]["EmailIdentity"]
        for r in default.resources("AWS::SES::EmailIdentity").values()
    }
    assert identities == {"doorman@example.com", "owner@example.com"}


def test_an_existing_collection_is_referenced_not_created(adopted):
    adopted.template.resource_count_is("AWS::Rekognition::Collection", 0)
    arn = PSEUDO.format(service="rekognition", resource="collection/Doorman-faces")
    assert _granted(adopted, "enroll", "rekognition:IndexFaces") == {arn}
    assert _granted(adopted, "enroll", "rekognition:DeleteFaces") == {arn}
    strangers = PSEUDO.format(service="rekognition", resource="collection/Doorman-strangers")
    assert _granted(adopted, "analyze", "rekognition:SearchFacesByImage") == {arn, strangers}
    assert _granted(adopted, "analyze", "rekognition:IndexFaces") == {strangers}
    assert _granted(adopted, "expire_strangers", "rekognition:DeleteFaces") == {strangers}
    for package in ("enroll", "analyze"):
        environment = functions_by_package(adopted)[package][1]["Environment"]["Variables"]
        assert environment["COLLECTION_ID"] == "Doorman-faces"
    assert adopted.json["Outputs"]["CollectionId"]["Value"] == "Doorman-faces"


def test_verified_identities_are_granted_not_created(adopted):
    identities = {
        r["Properties"]["EmailIdentity"]
        for r in adopted.resources("AWS::SES::EmailIdentity").values()
    }
    assert identities == {"doorman@example.com"}
    (created,) = adopted.resources("AWS::SES::EmailIdentity")
    assert _granted(adopted, "notify", "ses:SendEmail") == {
        PSEUDO.format(service="ses", resource=f"identity/<{created}>"),
        PSEUDO.format(service="ses", resource="identity/owner@example.com"),
    }
    # Only the addresses that still have to click a verification link are listed.
    message = adopted.json["Outputs"]["SesVerification"]["Value"]
    assert "doorman@example.com" in message
    assert "owner@example.com" not in message


def _config(**overrides) -> DoormanConfig:
    return DoormanConfig.from_context({**cdk_json_context(), **overrides})


def test_keys_parse_from_the_command_line():
    config = _config(
        existing_collection_id="Doorman-faces",
        existing_ses_identities="owner@example.com,doorman@example.com",
    )
    assert config.collection_id == "Doorman-faces"
    assert config.existing_ses_identities == ["owner@example.com", "doorman@example.com"]
    assert config.new_ses_identities == []
    assert _config().collection_id == "Doorman-faces"
    assert _config(stack_name="Home").collection_id == "Home-faces"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"existing_ses_identities": "stranger@example.org"}, "existing_ses_identities"),
        ({"existing_ses_identities": "not-an-address"}, "existing_ses_identities"),
        ({"existing_collection_id": "faces with spaces"}, "existing_collection_id"),
        ({"existing_collection_id": "x" * 256}, "existing_collection_id"),
    ],
)
def test_bad_values_name_the_key(overrides, key):
    with pytest.raises(ConfigError, match=key):
        _config(**overrides)


def test_stream_processors_search_an_existing_collection(tmp_path):
    streaming = synthesize(
        "streaming", tmp_path, existing_collection_id="Doorman-faces", cameras=["front-door"]
    )
    # Only the strangers' collection is created (no existing_strangers_collection_id).
    streaming.template.resource_count_is("AWS::Rekognition::Collection", 1)
    for processor in streaming.resources("AWS::Rekognition::StreamProcessor").values():
        settings = processor["Properties"]["FaceSearchSettings"]
        assert settings["CollectionId"] == "Doorman-faces"
