"""Shared fixtures for every suite. Servers start only when a test asks for them.

Session fixtures (names are stable; other suites rely on them):
- `moto_server`: URL of a moto server (all services) on 127.0.0.1.
- `face_service`: URL of the Rekognition-compatible face service; S3Object images are read
  from `moto_server`.
- `aws_env`: the environment (also applied to os.environ for the session) that sends plain
  `boto3.client("s3")` / `boto3.client("rekognition")` to the two servers, with moto's
  fake credentials.
- `s3_client`, `rekognition_client`: boto3 clients for them.
- `sample_faces`: {name: Path} of assets/faces (grace_hopper, astronaut, luispedro, takeo,
  einstein_podium).
- `augmented`: `augmented(name, seed) -> JPEG bytes`, cached per session.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.images import FACES_DIR, augment

# local_cloud, cloud, gallery, enrolled: one local cloud for every suite that asks for it.
pytest_plugins = ("tests.support.cloud",)

# Never let a test reach real AWS through a developer's profile or credentials.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from localcloud.services import start_moto

    service = start_moto()
    yield service.url
    service.stop()


@pytest.fixture(scope="session")
def face_service(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from localcloud.services import start_face_service

    service = start_face_service(
        data_dir=tmp_path_factory.mktemp("face-service"), s3_endpoint_url=moto_server
    )
    yield service.url
    service.stop()


@pytest.fixture(scope="session")
def aws_env(moto_server: str, face_service: str) -> Iterator[dict[str, str]]:
    from localcloud.services import local_env

    env = local_env(moto_server, face_service)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


@pytest.fixture(scope="session")
def s3_client(aws_env: dict[str, str]):
    import boto3

    return boto3.client("s3")


@pytest.fixture(scope="session")
def rekognition_client(aws_env: dict[str, str]):
    import boto3

    return boto3.client("rekognition")


@pytest.fixture(scope="session")
def sample_faces() -> dict[str, Path]:
    faces = {
        path.stem: path
        for path in sorted(FACES_DIR.iterdir())
        if path.suffix.lower() in (".jpg", ".jpeg", ".png")
    }
    assert faces, f"no sample faces in {FACES_DIR}"
    return faces


@pytest.fixture(scope="session")
def augmented(sample_faces: dict[str, Path]) -> Callable[[str, int], bytes]:
    @functools.cache
    def make(name: str, seed: int) -> bytes:
        return augment(sample_faces[name], seed)

    return make
