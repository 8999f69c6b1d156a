"""Fixtures for the SDTM tests; the raw-export fixture itself lives in sdtm_rawfixture.py."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make the helper importable

from sdtm_rawfixture import STUDY_DIR, write_fixture  # noqa: E402


@pytest.fixture
def raw_dir(tmp_path) -> Path:
    return write_fixture(tmp_path / "raw")


@pytest.fixture
def study_copy(tmp_path) -> Path:
    """A writable copy of mappings/c-car031 (to break on purpose)."""
    dst = tmp_path / "study"
    shutil.copytree(STUDY_DIR, dst)
    return dst


PILOT_DIR = Path(__file__).resolve().parents[2] / "mappings" / "cdiscpilot01"
PILOT_REFERENCE = Path(__file__).resolve().parents[1] / "data" / "cdiscpilot01" / "reference-sdtm"


@pytest.fixture(scope="session")
def pilot_sdtm():
    """CDISCPILOT01 mapped once per test session from the bundled raw export (examples/cdiscpilot01/raw)."""
    from cdisckit.sdtm import map_study

    return map_study(PILOT_DIR)
