"""Where `doorman local up` keeps its data, and the checks made before anything starts.

The default is `$XDG_DATA_HOME/doorman/localcloud` (`~/.local/share/doorman/localcloud`
without XDG_DATA_HOME), so a user keeps their people, events and queued frames without
knowing a flag; `--data-dir` chooses another. One `doorman local up` at a time may use a
directory: it holds an exclusive lock on `DIR/.lock` while it runs.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

LOCK_FILE = ".lock"


class DataDirError(RuntimeError):
    """The data directory cannot be used; nothing in it was changed."""


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/share")
    return Path(base) / "doorman" / "localcloud"


def claim(directory: Path) -> IO[str]:
    """Create `directory` if needed, check that it is writable and lock it; returns the open
    lock file (the lock lasts as long as it stays open)."""
    if directory.exists() and not directory.is_dir():
        raise DataDirError(f"data directory {directory} is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
        lock = (directory / LOCK_FILE).open("a")
    except OSError as exc:
        raise DataDirError(f"cannot write in data directory {directory}: {exc}") from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        lock.close()
        raise DataDirError(
            f"data directory {directory} is in use by another `doorman local up`"
        ) from exc
    return lock
