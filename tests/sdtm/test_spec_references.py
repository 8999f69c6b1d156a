"""Every reference a mapping spec makes is checked when the spec is loaded (or, for raw columns of forms that
declare none, against the CSV headers before any row is mapped): no spec mistake gives exit 0 with wrong data.
Each test breaks one reference and asserts the file, line and key named."""

from __future__ import annotations

import pytest
from test_mapping_vocabulary import write_study
from test_spec_errors import _assert_where, _break

from cdisckit.errors import SpecError
from cdisckit.sdtm import load_study, map_study


@pytest.fixture
def demo_dir(tmp_path):
    return write_study(tmp_path)


def _fails(study, *, load=True):
    with pytest.raises(SpecError) as e:
        (load_study if load else map_study)(study)
    return e.value


# ----------------------------------------------------------------- template fields and USUBJID
def test_template_field_naming_no_column_is_an_error_not_text(demo_dir):
    # today's bug: "{IT.AGE}" was written out literally; now a field is a raw column (dots allowed) or variable
    path, line = _break(demo_dir, "dm.yaml", "      DMDTC: {date: SCR_DT}", "      DMDTC: {template: 'A{IT.AGEX}'}")
    err = _fails(demo_dir, load=False)
    _assert_where(err, path, line, "template")
    assert "IT.AGEX" in str(err) and "header of demo.csv" in str(err)


def test_template_field_with_dots_is_filled(demo_dir):
    _break(demo_dir, "dm.yaml", "      DMDTC: {date: SCR_DT}", "      DMDTC: {template: 'AGE {IT.AGE}'}")
    assert map_study(demo_dir).datasets["DM"]["DMDTC"].tolist() == ["AGE 63", "AGE 70"]


def test_malformed_template_field(demo_dir):
    path, line = _break(demo_dir, "dm.yaml", "      DMDTC: {date: SCR_DT}", "      DMDTC: {template: '{IT AGE}'}")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "template")
    assert "is not {NAME}" in str(err)


def test_usubjid_template_naming_no_column(demo_dir):
    # today's bug: "internal error: KeyError: 'SUBJECT'"
    path, line = _break(demo_dir, "study.yaml", 'usubjid: "DEMO01-{PATNUM}"', 'usubjid: "DEMO01-{SUBJECT}"')
    err = _fails(demo_dir, load=False)
    _assert_where(err, path, line, "usubjid")
    assert "'SUBJECT'" in str(err)


# ----------------------------------------------------------------- derivations across domains
def test_misspelt_domain_in_derivation(demo_dir):
    # today's bug: RFSTDTC silently blank and every --DY gone
    path, line = _break(
        demo_dir,
        "dm.yaml",
        "  RFSTDTC: {derive: first_date, of: [EX.EXSTDTC]}",
        "  RFSTDTC: {derive: first_date, of: [XE.EXSTDTC]}",
    )
    err = _fails(demo_dir)
    _assert_where(err, path, line, "derived.RFSTDTC.of")
    assert "maps no XE domain" in str(err)


def test_derivation_of_a_variable_the_domain_does_not_fill(demo_dir):
    path, line = _break(
        demo_dir,
        "dm.yaml",
        "  RFXSTDTC: {derive: first_date, of: [EX.EXSTDTC]}",
        "  RFXSTDTC: {derive: first_date, of: [EX.EXENDTC, EX.EXDTC]}",
    )
    err = _fails(demo_dir)
    _assert_where(err, path, line, "derived.RFXSTDTC.of")
    assert "does not fill EXDTC" in str(err)


def test_derivation_where_naming_no_variable(demo_dir):
    path, line = _break(
        demo_dir,
        "dm.yaml",
        "  RFXSTDTC: {derive: first_date, of: [EX.EXSTDTC]}",
        "  RFXSTDTC: {derive: first_date, of: [EX.EXSTDTC], where: {EXCAT: X}}",
    )
    err = _fails(demo_dir)
    _assert_where(err, path, line, "where")
    assert "'EXCAT'" in str(err)


def test_bad_study_day_reference(demo_dir):
    # today's bug: every --DY dropped
    path, line = _break(demo_dir, "study.yaml", "domains:", "study_day_reference: RFSTDT\ndomains:")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "study_day_reference")
    assert "RFSTDT" in str(err) and "fills RFSTDTC, RFXSTDTC" in str(err)


def test_study_day_of_a_date_the_domain_does_not_fill(demo_dir):
    path, line = _break(
        demo_dir, "ex.yaml", "  study_day: {EXSTDY: EXSTDTC}", "  study_day: {EXSTDY: EXSTDTC, EXENDY: EXDTC}"
    )
    err = _fails(demo_dir)
    _assert_where(err, path, line, "timing.study_day")
    assert "EXDTC" in str(err)


def test_baseline_flag_reference_must_be_a_dm_date(demo_dir):
    path, line = _break(demo_dir, "vs.yaml", "reference: RFSTDTC}", "reference: RFENDTC}")
    err = _fails(demo_dir)
    assert err.file == str(path) and err.line == line
    assert "'RFENDTC' is not a reference date the DM mapping fills (it fills RFSTDTC, RFXSTDTC)" in str(err)


# ----------------------------------------------------------------- raw columns
def test_raw_columns_are_checked_before_any_row_is_mapped(demo_dir):
    # a bad date in demo.csv would be an InputError when DM is mapped; the bad column in ae.yaml comes first
    (demo_dir / "raw" / "demo.csv").write_text((demo_dir / "raw" / "demo.csv").read_text().replace("12/26/2013", "x"))
    path, line = _break(demo_dir, "ae.yaml", "      AEENDTC: {date: ENDAT}", "      AEENDTC: {date: END_DAT}")
    err = _fails(demo_dir, load=False)
    _assert_where(err, path, line, "date")
    assert "header of ev.csv" in str(err)


def test_join_condition_column_checked_in_the_joined_form(demo_dir):
    path, line = _break(
        demo_dir, "ae.yaml", "order: STDAT, pick: first}", "order: STDAT, pick: first, where: {VISIT: Day 1}}"
    )
    err = _fails(demo_dir, load=False)
    _assert_where(err, path, line, "where")
    assert "header of dose.csv" in str(err)


def test_per_form_subject_column_must_exist(demo_dir):
    path, line = _break(
        demo_dir, "study.yaml", "scale: {file: scale.csv, subject: SUBJ}", "scale: {file: scale.csv, subject: SUBJX}"
    )
    with pytest.raises(Exception) as e:
        map_study(demo_dir)
    assert "SUBJX" in str(e.value) and "scale.csv" in str(e.value)


# ----------------------------------------------------------------- standards
def test_variable_the_model_does_not_allow(demo_dir):
    path, line = _break(demo_dir, "ex.yaml", "      EXTRT: DRUG X", "      EXTRT: DRUG X\n      EXTESTCD: X")
    err = _fails(demo_dir)
    _assert_where(err, path, line + 1, "EXTESTCD")
    assert "does not allow it in EX" in str(err) and "Findings" in str(err)


def test_custom_domain_needs_its_class(demo_dir):
    path, _ = _break(demo_dir, "zs.yaml", "class: Findings\n", "description: no class\n")
    err = _fails(demo_dir)
    assert err.file == str(path) and "custom domain needs class" in str(err)


def test_units_and_an_explicit_standard_result(demo_dir):
    path, line = _break(
        demo_dir,
        "vs.yaml",
        "      VSDTC: {date: VSDAT, time: VSTIM}",
        "      VSDTC: {date: VSDAT, time: VSTIM}\n      VSSTRESN: {source: VSORRES}",
    )
    err = _fails(demo_dir)
    _assert_where(err, path, line + 1, "VSSTRESN")
    assert "units" in str(err)


def test_long_value_must_be_a_variable(demo_dir):
    path, line = _break(demo_dir, "vs.yaml", "      value: VSORRES", "      value: VSORES")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "long.value")


def test_seq_order_names_variables(demo_dir):
    path, line = _break(demo_dir, "ae.yaml", "seq: [AETERM]", "seq: [AETRM]")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "seq")


# ----------------------------------------------------------------- dates
def test_two_digit_year_needs_a_pivot(demo_dir):
    path, line = _break(demo_dir, "study.yaml", "{format: DD/MM/YY, pivot: 1950}", "DD/MM/YY")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "dates.STDAT")
    assert "pivot" in str(err)


def test_unknown_date_format(demo_dir):
    path, line = _break(demo_dir, "study.yaml", "STDAT: DDMMMYYYY", "STDAT: DD.MON.YYYY")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "dates.STDAT")


# ----------------------------------------------------------------- study codelists
@pytest.mark.parametrize(
    "old,new,message",
    [
        (
            "  VSRESU: {extends: VSRESU, terms: {IN: Inch}}",
            "  SEX: {extends: SEX, terms: {X: Other}}",
            "not extensible",
        ),
        (
            "  VSRESU: {extends: VSRESU, terms: {IN: Inch}}",
            "  VSRESU: {extends: VSRESU, terms: {kg: Kilogram}}",
            "already in CDISC codelist VSRESU",
        ),
        (
            "  ARMCD: {name: Arm Code, terms: {A: Arm A, B: Arm B}}",
            "  NY: {name: Yes, terms: {J: Ja}}",
            "is a CDISC codelist",
        ),
        (
            "  VSRESU: {extends: VSRESU, terms: {IN: Inch}}",
            "  VSRESU: {extends: VSRESUX, terms: {IN: Inch}}",
            "not a CDISC codelist",
        ),
    ],
)
def test_study_codelist_mistakes(demo_dir, old, new, message):
    path, line = _break(demo_dir, "codelists.yaml", old, new)
    err = _fails(demo_dir)
    assert err.file == str(path) and err.line == line and message in str(err), str(err)


def test_unknown_codelist_names_file_and_line(demo_dir):
    path, line = _break(demo_dir, "maps.yaml", "arm: {codelist: ARMCD,", "arm: {codelist: ARMCDX,")
    err = _fails(demo_dir)
    _assert_where(err, path, line, "maps.arm.codelist")


def test_value_outside_a_sponsor_codelist(demo_dir):
    from cdisckit.errors import InputError

    _break(demo_dir, "maps.yaml", "values: {A: Arm A, B: Arm B}", "values: {A: Arm A, B: Arm B, C: Arm C}")
    with pytest.raises(SpecError, match="not in non-extensible codelist ARMCD"):
        load_study(demo_dir)
    _break(demo_dir, "maps.yaml", "values: {A: Arm A, B: Arm B, C: Arm C}", "values: {A: Arm A, B: Arm B}")
    (demo_dir / "dm.yaml").write_text(
        (demo_dir / "dm.yaml")
        .read_text()
        .replace("ARMCD: {source: ARM, map: arm}", "ARMCD: {source: ARM, extract: '(\\w)$', codelist: ARMCD}")
    )
    (demo_dir / "raw" / "demo.csv").write_text((demo_dir / "raw" / "demo.csv").read_text().replace("Arm B", "Arm Z"))
    with pytest.raises(InputError, match=r"demo.csv, row 2, column ARM: value 'Z' of ARMCD is not in codelist ARMCD"):
        map_study(demo_dir)
