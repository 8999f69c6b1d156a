"""Staged output: a failing stage leaves nothing behind and an earlier output intact."""

import pandas as pd
import pytest

from cdisckit.io import read_folder, staged_dir


def test_failed_stage_leaves_no_files_and_keeps_previous_output(tmp_path):
    with staged_dir(tmp_path, "sdtm") as tmp:
        (tmp / "dm.csv").write_text("USUBJID\nA\n")
    with pytest.raises(RuntimeError):
        with staged_dir(tmp_path, "sdtm") as tmp:
            (tmp / "ae.csv").write_text("half")
            raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdtm"]
    assert sorted(p.name for p in (tmp_path / "sdtm").iterdir()) == ["dm.csv"]


def test_read_folder_csv_blank_is_missing_and_numbers_numeric(tmp_path):
    (tmp_path / "ae.csv").write_text("USUBJID,AESEQ,AESTDTC,AETERM\nA,1,2025-03,Fever\nA,2,2025,\n")
    ds = read_folder(tmp_path)
    ae = ds["AE"]
    assert ae["AESEQ"].tolist() == [1, 2]
    assert ae["AESTDTC"].tolist() == ["2025-03", "2025"]  # --DTC stays text
    assert pd.isna(ae["AETERM"].iloc[1])
