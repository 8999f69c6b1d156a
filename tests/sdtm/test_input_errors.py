"""Bad raw data -> InputError naming file, row (RECORDID) and column."""

import shutil

import pandas as pd
import pytest
from sdtm_rawfixture import FORMS, STUDY_DIR, write_fixture

from cdisckit.errors import InputError
from cdisckit.sdtm import map_study


def _run(tmp_path, **overrides):
    raw = write_fixture(tmp_path / "raw", overrides)
    return map_study(STUDY_DIR, raw)


def _replace(form, old, new):
    assert old in FORMS[form]
    return FORMS[form].replace(old, new, 1)


def test_missing_form_file(tmp_path):
    raw = write_fixture(tmp_path / "raw")
    (raw / "nact.csv").unlink()
    with pytest.raises(InputError) as e:
        map_study(STUDY_DIR, raw)
    assert str(e.value) == f"{raw / 'nact.csv'}: raw form 'nact' not found"


def test_missing_column(tmp_path):
    text = _replace(
        "nact.csv",
        "SITEID,SUBJECT,RECORDID,NACTTRT,NACTDECOD,NACTATC,NACTATCCD,NACTSTDAT",
        "SITEID,SUBJECT,RECORDID,NACTTRT,NACTDECOD,NACTATC,NACTATCCD,STARTDATE",
    )
    with pytest.raises(InputError) as e:
        _run(tmp_path, **{"nact.csv": text})
    assert "nact.csv, line 1, column NACTSTDAT: column 'NACTSTDAT' is missing" in str(e.value)


def test_unparseable_date(tmp_path):
    text = _replace("ae.csv", "12-Mar-2025,14:30", "12/03/2025,14:30")
    with pytest.raises(InputError) as e:
        _run(tmp_path, **{"ae.csv": text})
    assert "ae.csv, row 2, column AESTDAT:" in str(e.value) and "'12/03/2025'" in str(e.value)


def test_unmapped_ct_value(tmp_path):
    text = _replace("dm.csv", "102,102-001,3,11-Mar-1960,Male", "102,102-001,3,11-Mar-1960,Unknown")
    with pytest.raises(InputError) as e:
        _run(tmp_path, **{"dm.csv": text})
    msg = str(e.value)
    assert "dm.csv, row 3, column SEX:" in msg and "'Unknown'" in msg and "'sex'" in msg


def test_unmapped_value_in_case_branch(tmp_path):
    text = _replace("ntl.csv", "Unequivocal progression", "Progressed")
    with pytest.raises(InputError, match=r"ntl.csv, row 4, column NTLSTAT: value 'Progressed'"):
        _run(tmp_path, **{"ntl.csv": text})


def test_duplicate_subject_in_dm(tmp_path):
    text = FORMS["dm.csv"] + "101,101-001,5,15-Jun-1968,Male,Asian,Not Hispanic or Latino,China\n"
    with pytest.raises(InputError) as e:
        _run(tmp_path, **{"dm.csv": text})
    assert "dm.csv, row 5, column SUBJECT:" in str(e.value) and "more than once" in str(e.value)


def test_value_over_200_bytes(tmp_path):
    long = "Fatigue " + "é" * 100  # 8 + 200 bytes in UTF-8
    text = _replace("ae.csv", "Fatigue ,Fatigue", f"{long},Fatigue")
    with pytest.raises(InputError) as e:
        _run(tmp_path, **{"ae.csv": text})
    assert "ae.csv, row 1, column AETERM: value is 208 bytes long" in str(e.value)


def test_non_numeric_dose(tmp_path):
    text = _replace("inf.csv", "10:20,250,", "10:20,two hundred,")
    with pytest.raises(InputError, match=r"inf.csv, row 1, column INFDOSE: 'two hundred' is not a number"):
        _run(tmp_path, **{"inf.csv": text})


def test_unknown_visit_folder(tmp_path):
    text = _replace("nl.csv", "WEEK 12", "WEEK 13")
    with pytest.raises(InputError, match=r"nl.csv, row 1, column FOLDER: visit folder 'WEEK 13'"):
        _run(tmp_path, **{"nl.csv": text})


# ---------------------------------------------------------------- the raw CSV itself (cdisckit/csvfile.py)
def _error(tmp_path, form: str, data: bytes | str) -> str:
    raw = write_fixture(tmp_path / "raw")
    (raw / form).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    with pytest.raises(InputError) as e:
        map_study(STUDY_DIR, raw)
    return str(e.value).replace(str(raw) + "/", "")


def test_row_with_too_few_fields(tmp_path):
    text = _replace("inf.csv", "101,101-001,1,10-Mar-2025,10:20,250,10^6 cells", "101,101-001,1,10-Mar-2025,10:20")
    assert _error(tmp_path, "inf.csv", text) == (
        "inf.csv, line 2, row 1, column INFDOSE: the row has 5 fields but the header has 7 (a line cut short?)"
    )


def test_row_with_too_many_fields(tmp_path):
    text = _replace("inf.csv", "230,10^6 cells", "2,30,10^6 cells")  # an unquoted decimal comma
    msg = _error(tmp_path, "inf.csv", text)
    assert msg.startswith("inf.csv, line 3, row 2: the row has 8 fields but the header has 7")


def test_last_line_cut_short_without_newline(tmp_path):
    text = FORMS["dd.csv"].rstrip("\n")[:-25]  # the export stopped mid-line
    assert _error(tmp_path, "dd.csv", text) == (
        "dd.csv, line 2, row 1, column DTHCAUS: the row has 4 fields but the header has 6 (a line cut short?)"
    )


def test_unterminated_quote(tmp_path):
    text = FORMS["ae.csv"] + '102,102-001,6,2,"Headache,Headache,Nervous system disorders\n'
    msg = _error(tmp_path, "ae.csv", text)
    assert msg == "ae.csv, line 7: a quoted value is never closed: the row starting here is not valid CSV"


def test_empty_file(tmp_path):
    assert _error(tmp_path, "nact.csv", b"") == (
        "nact.csv, line 1: the file is empty (0 bytes): expected a header line naming the columns"
    )


def test_header_only_form_is_a_form_without_records(tmp_path):
    """A form with a header and no rows (no deaths yet) maps to no records; that is not an error."""
    raw = write_fixture(tmp_path / "raw", {"dd.csv": FORMS["dd.csv"].splitlines()[0] + "\n"})
    result = map_study(STUDY_DIR, raw)
    assert "DD" not in result.datasets or result.datasets["DD"].empty
    assert result.datasets["DM"]["DTHFL"].isna().all()


def test_not_a_text_file(tmp_path):
    assert "ae.csv: is an Excel workbook" in _error(tmp_path, "ae.csv", b"PK\x03\x04" + b"\x00" * 40)
    data = FORMS["nact.csv"].encode().replace(b"sorafenib", b"sora\x00fenib")
    assert _error(tmp_path, "nact.csv", data) == (
        "nact.csv, line 2, column NACTTRT: is not a text file (a NUL byte): is it a CSV export?"
    )


def test_cp1252_byte_names_line_column_and_byte_and_how_to_declare_it(tmp_path):
    data = FORMS["ae.csv"].replace("CRS – post", "CRS \x96 post").encode("utf-8").replace(b"\xc2\x96", b"\x96")
    msg = _error(tmp_path, "ae.csv", data)
    assert msg.startswith(
        "ae.csv, line 3, column AETERM: byte 0x96 is not valid utf-8 text; it looks like Windows-1252"
    )
    assert "encoding: cp1252" in msg


def test_declared_cp1252_encoding_reads_the_excel_export(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(STUDY_DIR, study)
    yaml = (study / "study.yaml").read_text()
    (study / "study.yaml").write_text(
        yaml.replace("  ae:\n    file: ae.csv\n", "  ae:\n    file: ae.csv\n    encoding: cp1252\n")
    )
    raw = write_fixture(tmp_path / "raw")
    excel = FORMS["ae.csv"].replace("\n", "\r\n").encode("cp1252")  # CRLF, en dash as byte 0x96, é as 0xe9
    empty = b"," * FORMS["ae.csv"].splitlines()[0].count(",") + b"\r\n"  # rows of empty fields, as Excel leaves
    (raw / "ae.csv").write_bytes(excel + empty + empty + b"\r\n")
    ae = map_study(study, raw).datasets["AE"]
    expected = map_study(STUDY_DIR, write_fixture(tmp_path / "utf8")).datasets["AE"]
    pd.testing.assert_frame_equal(ae, expected)  # the trailing empty rows are not records


def test_bom_crlf_quoted_newline_and_trailing_blank_lines_read_as_the_values(tmp_path):
    text = _replace("nact.csv", "1, sorafenib,", '1,"sorafenib\nthen ""regorafenib""",')
    raw = write_fixture(tmp_path / "raw")
    (raw / "nact.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    from cdisckit.sdtm.forms import read_form
    from cdisckit.sdtm.spec import load_study

    df = read_form(load_study(STUDY_DIR), "nact", raw)
    assert list(df.columns)[:3] == ["SITEID", "SUBJECT", "RECORDID"]
    assert df["NACTTRT"].tolist()[0] == 'sorafenib\r\nthen "regorafenib"'
    assert len(df) == len(FORMS["nact.csv"].splitlines()) - 1


def test_na_and_null_are_text_not_missing(tmp_path):
    text = _replace("inf.csv", "10:20,250,", "10:20,NA,")
    assert "'NA' is not a number" in _error(tmp_path, "inf.csv", text)


def test_duplicate_column_names_after_trimming(tmp_path):
    header = FORMS["nact.csv"].splitlines()[0]
    text = _replace("nact.csv", header, header.replace("NACTTRT,", "NACTTRT ,", 1) + ", NACTTRT")
    lines = text.splitlines()
    text = "\n".join([lines[0]] + [r + ",x" for r in lines[1:]]) + "\n"
    n = header.count(",") + 2  # the repeated name is the last column
    assert _error(tmp_path, "nact.csv", text) == (
        "nact.csv, line 1, column NACTTRT: column 'NACTTRT' appears twice in the header "
        f"(columns 4 and {n}, names compared after trimming)"
    )


def test_duplicate_record_id(tmp_path):
    text = FORMS["inf.csv"] + "102,102-001,1,20-Mar-2025,11:00,230,10^6 cells\n"
    assert _error(tmp_path, "inf.csv", text) == (
        "inf.csv, line 4, row 1, column RECORDID: record id 1 appears on more than one row (lines 2 and 4)"
    )


def test_blank_subject(tmp_path):
    text = _replace("inf.csv", "102,102-001,2,", "102,,2,")
    assert _error(tmp_path, "inf.csv", text) == (
        "inf.csv, line 3, row 2, column SUBJECT: the subject is blank: every raw record must name its subject"
    )


def test_unnamed_column_with_values(tmp_path):
    text = _replace("inf.csv", "INFDOSEU\n", "INFDOSEU,\n").replace("10^6 cells\n", "10^6 cells,extra\n")
    assert _error(tmp_path, "inf.csv", text) == "inf.csv, line 2: column 8 has values but no name in the header"


def test_form_is_a_folder_or_unreadable(tmp_path):
    raw = write_fixture(tmp_path / "raw")
    (raw / "nact.csv").unlink()
    (raw / "nact.csv").mkdir()
    with pytest.raises(InputError, match=r"nact.csv: raw form 'nact' is a folder, not a file"):
        map_study(STUDY_DIR, raw)


def test_non_numeric_value_in_a_numeric_target_without_numeric_true(tmp_path):
    """EXDOSE mapped with a plain `source:` (no `numeric: true`): the text is an error at its raw cell, not NaN."""
    study = tmp_path / "study"
    shutil.copytree(STUDY_DIR, study)
    ex = (study / "ex.yaml").read_text()
    (study / "ex.yaml").write_text(ex.replace("EXDOSE: {source: INFDOSE, numeric: true}", "EXDOSE: {source: INFDOSE}"))
    raw = write_fixture(tmp_path / "raw", {"inf.csv": _replace("inf.csv", "11:00,230,", "11:00,230 x10^6,")})
    with pytest.raises(InputError) as e:
        map_study(study, raw)
    assert str(e.value) == f"{raw / 'inf.csv'}, row 2, column INFDOSE: '230 x10^6' is not a number (EXDOSE is numeric)"


def test_standardise_refuses_text_in_a_num_variable():
    from cdisckit.sdtm.engine import standardise
    from cdisckit.standards import sdtm_dataset

    df = pd.DataFrame(
        {
            "STUDYID": ["S"],
            "DOMAIN": ["EX"],
            "USUBJID": ["S-1"],
            "EXSEQ": [1.0],
            "EXDOSE": ["lots"],
            "_FILE": ["inf.csv"],
            "_RECORDID": ["7"],
        }
    )
    with pytest.raises(InputError, match=r"^inf.csv, row 7, column EXDOSE: 'lots' is not a number"):
        standardise(df, sdtm_dataset("EX"))


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "study.yaml, line 1: the study file is empty: expected a YAML mapping of keys"),
        ("- study: X\n", "study.yaml, line 1: the study file holds a list; expected a YAML mapping of keys"),
    ],
)
def test_empty_or_list_study_yaml(tmp_path, content, message):
    from cdisckit.errors import SpecError

    study = tmp_path / "study"
    shutil.copytree(STUDY_DIR, study)
    (study / "study.yaml").write_text(content)
    with pytest.raises(SpecError) as e:
        map_study(study, write_fixture(tmp_path / "raw"))
    assert str(e.value) == f"{study}/{message}"


def test_empty_domain_yaml(tmp_path):
    from cdisckit.errors import SpecError

    study = tmp_path / "study"
    shutil.copytree(STUDY_DIR, study)
    (study / "cm.yaml").write_text("# nothing yet\n")
    with pytest.raises(SpecError, match=r"cm.yaml, line 1: the domain mapping file is empty"):
        map_study(study, write_fixture(tmp_path / "raw"))


def test_very_long_line_is_the_200_byte_error_not_a_parser_limit(tmp_path):
    text = _replace("ae.csv", "Fatigue ,Fatigue", f"{'x' * 300_000},Fatigue")  # past csv's default field limit
    assert "ae.csv, row 1, column AETERM: value is 300000 bytes long" in _error(tmp_path, "ae.csv", text)
