"""Broken copies of mappings/c-car031 -> SpecError naming file, line and key."""

import pytest

from cdisckit.errors import SpecError
from cdisckit.sdtm import load_study, map_study


def _break(study_dir, name, old, new):
    path = study_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    first = new.strip().splitlines()[0]
    line = [i for i, t in enumerate(text.splitlines(), 1) if first in t][0]  # 1-based line of the new text
    return path, line


def _assert_where(err, path, line, key):
    msg = str(err)
    assert msg.startswith(f"{path}, line {line}, key "), msg
    assert key in msg
    assert err.file == str(path) and err.line == line


def test_unknown_key_in_block(study_copy):
    path, line = _break(study_copy, "ae.yaml", "    drop:\n", "    dorp:\n")
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "dorp")


def test_unknown_key_in_assignment(study_copy):
    path, _ = _break(study_copy, "ae.yaml", "AESER: {source: AESER, map: ny}", "AESER: {source: AESER, mapp: ny}")
    line = path.read_text().splitlines().index("      AESER: {source: AESER, mapp: ny}") + 1
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "mapp")


def test_unknown_target_variable(study_copy):
    path, _ = _break(
        study_copy, "cm.yaml", "      CMCAT: NEW ANTICANCER THERAPY", "      CMCATX: NEW ANTICANCER THERAPY"
    )
    line = path.read_text().splitlines().index("      CMCATX: NEW ANTICANCER THERAPY") + 1
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "CMCATX")
    assert "unknown target variable" in str(e.value)


def test_unknown_raw_column_declared_form(study_copy):
    path, _ = _break(study_copy, "cm.yaml", "{date: NACTSTDAT}", "{date: NACTSTDT}")
    line = [i for i, t in enumerate(path.read_text().splitlines(), 1) if "NACTSTDT}" in t][0]
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "date")
    assert "NACTSTDT" in str(e.value)


def test_unknown_raw_column_checked_against_csv_header(study_copy, raw_dir):
    # a form without declared columns: the reference is checked when the CSV header is read
    _break(
        study_copy,
        "study.yaml",
        "  nact: {file: nact.csv, columns: [SITEID, SUBJECT, RECORDID, NACTTRT, NACTDECOD, NACTATC, NACTATCCD, NACTSTDAT]}",
        "  nact: {file: nact.csv}",
    )
    path, _ = _break(study_copy, "cm.yaml", "{source: NACTTRT,", "{source: NACTTRX,")
    line = [i for i, t in enumerate(path.read_text().splitlines(), 1) if "NACTTRX" in t][0]
    with pytest.raises(SpecError) as e:
        map_study(study_copy, raw_dir)
    _assert_where(e.value, path, line, "source")
    assert "header of nact.csv" in str(e.value)


def test_unknown_codelist_in_map(study_copy):
    path, _ = _break(study_copy, "ct-maps.yaml", "    codelist: SEX\n", "    codelist: SEXX\n")
    line = path.read_text().splitlines().index("    codelist: SEXX") + 1
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "codelist")
    assert "SEXX" in str(e.value)


def test_unknown_codelist_in_assignment(study_copy):
    path, _ = _break(study_copy, "cm.yaml", "{date: NACTSTDAT}", "{date: NACTSTDAT, codelist: NOPE}")
    line = [i for i, t in enumerate(path.read_text().splitlines(), 1) if "NOPE" in t][0]
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "codelist")


def test_map_target_outside_non_extensible_codelist(study_copy):
    path, _ = _break(
        study_copy,
        "ct-maps.yaml",
        "values: {M: [Male, 1=Male], F: [Female, 2=Female]}",
        "values: {MALE: [Male, 1=Male], F: [Female, 2=Female]}",
    )
    line = [i for i, t in enumerate(path.read_text().splitlines(), 1) if "MALE: [Male" in t][0]
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "MALE")
    assert "non-extensible codelist SEX" in str(e.value)


def test_unknown_map_name(study_copy):
    path, _ = _break(study_copy, "ae.yaml", "{source: AEOUT, map: out}", "{source: AEOUT, map: outcome}")
    with pytest.raises(SpecError, match="unknown codelist map 'outcome'"):
        load_study(study_copy)


def test_constant_outside_non_extensible_codelist(study_copy):
    path, _ = _break(study_copy, "dm.yaml", "      AGEU: YEARS", "      AGEU: YRS")
    line = path.read_text().splitlines().index("      AGEU: YRS") + 1
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _assert_where(e.value, path, line, "AGEU")


def test_unquoted_yes_no_is_reported(study_copy):
    path, _ = _break(
        study_copy, "ae.yaml", '{when: {AEONGO: "Yes"}, const: ONGOING}', "{when: {AEONGO: Yes}, const: ONGOING}"
    )
    with pytest.raises(SpecError, match="quote the value"):
        load_study(study_copy)


def test_unknown_form(study_copy):
    path, _ = _break(study_copy, "cm.yaml", "  - form: nact", "  - form: nactx")
    with pytest.raises(SpecError, match="unknown form 'nactx'"):
        load_study(study_copy)


def test_yaml_syntax_error_has_line(study_copy):
    path, _ = _break(study_copy, "cm.yaml", "domain: CM", "domain: [CM")
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    assert str(e.value).startswith(f"{path}, line ")
