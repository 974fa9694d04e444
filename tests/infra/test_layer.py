"""Lambda runs the versions the tests run (defect 6).

Powertools and everything else the functions import beyond the runtime's boto3 come from
one layer built at synth from infra/layer/requirements.txt at the constraints.txt pins - no
public layer whose version nobody checked. The fast tests read the sources and the template;
the slow ones build the layer with pip (as `cdk synth` does) and read what it holds.
"""

from __future__ import annotations

import ast
import json
import sys
from email.parser import Parser
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag, cpython_tags

from infra.constructs.layers import (
    LAMBDA_RUNTIME_PACKAGES,
    LAYER_REQUIREMENTS,
    constraint_pins,
    layer_asset_hash,
    layer_requirements,
    normalize,
)
from tests.infra.conftest import REPO_ROOT, synthesize
from tests.infra.helpers import functions_by_package, ref_id

pytestmark = pytest.mark.infra

ASSET_PACKAGES = ("core", "adapters", "functions")
# The Lambda platform the layer is built for (RUNTIME, ARCHITECTURE in function.py).
LAMBDA_MARKERS: dict[str, str] = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.0",
    "platform_python_implementation": "CPython",
    "python_version": "3.14",
    "python_full_version": "3.14.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_release": "",
    "platform_version": "",
    "os_name": "posix",
    "platform_machine": "aarch64",
}
LAMBDA_TAGS = set(
    cpython_tags(
        python_version=(3, 14),
        abis=["cp314"],
        platforms=[
            f"manylinux_2_{minor}_aarch64" for minor in range(17, 29)
        ]  # Amazon Linux 2023: glibc 2.34
        + ["manylinux2014_aarch64", "linux_aarch64"],
    )
) | {Tag("py3", "none", "any"), Tag("py2.py3", "none", "any")}


def _layer_names() -> set[str]:
    return {normalize(requirement.split("==")[0]) for requirement in layer_requirements()}


# -- fast: sources and template -----------------------------------------------------------


def test_layer_pins_are_the_constraints_pins_the_tests_run():
    pins = constraint_pins()
    requirements = layer_requirements()
    assert requirements, LAYER_REQUIREMENTS
    for requirement in requirements:
        name, pinned = requirement.split("==")
        assert pins[normalize(name)] == pinned
        assert version(name) == pinned, f"the venv runs {name} {version(name)}"
    assert "aws-lambda-powertools" in _layer_names()


def test_functions_use_only_the_stacks_own_layer(each_mode):
    (layer_id,) = each_mode.resources("AWS::Lambda::LayerVersion")
    for package, (_, props) in functions_by_package(each_mode).items():
        assert [ref_id(layer) for layer in props["Layers"]] == [layer_id], package
    template = json.dumps(each_mode.json)
    assert "AWSLambdaPowertools" not in template
    assert "017000801446" not in template  # the public Powertools layer account


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (type stubs never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def test_every_third_party_import_of_the_function_code_is_shipped_or_in_the_runtime():
    """Parse core/, adapters/ and functions/ (the function asset) for imports."""
    distributions = packages_distributions()
    shipped = _layer_names() | LAMBDA_RUNTIME_PACKAGES
    missing: dict[str, set[str]] = {}
    for package in ASSET_PACKAGES:
        for module in (REPO_ROOT / package).rglob("*.py"):
            for node in _runtime_nodes(ast.parse(module.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in ASSET_PACKAGES:
                        continue
                    dists = {normalize(d) for d in distributions.get(top, [top])}
                    if not dists & shipped:
                        missing.setdefault(top, set()).add(str(module.relative_to(REPO_ROOT)))
    assert missing == {}


def test_the_asset_hash_follows_the_pins():
    """A new pin in constraints.txt alone must publish a new layer version."""
    requirements = layer_requirements()
    bumped = [r.replace("==", "==0.0.0+") if i == 0 else r for i, r in enumerate(requirements)]
    assert layer_asset_hash(requirements) == layer_asset_hash(list(requirements))
    assert layer_asset_hash(requirements) != layer_asset_hash(bumped)


# -- slow: the layer pip builds at synth ---------------------------------------------------


@pytest.fixture(scope="module")
def layer_site(tmp_path_factory) -> Path:
    """Synthesize with bundling on (pip runs for arm64 / Python 3.14) and return the
    layer asset's `python/` directory."""
    outdir = tmp_path_factory.mktemp("cdk-bundled")
    synthesized = synthesize(
        "default",
        outdir,
        **{"aws:cdk:bundling-stacks": ["**"], "aws:cdk:enable-asset-metadata": True},
    )
    (layer,) = synthesized.resources("AWS::Lambda::LayerVersion").values()
    site = outdir / layer["Metadata"]["aws:asset:path"] / "python"
    assert site.is_dir(), site
    return site


def _bundled(site: Path) -> dict[str, tuple[str, dict]]:
    """normalized name -> (version, {header: [values]}) from each *.dist-info/METADATA."""
    found = {}
    for metadata_file in site.glob("*.dist-info/METADATA"):
        message = Parser().parsestr(metadata_file.read_text(encoding="utf-8"))
        headers = {key: message.get_all(key) or [] for key in ("Requires-Dist",)}
        found[normalize(message["Name"])] = (message["Version"], headers)
    return found


@pytest.mark.slow
def test_deployed_versions_are_the_tested_versions(layer_site):
    bundled = _bundled(layer_site)
    assert set(bundled) == _layer_names()
    for name, (deployed, _) in bundled.items():
        tested = version(name)
        assert deployed == tested, f"{name}: Lambda gets {deployed}, the tests run {tested}"


@pytest.mark.slow
def test_the_layer_holds_every_dependency_of_what_it_ships(layer_site):
    """Requires-Dist of each bundled package, markers evaluated for python3.14 on Linux
    aarch64 (no extras): each is in the layer at an allowed version, or in the runtime."""
    bundled = _bundled(layer_site)
    missing: list[str] = []
    for name, (_, headers) in bundled.items():
        for text in headers["Requires-Dist"]:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate(
                {**LAMBDA_MARKERS, "extra": ""}
            ):
                continue
            dependency = normalize(requirement.name)
            if dependency in bundled:
                assert requirement.specifier.contains(bundled[dependency][0], prereleases=True), (
                    f"{name} needs {requirement}, the layer has {bundled[dependency][0]}"
                )
            elif dependency not in LAMBDA_RUNTIME_PACKAGES:
                missing.append(f"{name} -> {requirement}")
    assert missing == []


@pytest.mark.slow
def test_every_wheel_was_built_for_python_3_14_on_arm64(layer_site):
    for wheel_file in layer_site.glob("*.dist-info/WHEEL"):
        message = Parser().parsestr(wheel_file.read_text())
        tags = {Tag(*tag.split("-")) for tag in message.get_all("Tag") or []}
        assert tags & LAMBDA_TAGS, f"{wheel_file.parent.name}: {sorted(map(str, tags))}"
    extensions = list(layer_site.rglob("*.so"))
    assert extensions  # pydantic-core, Pillow, MarkupSafe, wrapt
    for extension in extensions:
        assert "aarch64" in extension.name or ".abi3." in extension.name, extension.name
        assert "x86_64" not in extension.name, extension.name
