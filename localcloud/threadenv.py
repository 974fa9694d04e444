"""One environment per thread, for handlers that run side by side in one process.

Lambda gives each execution environment its own variables. Locally the handlers share one
process, and os.environ is process-wide, so the router once ran one invocation at a time.
`install()` turns `os.environ` (the object itself, so that every reference to it, such as
the one botocore's default session keeps, is covered) into a `ScopedEnviron`: a thread
inside `scoped(env)` reads and writes `env` layered over the process environment, and every
other thread sees the process environment unchanged. boto3, pydantic-settings and
Powertools read variables through `os.environ` / `os.getenv` when they need them, so each
handler sees its own function name, tables and endpoints.

Child processes are unaffected: `subprocess` passes the process (C-level) environment.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

_DELETED = object()
_local = threading.local()
_install_lock = threading.Lock()


def _layer() -> dict[str, object] | None:
    layer: dict[str, object] | None = getattr(_local, "layer", None)
    return layer


class ScopedEnviron(os._Environ[str]):
    """`os._Environ` with the calling thread's layer on top (see the module docstring)."""

    def __getitem__(self, key: str) -> str:
        layer = _layer()
        if layer is not None and key in layer:
            value = layer[key]
            if value is _DELETED:
                raise KeyError(key)
            return str(value)
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        layer = _layer()
        if layer is None:
            super().__setitem__(key, value)
        else:
            layer[key] = str(value)

    def __delitem__(self, key: str) -> None:
        layer = _layer()
        if layer is None:
            super().__delitem__(key)
            return
        if key not in self:
            raise KeyError(key)
        layer[key] = _DELETED

    def _keys(self) -> list[str]:
        layer = _layer()
        process = list(super().__iter__())
        if layer is None:
            return process
        kept = [k for k in process if layer.get(k) is not _DELETED]
        return kept + [k for k, v in layer.items() if v is not _DELETED and k not in process]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def copy(self) -> dict[str, str]:
        return dict(self)

    def __repr__(self) -> str:
        return f"environ({dict(self)!r})"


def install() -> None:
    """Make `os.environ` thread-scoped (once per process)."""
    with _install_lock:
        environ: Any = os.environ
        if type(environ) is os._Environ:
            environ.__class__ = ScopedEnviron


@contextlib.contextmanager
def scoped(env: Mapping[str, str]) -> Iterator[None]:
    """This thread sees `env` over the process environment until the block ends."""
    install()
    previous = _layer()
    _local.layer = {**(previous or {}), **env}
    try:
        yield
    finally:
        _local.layer = previous
