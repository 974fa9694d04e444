"""kvssink's credential file: its format, its privacy, and its refresh before expiry."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from botocore.credentials import Credentials, RefreshableCredentials
from click.testing import CliRunner

from edge_agent.push import (
    AwsCredentials,
    DefaultChainCredentials,
    KvsCredentialFile,
    PushError,
    check_elements,
    child_environment,
    kvssink_credential_line,
    seconds_until_refresh,
)

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


class Issuer:
    """A credential source whose credentials live `lifetime` seconds and change every call."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.issued: list[AwsCredentials] = []
        self._serial = count(1)
        self.fail = threading.Event()

    def __call__(self) -> AwsCredentials:
        if self.fail.is_set():
            raise RuntimeError("the role could not be assumed")
        n = next(self._serial)
        credentials = AwsCredentials(
            access_key=f"ASIAFAKE{n:012d}",
            secret_key=f"fake/secret+{n:04d}xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            token=f"FakeSessionToken{n:04d}" + "t" * 40,
            expires_at=datetime.now(UTC) + timedelta(seconds=self.lifetime),
        )
        self.issued.append(credentials)
        return credentials


def test_temporary_credentials_use_the_five_field_rotating_format() -> None:
    credentials = AwsCredentials("ASIAKEY", "sec/ret+key", "tok==", NOW + timedelta(hours=1))
    assert kvssink_credential_line(credentials, NOW) == (
        "CREDENTIALS ASIAKEY 2026-05-01T13:00:00Z sec/ret+key tok==\n"
    )


def test_expiry_is_written_in_utc_whatever_its_timezone() -> None:
    paris = datetime(2026, 5, 1, 15, 30, 9, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    line = kvssink_credential_line(AwsCredentials("A", "S", "T", paris), NOW)
    assert line.split()[2] == "2026-05-01T15:30:09Z"


def test_long_term_keys_use_the_three_field_format() -> None:
    assert kvssink_credential_line(AwsCredentials("AKIAKEY", "secret"), NOW) == (
        "CREDENTIALS AKIAKEY secret\n"
    )


def test_a_token_with_no_known_expiry_gets_the_assumed_lifetime() -> None:
    line = kvssink_credential_line(AwsCredentials("ASIAKEY", "secret", "tok"), NOW)
    assert line.split()[2] == "2026-05-01T12:15:00Z"


def test_whitespace_in_a_credential_is_refused_without_echoing_it() -> None:
    with pytest.raises(PushError, match="whitespace") as refused:
        kvssink_credential_line(AwsCredentials("AKIA", "bad secret"), NOW)
    assert "bad secret" not in str(refused.value)


def test_credentials_do_not_appear_in_their_repr() -> None:
    text = repr(AwsCredentials("AKIAVISIBLE", "hidden-secret", "hidden-token", NOW))
    assert "AKIAVISIBLE" not in text and "hidden" not in text
    assert "2026" in text


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (timedelta(hours=1), 30 * 60),  # half the lifetime
        (timedelta(minutes=8), 3 * 60),  # at the latest 5 minutes before expiry
        (timedelta(seconds=4), 1),  # never busier than once a second
        (timedelta(seconds=-10), 1),  # already expired: try again soon
    ],
)
def test_refresh_schedule(remaining: timedelta, expected: float) -> None:
    assert seconds_until_refresh(NOW + remaining, NOW) == pytest.approx(expected)


def test_unknown_expiry_is_rechecked_every_five_minutes() -> None:
    assert seconds_until_refresh(None, NOW) == 300


def test_the_file_is_private_and_removed_at_close(tmp_path: Path) -> None:
    issuer = Issuer(lifetime=3600)
    credential_file = KvsCredentialFile(issuer)
    path = credential_file.start()
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert path.parent.name.startswith("doorman-kvs-")
        assert path.read_text().split()[1] == issuer.issued[0].access_key
    finally:
        credential_file.close()
    assert not path.exists() and not path.parent.exists()


def test_refreshes_before_each_expiry_by_atomic_replacement(tmp_path: Path) -> None:
    issuer = Issuer(lifetime=2.5)  # refreshed every ~1.25 s
    with KvsCredentialFile(issuer, directory=tmp_path / "kvs") as credential_file:
        path = credential_file.path
        first_version = path.open()  # what a reader holds while the file is replaced
        seen: list[str] = []
        deadline = time.monotonic() + 20
        while len(seen) < 4:
            assert time.monotonic() < deadline, f"only {len(seen)} versions of the file"
            text = path.read_text()
            if text not in seen:
                seen.append(text)
            time.sleep(0.05)
        # Replaced by rename, never rewritten in place: the old file is still whole.
        with first_version:
            assert first_version.read() == seen[0]
        # Every version is one set of issued credentials, complete, with a future expiry.
        issued = {c.access_key: c for c in issuer.issued}
        for text in seen:
            fields = text.split()
            assert len(fields) == 5 and text.endswith("\n")
            credentials = issued[fields[1]]
            assert fields[3:] == [credentials.secret_key, credentials.token]
            assert credentials.expires_at is not None
            assert fields[2] == credentials.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert [p.name for p in path.parent.iterdir()] == ["credentials"]  # no temp file left
    assert not (tmp_path / "kvs").exists()


def test_a_failed_refresh_keeps_the_file_and_retries_without_logging_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    issuer = Issuer(lifetime=2)
    caplog.set_level(logging.DEBUG, logger="edge_agent.push")
    credential_file = KvsCredentialFile(issuer, retry_after=timedelta(seconds=0.2))
    path = credential_file.start()
    try:
        before = path.read_text()
        issuer.fail.set()
        time.sleep(2.5)  # the refresh at ~1 s fails, and so do the retries
        assert path.read_text() == before
        issuer.fail.clear()
        deadline = time.monotonic() + 5
        while path.read_text() == before:
            assert time.monotonic() < deadline, "never recovered after the failure"
            time.sleep(0.05)
    finally:
        credential_file.close()
    assert "could not refresh the kvssink credentials (RuntimeError)" in caplog.text
    for credentials in issuer.issued:
        for secret in (credentials.access_key, credentials.secret_key, credentials.token):
            assert secret and secret not in caplog.text


def test_a_source_that_fails_at_start_leaves_nothing_behind(tmp_path: Path) -> None:
    issuer = Issuer(lifetime=60)
    issuer.fail.set()
    with pytest.raises(RuntimeError):
        KvsCredentialFile(issuer, directory=tmp_path / "kvs").start()
    assert not (tmp_path / "kvs").exists()


class FakeSession:
    def __init__(self, credentials: Credentials | None) -> None:
        self.credentials = credentials
        self.calls = 0

    def get_credentials(self) -> Credentials | None:
        self.calls += 1
        return self.credentials


def test_default_chain_returns_botocore_refreshed_credentials_with_their_expiry() -> None:
    serial = count(1)

    def assume_role() -> dict[str, str]:
        n = next(serial)
        expiry = datetime.now(UTC) + timedelta(seconds=60)  # inside botocore's refresh window
        return {
            "access_key": f"ASIA{n}",
            "secret_key": f"secret{n}",
            "token": f"token{n}",
            "expiry_time": expiry.isoformat(),
        }

    refreshable = RefreshableCredentials.create_from_metadata(
        assume_role(), assume_role, "assume-role"
    )
    session = FakeSession(refreshable)
    chain = DefaultChainCredentials(session)
    first, second = chain(), chain()
    assert (first.access_key, second.access_key) == ("ASIA2", "ASIA3")
    assert second.token == "token3" and second.secret_key == "secret3"
    assert second.expires_at is not None
    assert 0 < (second.expires_at - datetime.now(UTC)).total_seconds() <= 60
    assert session.calls == 1  # the chain is resolved once; botocore refreshes


def test_default_chain_long_term_keys_have_no_expiry() -> None:
    chain = DefaultChainCredentials(FakeSession(Credentials("AKIA", "secret")))
    assert chain() == AwsCredentials("AKIA", "secret", None, None)


def test_default_chain_without_credentials_says_how_to_log_in() -> None:
    with pytest.raises(PushError, match="no AWS credentials"):
        DefaultChainCredentials(FakeSession(None))()


def test_child_environment_carries_the_region_and_no_credentials() -> None:
    env = child_environment(
        "eu-west-1",
        base={
            "PATH": "/usr/bin",
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_SESSION_TOKEN": "token",
            "AWS_SECURITY_TOKEN": "token",
            "AWS_CREDENTIAL_EXPIRATION": "2026-05-01T13:00:00Z",
            "AWS_PROFILE": "doorman-edge",
        },
    )
    assert env == {
        "PATH": "/usr/bin",
        "AWS_PROFILE": "doorman-edge",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }


CREDENTIAL_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def test_gst_inspect_gets_no_aws_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_elements() runs gst-inspect-1.0 with the pipeline's credential-free environment."""
    dumps = tmp_path / "environments"
    dumps.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("gst-launch-1.0", "gst-inspect-1.0"):
        tool = bin_dir / name
        # Each call dumps its environment, NUL-separated, to a file of its own.
        tool.write_text(f'#!/bin/sh\nenv -0 > "{dumps}/{name}.$$"\nexit 0\n')
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FakeSessionToken" + "t" * 40)
    monkeypatch.setenv("AWS_PROFILE", "doorman-edge")

    check_elements(["kvssink", "h264parse"])  # the process environment
    check_elements(["kvssink"], env=dict(os.environ))  # an explicit one

    seen = sorted(dumps.glob("gst-inspect-1.0.*"))
    assert len(seen) == 3
    for dump in seen:
        env = dict(entry.partition("=")[::2] for entry in dump.read_text().split("\0") if entry)
        leaked = sorted(set(CREDENTIAL_NAMES) & set(env))
        assert not leaked, f"{dump.name} got {leaked}"
        assert env["AWS_PROFILE"] == "doorman-edge"  # the rest is passed through
        for name in CREDENTIAL_NAMES:
            assert os.environ[name] not in dump.read_text()


class RecordingSupervisor:
    """Stands in for PipelineSupervisor: records what the pipeline would be given."""

    argv: ClassVar[list[str]] = []
    env: ClassVar[dict[str, str]] = {}
    credential_path = Path()
    content_while_running = ""

    def __init__(self, argv: list[str], *, env: dict[str, str], **_: object) -> None:
        RecordingSupervisor.argv, RecordingSupervisor.env = argv, env

    def run(self) -> int:
        (item,) = [a for a in self.argv if a.startswith("credential-path=")]
        RecordingSupervisor.credential_path = Path(item.partition("=")[2])
        RecordingSupervisor.content_while_running = self.credential_path.read_text()
        return 0


def test_doorman_push_points_kvssink_at_the_live_file_and_removes_it_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wiring of `doorman push` with kvssink, which cannot be installed here."""
    import cli.push

    monkeypatch.setattr(cli.push, "check_elements", lambda elements: None)
    monkeypatch.setattr(cli.push, "PipelineSupervisor", RecordingSupervisor)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    result = CliRunner().invoke(
        cli.push.push, ["rtsp://127.0.0.1/door", "--stream", "door", "--region", "eu-west-1"]
    )
    assert result.exit_code == 0, result.output
    path = RecordingSupervisor.credential_path
    assert path.parent.parent == tmp_path
    assert RecordingSupervisor.argv[-4:] == [
        "kvssink",
        "stream-name=door",
        "aws-region=eu-west-1",
        f"credential-path={path}",
    ]
    assert RecordingSupervisor.content_while_running == (
        "CREDENTIALS AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(RecordingSupervisor.env)
    assert RecordingSupervisor.env["AWS_REGION"] == "eu-west-1"
    assert not path.parent.exists()  # removed when push returned


def test_child_environment_region_wins_over_an_inherited_one() -> None:
    # kvssink prefers AWS_DEFAULT_REGION to its aws-region property (gstkvssink.cpp), so an
    # inherited region would silently override --region.
    env = child_environment("eu-west-1", base={"AWS_DEFAULT_REGION": "us-east-1"})
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "eu-west-1"
