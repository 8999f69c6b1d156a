"""The XPT v5 writer: labels from specs/, lengths from the data, byte-identical reruns, clear errors."""

import re

import pandas as pd
import pyreadstat
import pytest

from cdisckit.errors import InputError
from cdisckit.standards import adam_variable, sdtm_dataset
from cdisckit.writers.xpt import write_xpt


def _dm():
    return pd.DataFrame(
        {
            "STUDYID": ["S1", "S1"],
            "DOMAIN": ["DM", "DM"],
            "USUBJID": ["S1-101-001", "S1-101-002"],
            "AGE": [54.0, None],
            "SEX": ["M", None],
        }
    )


def test_labels_lengths_and_names_read_back(tmp_path):
    path = write_xpt(_dm(), tmp_path / "dm.xpt", sdtm_dataset("DM"))
    df, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == "DM"
    assert meta.file_label == "Demographics"
    assert dict(zip(meta.column_names, meta.column_labels))["USUBJID"] == "Unique Subject Identifier"
    # character length = longest value ("S1-101-001" is 10 bytes), never a default of 200
    assert meta.variable_storage_width["USUBJID"] == 10
    assert meta.variable_storage_width["SEX"] == 1
    assert df["AGE"].iloc[0] == 54.0 and pd.isna(df["AGE"].iloc[1])
    assert df["SEX"].tolist() == ["M", ""]


def test_same_input_gives_identical_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    a = write_xpt(_dm(), tmp_path / "a" / "dm.xpt", sdtm_dataset("DM"))
    b = write_xpt(_dm(), tmp_path / "dm.xpt", sdtm_dataset("DM"))
    assert a.read_bytes() == b.read_bytes()
    assert b"01JAN60:00:00:00" in b.read_bytes()[:400]


def _sas_format(text: str) -> tuple[str, int, int]:
    """``DATE9.`` / ``DATE9`` / ``8.2`` -> (name, width, decimals), the three NAMESTR fields SAS reads."""
    m = re.fullmatch(r"([A-Z$]*?)(\d*)(?:\.(\d*))?", text.strip().upper())
    assert m, text
    return m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)


def test_sas_format_spellings_mean_the_same():
    assert _sas_format("DATE9") == _sas_format("DATE9.") == ("DATE", 9, 0)
    assert _sas_format("DATETIME20.") == ("DATETIME", 20, 0)
    assert _sas_format("8.2") == ("", 8, 2)


def test_dates_become_sas_date_numerics(tmp_path):
    df = pd.DataFrame({"USUBJID": ["X"], "TRTSDT": pd.to_datetime(["2025-03-07"])})
    path = write_xpt(df, tmp_path / "adsl.xpt", None, name="ADSL")
    raw, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    # SAS format DATE width 9 (pyreadstat spells it DATE9 before 1.3.8 and DATE9. since): compare what SAS means
    assert _sas_format(meta.original_variable_types["TRTSDT"]) == ("DATE", 9, 0)
    assert raw["TRTSDT"].iloc[0] == (pd.Timestamp("2025-03-07") - pd.Timestamp("1960-01-01")).days  # 23807
    assert adam_variable("TRTSDT", ("ADSL",)).label == "Date of First Exposure to Treatment"


def test_value_over_200_bytes_names_row_and_column(tmp_path):
    df = _dm()
    df.loc[1, "USUBJID"] = "é" * 101  # 202 bytes in UTF-8
    with pytest.raises(InputError) as err:
        write_xpt(df, tmp_path / "dm.xpt", sdtm_dataset("DM"))
    assert "row 2" in str(err.value) and "column USUBJID" in str(err.value) and "202 bytes" in str(err.value)
