"""cdk-nag (3.x) wiring: the AwsSolutions pack and narrow, reasoned acknowledgements.

cdk-nag 3 plugs into CDK's policy validation (`Validations.of(app).add_plugins(...)`), so
every `cdk synth` fails on an unacknowledged finding. Acknowledgements use CDK's native
`Validations.of(construct).acknowledge(...)`; findings that carry a detail (IAM5's
`Resource::...`/`Action::...`) are acknowledged one detail at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk.aws_iam import IRole
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding on `construct` (and only its subtree), once."""
    if rule_id in _reasons(construct):
        raise ValueError(f"{rule_id} is already acknowledged on {construct.node.path}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def default_policy(role: IRole) -> IConstruct:
    """The construct holding the statements `role.add_to_policy` adds (its DefaultPolicy)."""
    return role.node.find_child("DefaultPolicy")


_ANNOTATION_PREFIX = "Annotation::"


def _reasons(construct: IConstruct) -> dict[str, str]:
    """rule id -> reason, as recorded on this construct (not its children)."""
    reasons: dict[str, str] = {}
    for entry in construct.node.metadata:
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
            for rule_id, reason in dict(entry.data).items():
                reasons[rule_id.removeprefix(_ANNOTATION_PREFIX)] = reason
    return reasons


def wildcard_resource(owner: IConstruct, suffix: str, attribute: str = "Arn") -> str:
    """The IAM5 finding id for `<LogicalId.Attr>{suffix}` of `owner`'s CloudFormation
    resource, e.g. a bucket's `/frames/*`."""
    resource = owner.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{owner.node.path} has no CloudFormation resource of its own")
    logical_id = Stack.of(resource).get_logical_id(resource)
    return f"AwsSolutions-IAM5[Resource::<{logical_id}.{attribute}>{suffix}]"


def acknowledge_cdk_providers(stack: Stack) -> None:
    """Singleton handlers CDK itself adds to the stack (not Doorman code, not configurable)."""
    for child in stack.node.children:
        if child.node.id.startswith("BucketNotificationsHandler"):
            acknowledge(
                child.node.find_child("Role"),
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                "CDK's own S3 bucket-notification handler (deploy-time only) is created with "
                "the basic execution role for its logs; its role is not configurable.",
            )


def add_checks(scope: IConstruct) -> AwsSolutionsChecks:
    """Run the AwsSolutions pack on every synth of `scope` (an App or Stage)."""
    # Also copy the acknowledgements into each resource's template Metadata (cdk_nag
    # rules_to_suppress): an audit trail for compliance tooling that reads templates.
    pack = AwsSolutionsChecks(scope, write_suppressions_to_cloud_formation=True)
    Validations.of(scope).add_plugins(pack)
    return pack


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    description: str
    severity: str


def findings(scope: IConstruct) -> list[Finding]:
    """Unacknowledged AwsSolutions findings of `scope`, computed without a synth."""
    report = AwsSolutionsChecks(scope).validate_scope(scope)
    return [
        Finding(
            rule=violation.rule_name,
            path=resource.construct_path or resource.resource_logical_id or "?",
            description=violation.description,
            severity=violation.severity or "error",
        )
        for violation in report.violations
        for resource in violation.violating_resources
    ]


@dataclass(frozen=True)
class Acknowledged:
    rule: str
    path: str
    reason: str


def acknowledgements(scope: IConstruct) -> list[Acknowledged]:
    """Every acknowledgement recorded under `scope`, for the synth summary."""
    return [
        Acknowledged(rule=rule_id, path=node.node.path, reason=reason)
        for node in scope.node.find_all()
        for rule_id, reason in _reasons(node).items()
    ]
