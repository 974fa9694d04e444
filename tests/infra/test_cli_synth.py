"""The pinned CDK CLI synthesizes the app as `make synth` does (cdk-nag inside, dependency
layer bundled with pip, no Docker), and cfn-lint finds nothing. One mode only: the other is
covered in-process, and each CLI synth costs ~30 s."""

from __future__ import annotations

import json
import subprocess

import pytest

from infra import synth

pytestmark = [pytest.mark.infra, pytest.mark.slow]


def test_cli_synth_with_nag_and_cfn_lint(tmp_path):
    result = synth.synth("streaming", synth.MODES["streaming"], tmp_path / "streaming")
    assert result.synth_ok, result.synth_log
    (template,) = result.templates
    resources = json.loads(template.read_text())["Resources"]
    assert any(r["Type"] == "AWS::Rekognition::StreamProcessor" for r in resources.values())
    assert result.acknowledgements  # recorded in the cloud assembly for the summary
    # app.py ran the AwsSolutions pack: it copied each acknowledgement into the template
    nag_metadata = [
        r["Metadata"]["cdk_nag"] for r in resources.values() if "cdk_nag" in r.get("Metadata", {})
    ]
    assert nag_metadata
    assert all(m["rules_to_suppress"] for m in nag_metadata)
    # the dependency layer was really built: Powertools, pydantic-settings and Pillow for arm64
    (layer,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    asset = layer["Metadata"]["aws:asset:path"]
    site = tmp_path / "streaming" / asset / "python"
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "pydantic_settings").is_dir()
    assert any(path.name.endswith("aarch64-linux-gnu.so") for path in (site / "PIL").iterdir())
    assert synth.lint(result.templates) == []


def test_cli_synth_rejects_bad_context_naming_the_key(tmp_path):
    completed = subprocess.run(
        [
            str(synth.CDK),
            "synth",
            "--quiet",
            "--no-notices",
            "--output",
            str(tmp_path),
            "-c",
            "known_threshold=120",
        ],
        cwd=synth.REPO_ROOT,
        env=synth.cdk_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "known_threshold" in completed.stderr
    assert "100" in completed.stderr
