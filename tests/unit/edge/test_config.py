"""Config: TOML + DOORMAN_* overrides, strict keys, errors that name the key."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from cli import main
from edge_agent.config import AgentConfig, ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[3] / "assets" / "doorman.example.toml"


@pytest.fixture(autouse=True)
def _no_doorman_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DOORMAN_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doorman.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    config = load_config()
    assert config.camera_id == "front-door"
    assert config.motion.width == 320
    assert config.recognition.enabled is False
    assert config.recognition.upload == "all"
    assert config.capture.rtsp_transport == "tcp"


def test_toml_values_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'camera_id = "porch"\n[motion]\nthreshold = 40\nmasks = [[[0, 0], [0.5, 0], [0.5, 0.5]]]\n'
        '[spool]\nmax_bytes = 2000000\n[upload]\nbucket = "b"\n',
    )
    config = load_config(path)
    assert config.camera_id == "porch"
    assert config.motion.threshold == 40
    assert config.motion.masks == [[(0, 0), (0.5, 0), (0.5, 0.5)]]
    assert config.spool.max_bytes == 2_000_000
    assert config.upload.bucket == "b"


def test_environment_overrides_the_file_with_nested_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[spool]\nmax_bytes = 2000000\n[motion]\nthreshold = 40\n")
    monkeypatch.setenv("DOORMAN_SPOOL__MAX_BYTES", "3000000")
    monkeypatch.setenv("DOORMAN_CAMERA_ID", "garage")
    monkeypatch.setenv("DOORMAN_MOTION__MASKS", "[[[0, 0], [10, 0], [10, 10]]]")
    config = load_config(path)
    assert config.spool.max_bytes == 3_000_000
    assert config.camera_id == "garage"
    assert config.motion.threshold == 40  # untouched keys of the section survive
    assert config.motion.masks == [[(0, 0), (10, 0), (10, 10)]]


def test_explicit_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORMAN_CAMERA_ID", "garage")
    assert load_config(None, {"camera_id": "cli"}).camera_id == "cli"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[motion]\nthreshold = 300\n",
            "motion.threshold: Input should be less than or equal to 255",
        ),
        ("[motion]\ntreshold = 3\n", "motion.treshold: unknown key"),
        ("colour = 1\n", "colour: unknown key"),
        ("[faces]\ndetector = 'cnn'\n", "faces.detector: Input should be 'hog'"),
        ("[motion]\nblur = 4\n", "motion.blur: must be 0 (off) or an odd kernel size"),
        ("[motion]\nmasks = [[[0, 0], [1, 1]]]\n", "motion.masks: mask 0 needs at least 3 points"),
        ("camera_id = 'front door'\n", "camera_id: must be one safe path segment"),
        ("[recognition]\nupload = 'none'\n", "recognition.upload: Input should be 'all' or"),
        ("[spool]\nmax_bytes = 'lots'\n", "spool.max_bytes: Input should be a valid integer"),
        (
            "[capture]\nreconnect_initial_seconds = 9\nreconnect_max_seconds = 2\n",
            "capture: reconnect_max_seconds must be >= reconnect_initial_seconds",
        ),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert any(problem.startswith(expected) for problem in error.value.problems), error.value


UNSAFE_CAMERA_IDS = [".", "..", "../door", "a/b", "a\\b", ".door", "-door", "", "x" * 65]


@pytest.mark.parametrize("camera_id", UNSAFE_CAMERA_IDS)
def test_camera_id_must_be_one_safe_key_segment_in_the_file(tmp_path: Path, camera_id) -> None:
    # A JSON string of ASCII text is also a TOML basic string.
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, f"camera_id = {json.dumps(camera_id)}\n"))
    assert [problem.split(":")[0] for problem in error.value.problems] == ["camera_id"]
    assert "must be one safe path segment" in str(error.value)


@pytest.mark.parametrize("camera_id", UNSAFE_CAMERA_IDS)
def test_camera_id_must_be_one_safe_key_segment_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, camera_id
) -> None:
    monkeypatch.setenv("DOORMAN_CAMERA_ID", camera_id)
    with pytest.raises(ConfigError, match=r"^camera_id: must be one safe path segment"):
        load_config()


@pytest.mark.parametrize("camera_id", ["door", "porch-2", "Back_Yard.cam", "7", "a..b"])
def test_ordinary_camera_ids_are_accepted(monkeypatch: pytest.MonkeyPatch, camera_id) -> None:
    monkeypatch.setenv("DOORMAN_CAMERA_ID", camera_id)
    assert load_config().camera_id == camera_id


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "[motion]\nthreshold = 0\nwidth = 10\n"))
    keys = sorted(problem.split(":")[0] for problem in error.value.problems)
    assert keys == ["motion.threshold", "motion.width"]


def test_misspelt_environment_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORMAN_MOTION__TRESHOLD", "30")
    with pytest.raises(
        ConfigError, match=r"motion\.treshold: unknown key .*DOORMAN_MOTION__TRESHOLD"
    ):
        load_config()


def test_bad_environment_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORMAN_FACES__TOP_K", "many")
    with pytest.raises(ConfigError, match=r"faces\.top_k: Input should be a valid integer"):
        load_config()


def test_other_doorman_variables_are_not_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORMAN_CAMERA_PASSWORD", "secret")
    monkeypatch.setenv("DOORMAN_CONFIG", "/etc/doorman/doorman.toml")
    assert load_config().camera_id == "front-door"


def test_missing_and_broken_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(write(tmp_path, "[motion\n"))


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_example_config_is_valid_and_documents_every_key() -> None:
    text = EXAMPLE.read_text()
    load_config(EXAMPLE)  # valid as shipped
    # Uncomment every "# key = value" line: the result must still be a valid config.
    text = re.sub(r"^# masks = .*$", "", text, flags=re.MULTILINE)
    uncommented = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.MULTILINE)
    documented: set[str] = set()
    for section, values in tomllib.loads(uncommented).items():
        if isinstance(values, dict):
            documented |= {f"{section}.{key}" for key in values}
        else:
            documented.add(section)
    missing = set(_keys(AgentConfig)) - documented
    assert not missing, f"keys missing from {EXAMPLE.name}: {sorted(missing)}"


def test_check_config_command(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["check-config", "--config", str(EXAMPLE)])
    assert good.exit_code == 0, good.output
    assert '"camera_id": "front-door"' in good.stdout
    bad = runner.invoke(
        main, ["check-config", "--config", str(write(tmp_path, "[motion]\nalpha = 2\n"))]
    )
    assert bad.exit_code == 2
    assert "motion.alpha: Input should be less than or equal to 1" in bad.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["watch", "clip.mp4", "--dry-run", "out"],
        ["push", "clip.mp4", "--stream", "door"],
        ["gallery", "sync", "--bucket", "faces"],
        ["check-config"],
    ],
    ids=["watch", "push", "gallery-sync", "check-config"],
)
def test_every_command_rejects_bad_config_naming_the_key(tmp_path: Path, command) -> None:
    bad = write(tmp_path, "[push]\nrtsp_transport = 'pigeon'\n")
    result = CliRunner().invoke(main, [*command, "--config", str(bad)])
    assert result.exit_code == 2, result.output
    assert "push.rtsp_transport: Input should be 'tcp' or 'udp'" in result.stderr


def test_cameras_have_unique_ids_and_their_own_settings(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[faces]\nmin_face_px = 80\n\n[[cameras]]\nid = "porch"\nsource = "a.mp4"\n\n'
            '[[cameras]]\nid = "garage"\nsource = "rtsp://cam/1"\nmin_face_px = 40\n'
            "masks = [[[0.0, 0.0], [1.0, 0.0], [1.0, 0.2]]]\n",
        )
    )
    porch, garage = (config.for_camera(camera) for camera in config.cameras)
    assert (porch.camera_id, porch.source, porch.faces.min_face_px) == ("porch", "a.mp4", 80)
    assert (garage.camera_id, garage.faces.min_face_px) == ("garage", 40)
    assert porch.motion.masks == [] and len(garage.motion.masks) == 1
    with pytest.raises(
        ConfigError, match=r"cameras: duplicate camera id 'porch' \(cameras 0 and 1\)"
    ):
        load_config(
            write(
                tmp_path,
                '[[cameras]]\nid = "porch"\nsource = "a"\n\n'
                '[[cameras]]\nid = "porch"\nsource = "b"\n',
            )
        )
    with pytest.raises(ConfigError, match=r"cameras\.0\.source: Field required"):
        load_config(write(tmp_path, '[[cameras]]\nid = "porch"\n'))
