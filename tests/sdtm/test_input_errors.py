"""Bad raw data -> InputError naming file, row (RECORDID) and column."""

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
    assert "nact.csv, row 1, column NACTSTDAT: column 'NACTSTDAT' is missing" in str(e.value)


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
