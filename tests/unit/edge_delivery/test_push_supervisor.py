"""The pipeline supervisor, driven with small Python children instead of GStreamer."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from edge_agent.push import PipelineSupervisor

# A child that says it is ready, then waits; SIGINT makes it record the signal and exit 0.
POLITE_CHILD = """
import pathlib, signal, sys, time
out = pathlib.Path(sys.argv[1])
def done(sig, frame):
    out.with_suffix(".signal").write_text(signal.Signals(sig).name)
    sys.exit(0)
signal.signal(signal.SIGINT, done)
out.write_text("ready")
time.sleep(60)
"""


def child(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


def wait_for(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_dying_pipeline_is_restarted_with_exponential_backoff() -> None:
    supervisor = PipelineSupervisor(
        child("import sys; sys.exit(3)"), min_backoff=0.05, max_backoff=0.2, max_restarts=3
    )
    assert supervisor.run() == 3
    assert supervisor.starts == 4
    assert supervisor.exit_codes == [3, 3, 3, 3]
    for delay, ceiling in zip(supervisor.delays, [0.05, 0.1, 0.2], strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_a_finished_file_is_not_restarted_but_an_ended_live_stream_is() -> None:
    done = PipelineSupervisor(child("pass"), restart_on_exit_0=False)
    assert done.run() == 0 and done.starts == 1
    live = PipelineSupervisor(child("pass"), min_backoff=0.01, max_backoff=0.01, max_restarts=2)
    live.run()
    assert live.starts == 3


def test_stop_is_forwarded_as_sigint_and_run_returns_0(tmp_path: Path) -> None:
    marker = tmp_path / "child"
    supervisor = PipelineSupervisor(child(POLITE_CHILD, str(marker)))
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(supervisor.run()))
    runner.start()
    wait_for(marker)
    supervisor.stop()
    runner.join(10)
    assert result == [0]
    assert marker.with_suffix(".signal").read_text() == "SIGINT"
    assert supervisor.starts == 1  # a requested stop is not a crash


def test_a_child_that_ignores_the_stop_signal_is_terminated_after_the_grace(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "child"
    stubborn = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "pathlib.Path(sys.argv[1]).write_text('ready')\n"
        "time.sleep(60)\n"
    )
    supervisor = PipelineSupervisor(child(stubborn, str(marker)), grace=0.3)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    wait_for(marker)
    started = time.monotonic()
    supervisor.stop()
    runner.join(10)
    assert not runner.is_alive()
    assert supervisor.exit_codes == [-signal.SIGTERM]
    assert time.monotonic() - started < 5


def test_sigterm_to_the_supervisor_process_stops_child_and_exits_0(tmp_path: Path) -> None:
    marker = tmp_path / "child"
    program = textwrap.dedent(
        f"""
        import sys
        from edge_agent.push import PipelineSupervisor
        argv = [sys.executable, "-c", {POLITE_CHILD!r}, {str(marker)!r}]
        sys.exit(PipelineSupervisor(argv).run())
        """
    )
    process = subprocess.Popen([sys.executable, "-c", program])
    try:
        wait_for(marker)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    assert marker.with_suffix(".signal").read_text() == "SIGINT"
