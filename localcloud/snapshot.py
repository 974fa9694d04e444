"""moto's state on disk: what `doorman local up --data-dir` keeps across restarts.

moto keeps every service's state in memory, in one `BackendDict` per service
(account -> region -> backend object). `save()` pickles the backends of the services
localcloud uses into one file, written atomically (a temp file, fsync, rename), so a crash
while saving leaves the previous snapshot whole. `restore()` puts them back before the
server answers its first request. Objects (with every version and tag), tables, queues with
their messages (visible or in flight, with receive counts), parameters, topics and SES's
sent mail all come back as they were.

Pickle is safe here because the file is written and read by the same user's local cloud; the
header names the moto version, and a snapshot from another version is refused (moto's
classes change between versions) rather than half-loaded.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SNAPSHOT_FILE = "moto-state.pickle"
# The services localcloud provisions and the functions call (Rekognition is the face service).
SERVICES = ("s3", "sqs", "dynamodb", "ssm", "sns", "ses", "kinesis", "kinesisvideo")
FORMAT = 2

_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
# moto's SSM backend keeps resource tags in `defaultdict(lambda: defaultdict(dict))`; a lambda
# cannot be pickled, so that one shape is rebuilt with an equal factory that can.
_SSM_TAGS_FACTORIES = ("SimpleSystemManagerBackend.__init__.<locals>.<lambda>",)

# What moto's BackendDict holds as configuration; any other attribute is state (S3's
# `bucket_accounts`, the bucket name -> account map that CreateBucket consults).
_BACKEND_DICT_SETTINGS = frozenset(
    {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
)


@dataclass
class ServiceState:
    backends: dict[str, dict[str, Any]]  # account -> region -> backend
    attributes: dict[str, Any]  # the BackendDict's own state


Backends = dict[str, ServiceState]


class SnapshotError(RuntimeError):
    """The snapshot cannot be read or written; the file on disk is left as it was."""


def _new_lock(reentrant: bool) -> Any:
    return threading.RLock() if reentrant else threading.Lock()


def _new_condition() -> threading.Condition:
    return threading.Condition()


def _tag_values() -> collections.defaultdict[str, Any]:
    return collections.defaultdict(dict)


def _ssm_tags(items: dict[str, Any]) -> collections.defaultdict[str, Any]:
    """SSM's tag dictionary, with a factory that pickles (a module-level function)."""
    return collections.defaultdict(_tag_values, items)


def _versioned_key_store(cls: type[dict[str, Any]], versions: dict[str, list[Any]]) -> Any:
    """S3's key store: each key maps to the list of its versions. Its `items()` and
    `__setitem__` see only the newest version, so the lists are copied as they are."""
    store = cls.__new__(cls)
    for key, listed in versions.items():
        dict.__setitem__(store, key, listed)
    return store


def _defaultdict_subclass(
    cls: type[collections.defaultdict[Any, Any]],
    factory: Any,
    items: dict[Any, Any],
    attributes: dict[str, Any],
) -> collections.defaultdict[Any, Any]:
    rebuilt = cls.__new__(cls)
    collections.defaultdict.__init__(rebuilt, factory)
    rebuilt.update(items)
    rebuilt.__dict__.update(attributes)
    return rebuilt


class _Pickler(pickle.Pickler):
    """Locks and conditions are saved as fresh, unheld ones (nothing holds them once the
    server has stopped); SSM's tag dictionary as its items; defaultdict subclasses whose
    `__init__` takes other arguments (SSM's ParameterDict) without calling it."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return _new_lock, (isinstance(obj, type(threading.RLock())),)
        if isinstance(obj, threading.Condition):
            return _new_condition, ()
        if (
            type(obj) is collections.defaultdict
            and getattr(obj.default_factory, "__qualname__", "") in _SSM_TAGS_FACTORIES
        ):
            return _ssm_tags, (dict(obj),)
        if type(obj).__name__ == "_VersionedKeyStore":
            return _versioned_key_store, (type(obj), dict(obj.lists()))
        if isinstance(obj, collections.defaultdict) and type(obj) is not collections.defaultdict:
            return _defaultdict_subclass, (type(obj), obj.default_factory, dict(obj), obj.__dict__)
        return NotImplemented


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def _backend_dict(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[call-overload]


def preload() -> None:
    """Import moto's models of SERVICES now, so that saving at shutdown does not."""
    for service in SERVICES:
        _backend_dict(service)


def collect() -> Backends:
    """moto's state for SERVICES: each BackendDict's backends and its own state."""
    state: Backends = {}
    for service in SERVICES:
        backend_dict = _backend_dict(service)
        state[service] = ServiceState(
            backends={account: dict(regions) for account, regions in backend_dict.items()},
            attributes={
                name: value
                for name, value in vars(backend_dict).items()
                if name not in _BACKEND_DICT_SETTINGS
            },
        )
    return state


def dumps(backends: Backends) -> bytes:
    buffer = io.BytesIO()
    header = {"format": FORMAT, "moto": _moto_version()}
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((header, backends))
    return buffer.getvalue()


def save(path: Path) -> int:
    """Write moto's state to `path` atomically; returns its size in bytes."""
    data = dumps(collect())
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(data)


def load(path: Path) -> Backends:
    """Read a snapshot; SnapshotError (naming the file) if it is not one this moto can use."""
    try:
        with path.open("rb") as source:
            header, backends = pickle.load(source)  # noqa: S301 (our own file, see above)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise SnapshotError(f"cannot read the local cloud's state in {path}: {exc}") from exc
    except (AttributeError, ImportError) as exc:  # a class moto no longer has
        raise SnapshotError(f"{path} was written by another moto version: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a localcloud snapshot (format {FORMAT})")
    if header.get("moto") != _moto_version():
        raise SnapshotError(
            f"{path} was written by moto {header.get('moto')}, this is moto {_moto_version()}; "
            "start with another --data-dir, or install that moto version"
        )
    if not isinstance(backends, dict) or not all(
        isinstance(state, ServiceState) for state in backends.values()
    ):
        raise SnapshotError(f"{path} holds no moto backends")
    return backends


def restore(backends: Backends) -> None:
    """Put saved backends in place of moto's (call before the server answers requests)."""
    for service, state in backends.items():
        backend_dict = _backend_dict(service)
        for account, regions in state.backends.items():
            account_backends = backend_dict[account]
            for region, backend in regions.items():
                dict.__setitem__(account_backends, region, backend)
        for name, value in state.attributes.items():
            setattr(backend_dict, name, value)
