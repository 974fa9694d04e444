"""Environments applied and restored in overlapping threads never leak into each other."""

from __future__ import annotations

import os

from localcloud.services import apply_env, restore_env


def test_restore_leaves_a_variable_that_someone_else_changed_since(monkeypatch) -> None:
    monkeypatch.setenv("DOORMAN_TEST_ENDPOINT", "session")
    outer = apply_env({"DOORMAN_TEST_ENDPOINT": "cli"})  # e.g. click's CliRunner
    inner = apply_env({"DOORMAN_TEST_ENDPOINT": "cli"})  # a router thread, same value
    restore_env(outer)  # CliRunner finishes first
    assert os.environ["DOORMAN_TEST_ENDPOINT"] == "session"
    restore_env(inner)  # the thread must not put "cli" back
    assert os.environ["DOORMAN_TEST_ENDPOINT"] == "session"


def test_restore_removes_what_it_added(monkeypatch) -> None:
    monkeypatch.delenv("DOORMAN_TEST_ADDED", raising=False)
    previous = apply_env({"DOORMAN_TEST_ADDED": "x"})
    restore_env(previous)
    assert "DOORMAN_TEST_ADDED" not in os.environ
