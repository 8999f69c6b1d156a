"""The XPT v5 writer: labels from specs/, lengths from the data, the TS-140 layout, pyreadstat's bytes, clear errors."""

import re
import struct

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisckit.errors import InputError
from cdisckit.formats.xpt import read_xpt, write_xpt
from cdisckit.standards import DatasetSpec, VariableSpec, adam_variable, sdtm_dataset


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


def _records(raw: bytes) -> list[bytes]:
    assert len(raw) % 80 == 0
    return [raw[i : i + 80] for i in range(0, len(raw), 80)]


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
    assert not list(tmp_path.glob(".*tmp*"))  # written through a temporary file


def test_header_records_follow_ts140(tmp_path):
    """Every header record of a two-variable file, checked field by field against SAS TS-140."""
    df = pd.DataFrame({"USUBJID": ["A-1", "A-22"], "TRTSDT": pd.to_datetime(["2025-03-07", None])})
    spec = DatasetSpec(
        "ADX",
        "Analysis X",
        "",
        "",
        "",
        (),
        (VariableSpec("USUBJID", "Unique Subject Identifier", "Char", "Req", 1),),
    )
    raw = write_xpt(df, tmp_path / "adx.xpt", spec).read_bytes()
    rec = _records(raw)
    zeros = b"0" * 30
    assert rec[0] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + zeros + b"  "
    assert rec[1] == b"SAS     SAS     SASLIB  6.06    bsd4.2  " + b" " * 24 + b"01JAN60:00:00:00"
    assert rec[2] == b"01JAN60:00:00:00".ljust(80)
    assert rec[3] == b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
    assert rec[4] == b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!" + zeros + b"  "
    assert rec[5][:32] == b"SAS     ADX     SASDATA 6.06    "
    assert rec[6][32:72] == b"Analysis X".ljust(40)
    assert rec[7] == b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000000200000000000000000000  "
    namestrs = b"".join(rec[8:12])  # 2 x 140 bytes, blank-padded to 4 records
    fields = ">hhhh8s40s8shhh2s8shhi52s"
    char = struct.unpack(fields, namestrs[:140])
    num = struct.unpack(fields, namestrs[140:280])
    assert namestrs[280:] == b" " * 40
    # type 2 (char), length 4 ("A-22"), varnum 1, label from the spec, no format, left-justified, position 0
    assert char[:6] == (2, 0, 4, 1, b"USUBJID ", b"Unique Subject Identifier".ljust(40))
    assert (char[6], char[7], char[9], char[14]) == (b" " * 8, 0, 0, 0)
    # type 1 (numeric), 8 bytes, varnum 2, label = name (not in the spec), DATE9., right-justified, position 4
    assert num[:6] == (1, 0, 8, 2, b"TRTSDT  ", b"TRTSDT".ljust(40))
    assert (num[6], num[7], num[8], num[9], num[14]) == (b"DATE    ", 9, 0, 1, 4)
    assert rec[12] == b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!" + zeros + b"  "
    data = b"".join(rec[13:])
    # row 1: "A-1 " then 23807 days (2025-03-07) as an IBM double 0x445CFF0000000000; row 2: "A-22" then "."
    assert data[:12] == b"A-1 " + bytes.fromhex("445CFF0000000000")
    assert data[12:24] == b"A-22" + bytes.fromhex("2E00000000000000")
    assert data[24:] == b" " * 56 and len(raw) == 14 * 80


@pytest.mark.parametrize(
    "value,ibm",
    [
        (1.0, "4110000000000000"),  # 1/16 * 16**1
        (-118.625, "C276A00000000000"),  # the classic IBM hexadecimal floating-point example (-0x76.A)
        (0.1, "401999999999999A"),  # 0x1999999999999A / 2**56, the IEEE fraction with no bits lost
        (np.nan, "2E00000000000000"),  # SAS missing "."
        (0.0, "0000000000000000"),
        (-0.0, "0000000000000000"),  # no negative zero in SAS
        (1e-300, "0000000000000000"),  # below 16**-65: too small for IBM, written as 0 (as pyreadstat)
        (np.inf, "7FFFFFFFFFFFFFFF"),  # the largest IBM number, which reads back as +inf
        (-1e300, "FFFFFFFFFFFFFFFF"),  # too large for IBM: the largest negative number
    ],
)
def test_numbers_are_ibm_doubles(tmp_path, value, ibm):
    raw = write_xpt(pd.DataFrame({"X": [value]}), tmp_path / "x.xpt", None).read_bytes()
    assert raw[-80:-72] == bytes.fromhex(ibm)
    back = read_xpt(tmp_path / "x.xpt")["X"].iloc[0]
    expected = {1e-300: 0.0, -1e300: -np.inf, -0.0: 0.0}.get(value, value)
    assert (np.isnan(back) and np.isnan(expected)) or back == expected


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


def test_datetimes_become_sas_datetime_numerics(tmp_path):
    df = pd.DataFrame({"ASTDTM": pd.to_datetime(["1960-01-02T00:00:01", None])})
    raw, meta = pyreadstat.read_xport(str(write_xpt(df, tmp_path / "x.xpt", None)), disable_datetime_conversion=True)
    assert _sas_format(meta.original_variable_types["ASTDTM"]) == ("DATETIME", 20, 0)
    assert raw["ASTDTM"].iloc[0] == 86401.0  # one day and one second after 1960-01-01T00:00:00


def test_value_over_200_bytes_names_row_and_column(tmp_path):
    df = _dm()
    df.loc[1, "USUBJID"] = "é" * 101  # 202 bytes in UTF-8
    for engine in ("numpy", "pyreadstat"):
        with pytest.raises(InputError) as err:
            write_xpt(df, tmp_path / "dm.xpt", sdtm_dataset("DM"), engine=engine)
        assert "row 2" in str(err.value) and "column USUBJID" in str(err.value) and "202 bytes" in str(err.value)
    assert not (tmp_path / "dm.xpt").exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "columns,name,message",
    [
        (["USUBJID", "LONGNAME9"], "DM", "variable name 'LONGNAME9' is longer than 8 characters"),
        (["USUBJID", "AE-SEQ"], "DM", "variable name 'AE-SEQ' is not 1-8 letters"),
        (["USUBJID", "1ABC"], "DM", "variable name '1ABC' is not 1-8 letters"),
        (["USUBJID", "usubjid"], "DM", "variable USUBJID appears more than once"),
        (["USUBJID"], "SUPPQUAL1", "dataset name 'SUPPQUAL1' is longer than 8 characters"),
        (["_N_"], "DM", "variable name '_N_' is a SAS reserved name"),
    ],
)
def test_names_xpt_cannot_hold_are_refused(tmp_path, columns, name, message):
    df = pd.DataFrame({c: ["x"] for c in columns})
    for engine in ("numpy", "pyreadstat"):
        with pytest.raises(InputError, match=re.escape(message)) as err:
            write_xpt(df, tmp_path / "x.xpt", None, name=name, engine=engine)
        assert str(err.value).startswith(name)
    assert not list(tmp_path.iterdir())


def test_labels_are_cut_to_40_characters(tmp_path):
    label = "Change from Baseline Category 1 of Param"  # 40
    spec = DatasetSpec("X", "A dataset label that is longer than forty characters", "", "", "", (), (
        VariableSpec("PBCHGC1N", label + "x", "Num", "Perm", 1),
    ))  # fmt: skip
    path = write_xpt(pd.DataFrame({"PBCHGC1N": [1.0]}), tmp_path / "x.xpt", spec, name="X")
    df = read_xpt(path)
    assert df.attrs["column_labels"] == {"PBCHGC1N": label}
    assert df.attrs["label"] == "A dataset label that is longer than fort"  # 40 characters


def test_edge_frames_same_bytes_as_pyreadstat(tmp_path):
    """Frames at the edges of the format: both engines write the same bytes, and they read back."""
    frames = {
        "EMPTY": pd.DataFrame({"A": pd.Series([], dtype=float), "B": pd.Series([], dtype=object)}),
        "NOCOLS": pd.DataFrame(index=range(3)),
        "BLANKS": pd.DataFrame({"C": [None, "", None], "N": [np.nan, np.nan, np.nan]}),
        "MIXED": pd.DataFrame(
            {
                "TXT": ["naïve", "日本", None, "tab\there"],
                "OBJ": pd.Series([1.5, "x", None, 3], dtype=object),  # written as str(value)
                "CAT": pd.Categorical(["b", "a", None, "b"]),
                "FLAG": [True, False, True, False],
                "INT": [1, 2, 3, -4],
                "STR": pd.Series(["a", None, "ccc", ""], dtype="str"),
                "NUL": ["a\0b", "x", "y", "z"],  # a C string ends at NUL: pyreadstat writes "a" then blanks
            }
        ),
    }
    for name, df in frames.items():
        a = write_xpt(df, tmp_path / f"{name.lower()}.xpt", None)
        b = write_xpt(df, tmp_path / f"p{name.lower()}.xpt", None, name=name, engine="pyreadstat")
        assert a.read_bytes() == b.read_bytes(), name
    back = read_xpt(tmp_path / "mixed.xpt")
    assert back["TXT"].tolist() == ["naïve", "日本", None, "tab\there"]
    assert back["OBJ"].tolist() == ["1.5", "x", None, "3"]
    assert back["CAT"].tolist() == ["b", "a", None, "b"]
    assert back["FLAG"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert back["NUL"].tolist() == ["a", "x", "y", "z"]
    assert read_xpt(tmp_path / "empty.xpt").shape == (0, 2)
    assert read_xpt(tmp_path / "nocols.xpt").shape == (0, 0)  # XPT stores no rows without variables
    blanks = read_xpt(tmp_path / "blanks.xpt")
    assert blanks["C"].tolist() == [None, None, None] and blanks["N"].isna().all()
