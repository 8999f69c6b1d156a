"""Writing a stage: parallel (large studies) and serial give the same bytes; a writer error stops the stage."""

from __future__ import annotations

import pandas as pd
import pytest

import cdisckit.pipeline as pipeline
from cdisckit.errors import InputError


def _study(n=50):
    ids = [f"S-{i:03d}" for i in range(n)]
    dm = pd.DataFrame(
        {"STUDYID": ["S"] * n, "DOMAIN": ["DM"] * n, "USUBJID": ids, "AGE": [float(40 + i % 30) for i in range(n)]}
    )
    ae = pd.DataFrame(
        {
            "STUDYID": ["S"] * n,
            "DOMAIN": ["AE"] * n,
            "USUBJID": ids,
            "AESEQ": [1.0] * n,
            "AETERM": ["Pyrexia"] * n,
            "AESTDTC": ["2025-03"] * n,
        }
    )
    return {"DM": dm, "AE": ae}


def test_parallel_and_serial_writes_are_identical(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ROWS", 10**9)
    serial = pipeline.write_datasets(_study(), tmp_path / "a", "sdtm", study_id="S")
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ROWS", 0)
    parallel = pipeline.write_datasets(_study(), tmp_path / "b", "sdtm", study_id="S")
    assert [p.name for p in serial] == [p.name for p in parallel] == ["ae.xpt", "ae.json", "dm.xpt", "dm.json"]
    for a, b in zip(serial, parallel):
        assert a.read_bytes() == b.read_bytes()


def test_error_in_a_parallel_writer_leaves_no_output(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ROWS", 0)
    study = _study()
    study["AE"].loc[7, "AETERM"] = "x" * 201
    with pytest.raises(InputError) as err:
        pipeline.write_datasets(study, tmp_path, "sdtm", study_id="S")
    assert "row 8" in str(err.value) and "AETERM" in str(err.value)
    assert list(tmp_path.iterdir()) == []
