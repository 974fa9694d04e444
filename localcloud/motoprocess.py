"""moto server in a child process: `python -m localcloud.motoprocess [--state FILE]`.

With `--state`, moto's state is restored from FILE before the first request and saved to it
when the child stops (SIGTERM, SIGINT, or its parent going away): see localcloud.snapshot.
A snapshot that cannot be read stops the child with a message naming the file; the file is
left as it is. See localcloud.children for how the parent runs it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from . import motofixes, snapshot
from .children import serve_until_stopped
from .services import start_moto


def _check_writable(directory: Path) -> None:
    """Fail now, not at shutdown, when the snapshot could not be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise snapshot.SnapshotError(
            f"cannot write the local cloud's state in {directory}: {exc}"
        ) from exc


def _restore(state: Path) -> None:
    _check_writable(state.parent)
    if not state.exists():
        return
    started = time.perf_counter()
    snapshot.restore(snapshot.load(state))
    megabytes = state.stat().st_size / 1e6
    seconds = time.perf_counter() - started
    print(f"# moto state restored from {state} ({megabytes:.1f} MB in {seconds:.2f} s)",
          file=sys.stderr, flush=True)  # fmt: skip


def _save(state: Path) -> None:
    started = time.perf_counter()
    size = snapshot.save(state)
    seconds = time.perf_counter() - started
    print(f"# moto state saved to {state} ({size / 1e6:.1f} MB in {seconds:.2f} s)",
          file=sys.stderr, flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud.motoprocess")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state", type=Path, default=None, help="snapshot file to keep")
    args = parser.parse_args(argv)

    motofixes.apply()
    snapshot.preload()
    if args.state is not None:
        try:
            _restore(args.state)
        except snapshot.SnapshotError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            sys.exit(2)
    moto = start_moto(args.port)

    def stop() -> None:
        moto.stop()
        if args.state is not None:
            _save(args.state)

    serve_until_stopped(moto.url, stop)


if __name__ == "__main__":
    main()
