"""Staged output: a failing stage leaves nothing behind and an earlier output intact."""

import pandas as pd
import pytest

from cdisckit.errors import InputError
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


# ---------------------------------------------------------------- bad CSV/Parquet SDTM datasets (check, adam --sdtm)
def _folder_error(tmp_path, name: str, data: bytes | str) -> str:
    (tmp_path / name).write_bytes(data.encode() if isinstance(data, str) else data)
    with pytest.raises(InputError) as e:
        read_folder(tmp_path)
    return str(e.value).replace(str(tmp_path) + "/", "")


def test_csv_dataset_row_with_wrong_field_count(tmp_path):
    msg = _folder_error(tmp_path, "ae.csv", "STUDYID,USUBJID,AESEQ,AETERM\nS,S-1,1,Fever\nS,S-1,2\n")
    assert msg == "ae.csv, line 3, column AETERM: the row has 3 fields but the header has 4 (a line cut short?)"


def test_csv_dataset_text_in_num_variable(tmp_path):
    msg = _folder_error(tmp_path, "ae.csv", "STUDYID,USUBJID,AESEQ,AETERM\nS,S-1,1,Fever\nS,S-1,two,Rash\n")
    assert msg == "ae.csv, line 3, row 2, column AESEQ: 'two' is not a number (AESEQ is numeric)"


def test_csv_dataset_bad_adam_date(tmp_path):
    msg = _folder_error(tmp_path, "adsl.csv", "STUDYID,USUBJID,TRTSDT\nS,S-1,2025-03-07\nS,S-2,07/03/2025\n")
    assert msg == "adsl.csv, line 3, row 2, column TRTSDT: '07/03/2025' is not an ISO 8601 date"


def test_csv_dataset_duplicate_columns_and_encoding(tmp_path):
    assert "column 'AETERM' appears twice" in _folder_error(tmp_path, "ae.csv", "USUBJID,AETERM,AETERM \nA,x,y\n")
    (tmp_path / "ae.csv").unlink()
    msg = _folder_error(tmp_path, "ae.csv", "USUBJID,AETERM\nA,Fi\xe8vre\n".encode("latin-1"))
    assert msg.startswith("ae.csv, line 2, column AETERM: byte 0xe8 is not valid utf-8 text")


def test_empty_csv_dataset(tmp_path):
    assert _folder_error(tmp_path, "dm.csv", b"").endswith(
        "the file is empty (0 bytes): expected a header line naming the columns"
    )


def test_parquet_text_in_num_variable(tmp_path):
    pd.DataFrame({"STUDYID": ["S", "S"], "USUBJID": ["S-1", "S-2"], "AGE": ["54", "fifty"]}).to_parquet(
        tmp_path / "dm.parquet"
    )
    with pytest.raises(InputError) as e:
        read_folder(tmp_path)
    assert str(e.value) == f"{tmp_path / 'dm.parquet'}, row 2, column AGE: 'fifty' is not a number (AGE is numeric)"
    (tmp_path / "dm.parquet").unlink()
    pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AGE": ["54"]}).to_parquet(tmp_path / "dm.parquet")
    assert read_folder(tmp_path)["DM"]["AGE"].tolist() == [54.0]


def test_folder_in_place_of_a_dataset_and_hidden_leftovers(tmp_path):
    (tmp_path / "dm.csv").write_text("STUDYID,USUBJID\nS,S-1\n")
    (tmp_path / ".ae.csv.tmp-x1").write_text("half,written")  # a killed writer's temporary file: not a dataset
    assert list(read_folder(tmp_path)) == ["DM"]
    (tmp_path / "ae.xpt").mkdir()
    with pytest.raises(InputError, match=r"ae.xpt: is a folder, not a .xpt dataset file"):
        read_folder(tmp_path)


def test_staged_outputs_have_the_usual_permissions(tmp_path):
    """Staging uses private temporary names, but what lands in out/ is readable as a plain write would be."""
    import os
    import stat

    from cdisckit.io import staged_file

    with staged_dir(tmp_path, "sdtm") as tmp:
        (tmp / "dm.xpt").write_text("x")
    with staged_file(tmp_path / "run.json") as tmp:
        tmp.write_text("{}")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "sdtm").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "run.json").stat().st_mode) == 0o666 & ~mask


def test_xpt_blank_text_is_missing_as_read_without_a_second_pass(tmp_path):
    """read_dataset returns read_xpt's frame as is: blank text is already None, and normalising changes nothing."""
    from cdisckit.formats.xpt import write_xpt
    from cdisckit.io import normalise_missing, read_dataset

    frame = pd.DataFrame({"TXT": ["x", "", " ", None, "  y"], "N": [1.0, 2.0, None, 4.0, 5.0]})
    write_xpt(frame, tmp_path / "xx.xpt", None, name="XX")
    df = read_dataset(tmp_path / "xx.xpt")
    assert df["TXT"].tolist() == ["x", None, None, None, "  y"]  # trailing blanks are SAS padding, leading kept
    assert df["TXT"].dtype == object
    pd.testing.assert_frame_equal(normalise_missing(df.copy()), df)
