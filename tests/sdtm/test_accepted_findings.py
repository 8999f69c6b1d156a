"""study.yaml ``accepted_findings``: known errors of the data are reported and explained but do not block; any
other error still blocks, and a malformed entry is a SpecError naming file, line and key."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from conftest import PILOT_DIR

from cdisckit.cli import main
from cdisckit.errors import SpecError
from cdisckit.sdtm.spec import load_study

RAW = PILOT_DIR.parents[1] / "examples" / "cdiscpilot01" / "raw"


def _study(tmp_path, old: str, new: str):
    study = tmp_path / "pilot"
    shutil.copytree(PILOT_DIR, study)
    text = (study / "study.yaml").read_text()
    assert old in text
    (study / "study.yaml").write_text(text.replace(old, new, 1))
    return study


def test_an_error_not_accepted_still_blocks_and_out_is_untouched(tmp_path):
    study = _study(tmp_path, "  - rule: CG0082\n    dataset: AE\n", "  - rule: CG0082\n    dataset: CM\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["-q", "sdtm", str(study), "--raw", str(RAW), "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "1 conformance error(s) in SDTM; nothing written" in res.output  # CG0082 on AE; the other 2 accepted
    assert not out.exists()


def test_an_accepted_finding_needs_a_reason(tmp_path):
    study = _study(
        tmp_path, "  - rule: CG0041\n    dataset: AE\n    reason:", "  - rule: CG0041\n    dataset: AE\n    why:"
    )
    with pytest.raises(SpecError) as err:
        load_study(study)
    assert "study.yaml" in str(err.value) and "accepted_findings[1]" in str(err.value)
