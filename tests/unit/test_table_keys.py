"""Table key formats: built and read back by core.tablekeys, and spelled nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core import tablekeys
from core.tablekeys import (
    CooldownKey,
    PhotoKey,
    cooldown_key,
    event_sort_key,
    parse_cooldown_key,
    parse_photo_key,
    photo_key,
    sighting_sort_key,
    sort_key_time,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("core", "adapters", "functions", "ops", "edge_agent", "localcloud", "cli")


def string_literals(path: Path) -> list[str]:
    """The string constants of a Python file's code (f-string parts included), leaving out
    docstrings, which may describe a format without building it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, documented)
        and ast.get_docstring(node, clean=False) is not None
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("prefix", tablekeys.STATE_PREFIXES)
def test_each_state_key_prefix_is_spelled_in_exactly_one_place(prefix: str) -> None:
    places = [
        f"{path.relative_to(ROOT)}: {literal}"
        for folder in SOURCE_DIRS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for literal in string_literals(path)
        if prefix in literal
    ]
    assert places == [f"core/tablekeys.py: {prefix}"], places


def test_the_state_prefixes_include_photo_records_and_cooldowns() -> None:
    assert {"photo#", "cooldown#"} <= set(tablekeys.STATE_PREFIXES)
    assert not photo_key("b", "k").startswith(tablekeys.COOLDOWN_PREFIX)
    assert not cooldown_key("door", "x").startswith(tablekeys.PHOTO_PREFIX)


def test_photo_keys_round_trip_keys_with_slashes_and_unicode() -> None:
    pk = photo_key("faces-bucket", "known/José Núñez/1.jpg")
    assert pk == "photo#faces-bucket/known/José Núñez/1.jpg"
    assert parse_photo_key(pk) == PhotoKey("faces-bucket", "known/José Núñez/1.jpg")
    assert parse_photo_key(cooldown_key("door", "ann")) is None
    assert parse_photo_key("photo#bucket-without-key") is None


def test_cooldown_keys_name_camera_and_identity() -> None:
    assert cooldown_key("door", "unknown") == "cooldown#door#unknown"
    assert parse_cooldown_key(cooldown_key("door", "jose-nunez")) == CooldownKey(
        "door", "jose-nunez"
    )
    # A camera id holding the separator still leaves the identity whole.
    assert parse_cooldown_key(cooldown_key("back#2", "ann")) == CooldownKey("back#2", "ann")
    assert parse_cooldown_key(photo_key("b", "k")) is None
    assert parse_cooldown_key("cooldown#door") is None
    assert parse_cooldown_key("analyze#1a2b3c") is None  # a Powertools idempotency record


def test_sort_keys_start_with_the_capture_time() -> None:
    at = "2026-05-01T12:00:00.000Z"
    assert event_sort_key(at, "abc") == f"{at}#abc"
    assert sighting_sort_key(at, "door", "abc", 1) == f"{at}#door#abc#1"
    assert sort_key_time(event_sort_key(at, "abc")) == at
    assert sort_key_time(sighting_sort_key(at, "door", "abc", 0)) == at
