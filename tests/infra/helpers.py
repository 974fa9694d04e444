"""Small readers for synthesized CloudFormation templates."""

from __future__ import annotations

from typing import Any

FUNCTIONS = {"enroll", "analyze", "notify", "kvs_images", "expire_strangers"}
# The images poller exists only with streaming=images (tests/infra/test_streaming_modes.py).
IMAGES_MODE_ONLY = {"kvs_images"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def ref_id(value) -> str:
    """Logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attr]}."""
    if "Ref" in value:
        return value["Ref"]
    return value["Fn::GetAtt"][0]


def functions_by_package(stack) -> dict[str, tuple[str, dict]]:
    found = {}
    for logical_id, resource in stack.resources("AWS::Lambda::Function").items():
        handler = resource["Properties"].get("Handler", "")
        package = handler.removeprefix("functions.").split(".")[0]
        if package in FUNCTIONS:
            found[package] = (logical_id, resource["Properties"])
    return found


def render(value) -> str:
    """A policy Resource (or condition value) as text: `<LogicalId>` for references,
    `<AWS::Region>` etc. for pseudo parameters, literal parts kept."""
    if isinstance(value, str):
        return value
    if "Ref" in value or "Fn::GetAtt" in value:
        return f"<{ref_id(value)}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    raise AssertionError(f"unexpected resource {value}")
