"""Environments applied and restored in overlapping threads never leak into each other,
and a thread-scoped environment (localcloud.threadenv) is seen by its thread alone."""

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


def test_each_thread_sees_its_own_scoped_environment(monkeypatch) -> None:
    """What lets handlers run side by side: two invocations inside each other's lifetime
    read their own variables, and the process environment is untouched."""
    import threading

    from localcloud.threadenv import scoped

    monkeypatch.setenv("DOORMAN_TEST_FUNCTION", "process")
    both_inside = threading.Barrier(2)
    seen: dict[str, tuple[str | None, str | None]] = {}

    def invocation(name: str) -> None:
        with scoped({"DOORMAN_TEST_FUNCTION": name, f"DOORMAN_TEST_ONLY_{name}": "1"}):
            both_inside.wait(timeout=5)
            seen[name] = (
                os.getenv("DOORMAN_TEST_FUNCTION"),
                os.environ.get(f"DOORMAN_TEST_ONLY_{name}"),
            )
            both_inside.wait(timeout=5)

    threads = [threading.Thread(target=invocation, args=(n,)) for n in ("analyze", "notify")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"analyze": ("analyze", "1"), "notify": ("notify", "1")}
    assert os.environ["DOORMAN_TEST_FUNCTION"] == "process"
    assert "DOORMAN_TEST_ONLY_analyze" not in os.environ


def test_a_scoped_change_stays_in_its_thread(monkeypatch) -> None:
    from localcloud.threadenv import scoped

    monkeypatch.setenv("DOORMAN_TEST_KEPT", "process")
    with scoped({}):
        os.environ["DOORMAN_TEST_SCOPED"] = "x"
        del os.environ["DOORMAN_TEST_KEPT"]
        assert "DOORMAN_TEST_KEPT" not in os.environ and os.environ["DOORMAN_TEST_SCOPED"] == "x"
        assert "DOORMAN_TEST_SCOPED" in dict(os.environ)
    assert os.environ["DOORMAN_TEST_KEPT"] == "process"
    assert "DOORMAN_TEST_SCOPED" not in os.environ
