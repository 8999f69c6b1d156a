"""Reading XPT v5 and Dataset-JSON: the same frames as pyreadstat, legacy encodings, damaged files refused."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from cdisckit.cli import main
from cdisckit.errors import InputError
from cdisckit.formats.datasetjson import write_dataset_json
from cdisckit.formats.xpt import read_xpt, write_xpt
from cdisckit.io import read_dataset, read_folder
from cdisckit.standards import sdtm_dataset

PILOT = Path(__file__).parent / "data" / "cdiscpilot01" / "pilot-sdtm"


def _pyreadstat_frame(path: Path, encoding: str | None = None) -> pd.DataFrame:
    """The reference: pyreadstat's frame as cdisckit has always shaped it (blank text -> None, dates datetime64)."""
    df, meta = pyreadstat.read_xport(str(path), encoding=encoding)
    for col, fmt in (meta.original_variable_types or {}).items():
        if fmt and fmt.upper().startswith(("DATE", "DATETIME")):
            df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[ns]")
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_datetime64_any_dtype(df[col]):
            s = df[col].astype(object)
            df[col] = s.where(~s.isin(["", " "]) & s.notna(), None)
    df.attrs = {"label": meta.file_label or "", "column_labels": dict(zip(meta.column_names, meta.column_labels))}
    return df


# ---------------------------------------------------------------- XPT files written by SAS
REPO_XPT = sorted((Path(__file__).parent / "data").rglob("*.xpt"))


@pytest.mark.parametrize("path", REPO_XPT, ids=[p.name for p in REPO_XPT])
def test_every_xpt_in_the_repository_reads_as_pyreadstat_reads_it(path):
    warnings: list[str] = []
    df = read_dataset(path, warn=warnings.append)
    ref = _pyreadstat_frame(path, encoding="cp1252")  # the pilot's text is cp1252 (ASCII files read the same)
    pd.testing.assert_frame_equal(df, ref)
    assert df.attrs == ref.attrs
    assert all("text is not UTF-8; read as cp1252" in w for w in warnings)
    assert len(REPO_XPT) >= 3


def test_pilot_cp1252_text_is_read_with_a_warning_naming_file_variable_and_row():
    warnings: list[str] = []
    ts = read_dataset(PILOT / "ts.xpt", warn=warnings.append)
    assert warnings == [f"{PILOT / 'ts.xpt'}, row 9, column TSVAL: text is not UTF-8; read as cp1252"]
    assert ts.loc[8, "TSVAL"].endswith("Alzheimer\u2019s Disease")  # byte 0x92 is U+2019 in cp1252
    assert ts.loc[8, "TSPARMCD"] == "TDIGRP"
    # told the encoding, no warning and the same text
    told: list[str] = []
    pd.testing.assert_frame_equal(read_dataset(PILOT / "ts.xpt", encoding="cp1252", warn=told.append), ts)
    assert told == []


def test_explicit_encoding_reports_the_byte_it_cannot_decode():
    with pytest.raises(InputError) as err:
        read_dataset(PILOT / "ts.xpt", encoding="utf-8")
    msg = str(err.value)
    assert msg.startswith(str(PILOT / "ts.xpt")) and "row 9" in msg and "column TSVAL" in msg and "0x92" in msg


def test_read_folder_passes_encoding_and_warnings(tmp_path):
    for name in ("ts", "ta"):
        shutil.copy(PILOT / f"{name}.xpt", tmp_path)
    warnings: list[str] = []
    ds = read_folder(tmp_path, warn=warnings.append)
    assert sorted(ds) == ["TA", "TS"] and len(warnings) == 1 and "TSVAL" in warnings[0]
    with pytest.raises(InputError, match="0x92"):
        read_folder(tmp_path, encoding="utf-8")
    assert read_folder(tmp_path)["TS"].shape == (33, 6)  # positional use and no warn callback still work


def test_check_reads_legacy_text_with_a_warning_and_refuses_it_when_told_utf8(tmp_path):
    shutil.copy(PILOT / "ts.xpt", tmp_path)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--standard", "sdtmig-3.4"])
    assert result.exit_code in (0, 1), result.output  # findings or none, never "could not run"
    assert "warning:" in result.output and "row 9, column TSVAL: text is not UTF-8; read as cp1252" in result.output
    strict = CliRunner().invoke(main, ["check", str(tmp_path), "--encoding", "utf-8"])
    assert strict.exit_code == 2 and "row 9, column TSVAL" in strict.output and "0x92" in strict.output


def test_adam_sdtm_folder_takes_an_encoding(tmp_path):
    shutil.copy(PILOT / "ts.xpt", tmp_path)
    result = CliRunner().invoke(
        main, ["adam", "--sdtm", str(tmp_path), "--out", str(tmp_path / "o"), "--encoding", "utf-8"]
    )
    assert result.exit_code == 1 and "column TSVAL" in result.output and "0x92" in result.output
    assert not (tmp_path / "o").exists()


def _patched(tmp_path: Path, df: pd.DataFrame, offset_from_end: int, new: bytes, name: str = "x.xpt") -> Path:
    raw = bytearray(write_xpt(df, tmp_path / name, None).read_bytes())
    at = len(raw) - offset_from_end
    raw[at : at + len(new)] = new
    path = tmp_path / f"patched-{name}"
    path.write_bytes(bytes(raw))
    return path


def test_special_missing_values_read_as_missing(tmp_path):
    """.A-.Z and ._ (first byte the letter, then zeros) are missing values, as pyreadstat reads them."""
    df = pd.DataFrame({"X": [1.0, 2.0, 3.0]})  # 24 bytes of data, then 56 blanks: row k starts 80 - 8k from the end
    path = tmp_path / "x.xpt"
    raw = bytearray(write_xpt(df, path, None).read_bytes())
    raw[-80:-72] = b"A" + bytes(7)
    raw[-72:-64] = b"_" + bytes(7)
    path.write_bytes(bytes(raw))
    assert read_xpt(path)["X"].isna().tolist() == [True, True, False]
    assert _pyreadstat_frame(path)["X"].isna().tolist() == [True, True, False]


def test_sas_date_formats_beyond_date9_are_dates(tmp_path):
    """YYMMDD10. and E8601DT. numerics become datetime64 (pyreadstat's lists); TIME8. stays seconds."""
    df = pd.DataFrame({"ADT": pd.to_datetime(["2024-03-07"]), "ADTM": pd.to_datetime(["2024-03-07T10:11:12"])})
    path = tmp_path / "x.xpt"
    raw = bytearray(write_xpt(df, path, None).read_bytes())
    namestr = raw.index(b"HEADER RECORD*******NAMESTR") + 80
    raw[namestr + 56 : namestr + 64] = b"YYMMDD  "  # nform of the first variable
    raw[namestr + 140 + 56 : namestr + 140 + 64] = b"E8601DT "
    path.write_bytes(bytes(raw))
    got = read_xpt(path)
    assert got["ADT"].tolist() == [pd.Timestamp("2024-03-07")] and got["ADTM"].tolist() == [
        pd.Timestamp("2024-03-07T10:11:12")
    ]
    raw[namestr + 140 + 56 : namestr + 140 + 64] = b"TIME    "
    path.write_bytes(bytes(raw))
    assert read_xpt(path)["ADTM"].tolist() == [
        (pd.Timestamp("2024-03-07T10:11:12") - pd.Timestamp("1960-01-01")).total_seconds()
    ]


# ---------------------------------------------------------------- damaged XPT files
def _good_file(tmp_path: Path) -> Path:
    df = pd.DataFrame({"USUBJID": [f"S-{i:03d}" for i in range(7)], "AGE": np.arange(7) + 40.0})
    return write_xpt(df, tmp_path / "dm.xpt", sdtm_dataset("DM"))  # 13 bytes a row, 91 bytes of data


def _damaged(tmp_path: Path, raw: bytes) -> Path:
    bad = tmp_path / "bad" / "dm.xpt"
    bad.parent.mkdir(exist_ok=True)
    bad.write_bytes(raw)
    return bad


@pytest.mark.parametrize(
    "cut,message",
    [
        (300, "shorter than the XPT headers"),
        (700, "the NAMESTR header says 2 variable(s) but no OBS header"),
        (1100, "not a whole number of 80-byte records"),
        (1080, "not a whole number of 80-byte records"),  # the OBS header ends at 1040: 40 bytes of data
    ],
)
def test_truncated_xpt_is_refused(tmp_path, cut, message):
    raw = _good_file(tmp_path).read_bytes()
    bad = _damaged(tmp_path, raw[:cut])
    with pytest.raises(InputError) as err:
        read_dataset(bad)
    assert message in str(err.value) and str(err.value).startswith(str(bad))


def test_xpt_cut_inside_an_observation_is_refused(tmp_path):
    """A file cut at an 80-byte boundary inside a record: the last record is short, not a missing row."""
    df = pd.DataFrame({"TEXT": [f"value {i}".ljust(60, "x") for i in range(10)]})  # 60-byte records
    raw = write_xpt(df, tmp_path / "x.xpt", None).read_bytes()
    data_start = raw.index(b"HEADER RECORD*******OBS") + 80
    bad = _damaged(tmp_path, raw[: data_start + 400])  # 6 records and 40 bytes of the 7th
    with pytest.raises(InputError, match="the last observation is cut short: 40 of 60 bytes after 6"):
        read_xpt(bad)


@pytest.mark.parametrize(
    "offset,byte,message",
    [
        (0, b"X", "expected the LIBRARY header"),
        (245, b"x", "expected the MEMBER header"),
        (400, b"X", "member header record does not start"),
        (617, b"3", "the NAMESTR header says 3 variable(s) but the OBS header follows 2"),
        (640 + 1, b"\x07", "NAMESTR record 1 (STUDYID) is inconsistent: type 7"),
        (640 + 140 + 87, b"\x09", "NAMESTR record 2"),  # the second variable's position
    ],
)
def test_xpt_with_a_bad_header_is_refused(tmp_path, offset, byte, message):
    df = pd.DataFrame({"STUDYID": ["S1"], "AGE": [50.0]})
    raw = bytearray(write_xpt(df, tmp_path / "dm.xpt", sdtm_dataset("DM")).read_bytes())
    raw[offset : offset + 1] = byte
    with pytest.raises(InputError, match=re.escape(message)):
        read_xpt(_damaged(tmp_path, bytes(raw)))


def test_xpt_with_two_members_is_refused(tmp_path):
    raw = _good_file(tmp_path).read_bytes()
    second = raw[240:]  # a second member: MEMBER, DSCRPTR, ... OBS and data
    with pytest.raises(InputError, match="more than one dataset"):
        read_xpt(_damaged(tmp_path, raw + second))


def test_check_refuses_a_truncated_xpt(tmp_path):
    """The issue's case: a truncated .xpt used to read as fewer rows and `check` exited 0."""
    raw = _good_file(tmp_path).read_bytes()
    folder = _damaged(tmp_path, raw[:-37]).parent
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 2 and "not a whole number of 80-byte records" in result.output


def test_trailing_blank_observation_inside_the_padding_is_padding(tmp_path):
    """XPT v5 has no observation count: all-blank records within the last 80 bytes are padding (as SAS reads)."""
    df = pd.DataFrame({"A": ["x", None, None]})  # 1-byte records: the two blank ones fall in the padding
    assert read_xpt(write_xpt(df, tmp_path / "a.xpt", None))["A"].tolist() == ["x"]
    long = pd.DataFrame({"A": ["x" * 100, None, None]})  # 100-byte records: a blank one is a record
    assert read_xpt(write_xpt(long, tmp_path / "b.xpt", None))["A"].tolist() == ["x" * 100, None, None]


# ---------------------------------------------------------------- Dataset-JSON
def _json_file(tmp_path: Path) -> Path:
    df = pd.DataFrame({"USUBJID": ["S-1", "S-2", None], "AGE": [50.0, None, 61.0]})
    return write_dataset_json(df, sdtm_dataset("DM"), tmp_path / "dm.json", study_oid="S", name="DM")


def _edit(path: Path, change) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    bad = path.with_name("bad.json")
    bad.write_text(json.dumps(doc), encoding="utf-8")
    return bad


def test_dataset_json_truncated_anywhere_is_refused(tmp_path):
    raw = _json_file(tmp_path).read_bytes()
    end = raw.rindex(b"}")
    for cut in sorted({1, 50, len(raw) // 2, end - 30, end - 5, end}):
        bad = tmp_path / "cut.json"
        bad.write_bytes(raw[:cut])
        with pytest.raises(InputError, match="not valid JSON") as err:
            read_dataset(bad)
        assert str(err.value).startswith(str(bad))


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda d: d.pop("records"), "required attribute(s) records missing"),
        (lambda d: d.update(records=4), "'records' says 4 but the file holds 3 row(s)"),
        (lambda d: d["rows"].pop(), "'records' says 3 but the file holds 2 row(s)"),
        (lambda d: d["rows"][1].pop(), "row 2: row has 1 value(s) for 2 column(s)"),
        (lambda d: d["rows"][2].__setitem__(1, "61"), "row 3, column AGE: str value '61'"),
        (lambda d: d["rows"][0].__setitem__(0, 5), "row 1, column USUBJID: int value 5"),
        (lambda d: d["columns"][1].pop("dataType"), "column 2 lacks dataType"),
        (lambda d: d["columns"][1].update(dataType="number"), "column AGE: unknown dataType 'number'"),
        (lambda d: d["columns"][1].update(name="USUBJID"), "column USUBJID appears more than once"),
        (lambda d: d.update(datasetJSONVersion="1.0.0"), "datasetJSONVersion '1.0.0'"),
    ],
)
def test_dataset_json_with_a_broken_structure_is_refused(tmp_path, change, message):
    bad = _edit(_json_file(tmp_path), change)
    with pytest.raises(InputError, match=re.escape(message)):
        read_dataset(bad)


def test_dataset_json_bad_date_names_row_and_column(tmp_path):
    df = pd.DataFrame({"ADT": pd.to_datetime(["2024-01-02", "2024-03-04"])})
    path = write_dataset_json(df, None, tmp_path / "adx.json", study_oid="S")
    bad = _edit(path, lambda d: d["rows"][1].__setitem__(0, "2024-13-45"))
    with pytest.raises(InputError, match=r"row 2, column ADT: '2024-13-45' is not an ISO 8601 date"):
        read_dataset(bad)


def test_ndjson_cut_at_a_line_is_refused(tmp_path):
    doc = json.loads(_json_file(tmp_path).read_text(encoding="utf-8"))
    rows = doc.pop("rows")
    lines = [json.dumps(doc)] + [json.dumps(r) for r in rows]
    (tmp_path / "dm.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_dataset_ndjson(tmp_path / "dm.ndjson").shape == (3, 2)
    (tmp_path / "dm.ndjson").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="'records' says 3 but the file holds 2"):
        read_dataset_ndjson(tmp_path / "dm.ndjson")


def read_dataset_ndjson(path: Path) -> pd.DataFrame:
    from cdisckit.formats.datasetjson import read_dataset_json

    return read_dataset_json(path)


def test_dataset_json_in_cp1252_is_read_with_a_warning(tmp_path):
    path = _json_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace('"S-2"', '"S-2 \u2019"')
    path.write_bytes(text.encode("cp1252"))
    warnings: list[str] = []
    df = read_dataset(path, warn=warnings.append)
    assert df["USUBJID"].tolist() == ["S-1", "S-2 \u2019", None]
    assert len(warnings) == 1 and "text is not UTF-8 (byte 0x92); read as cp1252" in warnings[0]
    with pytest.raises(InputError, match="byte 0x92 .* cannot be decoded as utf-8"):
        read_dataset(path, encoding="utf-8")
