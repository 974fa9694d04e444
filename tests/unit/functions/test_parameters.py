"""adapters.messaging.Parameters: SSM reads through Powertools' cache (botocore's Stubber
answers; no network)."""

from __future__ import annotations

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.stub import Stubber

from adapters.messaging import Parameters

NAME = "/doorman/armed"


@pytest.fixture
def ssm():
    client = boto3.client(
        "ssm",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def answer(stubber: Stubber, value: str) -> None:
    stubber.add_response(
        "get_parameter",
        {"Parameter": {"Name": NAME, "Type": "String", "Value": value}},
        {"Name": NAME, "WithDecryption": True},
    )


def test_a_value_is_read_once_per_max_age(ssm) -> None:
    client, stubber = ssm
    answer(stubber, "disarmed")  # a second read would find no response queued
    parameters = Parameters(client, max_age=60)
    assert parameters.get(NAME) == "disarmed"
    assert parameters.get(NAME) == "disarmed"


def test_max_age_zero_reads_every_time(ssm) -> None:
    client, stubber = ssm
    answer(stubber, "armed")
    answer(stubber, "disarmed")
    parameters = Parameters(client, max_age=0)
    assert [parameters.get(NAME), parameters.get(NAME)] == ["armed", "disarmed"]


def test_a_missing_parameter_is_none_and_read_again_next_time(ssm) -> None:
    client, stubber = ssm
    stubber.add_client_error("get_parameter", service_error_code="ParameterNotFound")
    answer(stubber, "armed")
    parameters = Parameters(client, max_age=60)
    assert parameters.get(NAME) is None
    assert parameters.get(NAME) == "armed"


def test_other_errors_are_raised_for_the_record_to_be_retried(ssm) -> None:
    client, stubber = ssm
    stubber.add_client_error("get_parameter", service_error_code="AccessDeniedException")
    with pytest.raises(GetParameterError, match="AccessDenied"):
        Parameters(client, max_age=60).get(NAME)
