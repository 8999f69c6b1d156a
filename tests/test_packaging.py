"""The wheel carries everything `cdisckit run` needs in an empty folder: the bundled study's mappings, its raw
export and specs/. (Installing the wheel into a new venv and running it is described in CONTRIBUTING.md.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREE = ["pyproject.toml", "README.md", "LICENSE", "cdisckit", "sdtm", "adam", "specs", "mappings", "examples"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    src = tmp_path_factory.mktemp("src")
    for name in TREE:  # a copy, so building writes nothing into the checkout
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(p, src / name)
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    (whl,) = dist.glob("cdisckit-*.whl")
    return zipfile.ZipFile(whl)


def test_wheel_holds_every_bundled_study_with_its_raw_export(wheel):
    names = set(wheel.namelist())
    for study in sorted(p.parent for p in (ROOT / "mappings").glob("*/study.yaml")):
        for f in study.iterdir():
            assert f"cdisckit/mappings/{study.name}/{f.name}" in names
    for f in (ROOT / "examples").rglob("*"):
        if f.is_file():
            assert f"cdisckit/examples/{f.relative_to(ROOT / 'examples').as_posix()}" in names


def test_wheel_holds_specs_license_and_the_raw_path_resolves(wheel):
    names = set(wheel.namelist())
    for f in (ROOT / "specs").rglob("*"):
        if f.is_file() and f.suffix in (".csv", ".yaml"):
            assert f"cdisckit/specs/{f.relative_to(ROOT / 'specs').as_posix()}" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # study.yaml's `raw: ../../examples/c-car031/raw` resolves inside the installed package
    study = wheel.read("cdisckit/mappings/c-car031/study.yaml").decode()
    raw = next(line.split(":", 1)[1].split("#")[0].strip() for line in study.splitlines() if line.startswith("raw:"))
    resolved = (Path("cdisckit/mappings/c-car031") / raw).as_posix()
    parts: list[str] = []
    for part in resolved.split("/"):
        parts = parts[:-1] if part == ".." else parts + [part]
    assert f"{'/'.join(parts)}/dm.csv" in names


def test_wheel_metadata_has_bounds_and_the_gx_extra(wheel):
    meta = next(wheel.read(n).decode() for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert core and all("<" in r and ">=" in r for r in core), core
    assert not any("great-expectations" in r for r in core)
    assert any("great-expectations" in r and 'extra == "gx"' in r for r in requires)
    assert "License-Expression: Apache-2.0" in meta
