"""The alarms can reach the owner: CloudWatch may publish to the alerts topic and use its key,
but only for this stack's alarms in this account.

`enforce_ssl` gives the topic a policy of its own, which replaces SNS's default policy, and the
topic is encrypted with a customer managed key: without both statements below every alarm
action fails with "not authorized" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
"compatibility with AWS services";
https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
"""

from __future__ import annotations

import pytest

from tests.infra.helpers import as_list, ref_id, render

pytestmark = pytest.mark.infra

CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}
ACCOUNT = "<AWS::AccountId>"


def _cloudwatch_statements(document) -> list[dict]:
    return [s for s in document["Statement"] if s.get("Principal") == CLOUDWATCH]


def _alarm_arns(each_mode) -> set[str]:
    """The ARN of every alarm in the template, from its explicit AlarmName."""
    names = [
        alarm["Properties"].get("AlarmName")
        for alarm in each_mode.resources("AWS::CloudWatch::Alarm").values()
    ]
    assert names and all(isinstance(name, str) for name in names), names
    return {
        f"arn:<AWS::Partition>:cloudwatch:<AWS::Region>:{ACCOUNT}:alarm:{name}" for name in names
    }


def _assert_conditions(statement, each_mode) -> None:
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals", "ArnEquals"}, condition
    assert render(condition["StringEquals"]["aws:SourceAccount"]) == ACCOUNT
    source_arns = {render(arn) for arn in as_list(condition["ArnEquals"]["aws:SourceArn"])}
    assert source_arns == _alarm_arns(each_mode)


def test_alarm_names_are_prefixed_with_the_stack_name(each_mode):
    for alarm in each_mode.resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmName"].startswith(f"{each_mode.stack.stack_name}-")


def test_topic_policy_lets_this_stacks_alarms_publish(each_mode):
    stack = each_mode.stack
    topic = stack.get_logical_id(stack.alerts.topic.node.default_child)
    (policy,) = each_mode.resources("AWS::SNS::TopicPolicy").values()
    assert [ref_id(t) for t in policy["Properties"]["Topics"]] == [topic]
    (statement,) = _cloudwatch_statements(policy["Properties"]["PolicyDocument"])
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Action"]) == ["sns:Publish"]
    assert [ref_id(r) for r in as_list(statement["Resource"])] == [topic]
    _assert_conditions(statement, each_mode)


def test_key_policy_lets_this_stacks_alarms_encrypt_for_the_topic(each_mode):
    stack = each_mode.stack
    key = stack.get_logical_id(stack.alerts.key.node.default_child)
    document = each_mode.json["Resources"][key]["Properties"]["KeyPolicy"]
    (statement,) = _cloudwatch_statements(document)
    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Resource"] == "*"  # in a key policy: this key
    _assert_conditions(statement, each_mode)


def test_every_alarm_publishes_to_the_topic_it_may_publish_to(each_mode):
    stack = each_mode.stack
    topic = stack.get_logical_id(stack.alerts.topic.node.default_child)
    for alarm in each_mode.resources("AWS::CloudWatch::Alarm").values():
        assert [ref_id(a) for a in alarm["Properties"]["AlarmActions"]] == [topic]
