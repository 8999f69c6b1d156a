"""Declarative filter conditions (specs never run Python), their validation, and ADSL arm / death rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sdtm_factory import STUDY_PARAMS, make_sdtm, missing_as_none, subject

from cdisckit.adam import derive_adam, load_params
from cdisckit.adam.adsl import derive_vars_trt
from cdisckit.conditions import condition_problem, filter_rows
from cdisckit.conditions import frame_mask as condition_mask
from cdisckit.errors import SpecError

ADAM_DIR = Path(__file__).resolve().parents[2] / "adam"
D = pd.DataFrame(
    {
        "EXCAT": ["CAR-T", "lymphodepletion ", None, "COMBINATION"],
        "AVAL": [1.0, 2.0, None, 4.0],
        "ADT": pd.to_datetime(["2025-01-01", None, "2025-02-01", "2025-03-01"]),
        "IDVARVAL": ["1", "2", "3", None],
    }
)


@pytest.mark.parametrize(
    "cond,expected",
    [
        (None, [True, True, True, True]),
        ({"EXCAT": "CAR-T"}, [True, False, False, False]),
        ({"EXCAT": ["CAR-T", "COMBINATION"]}, [True, False, False, True]),
        ({"EXCAT": None}, [False, False, True, False]),
        ({"EXCAT": {"not": None}}, [True, True, False, True]),
        ({"EXCAT": {"not": "CAR-T"}}, [False, True, True, True]),  # exact negation: missing is "not CAR-T"
        ({"EXCAT": {"not": ["CAR-T", None]}}, [False, True, False, True]),
        ({"EXCAT": ["COMBINATION", None]}, [False, False, True, True]),  # a null item also matches missing
        ({"EXCAT": {"icase": "LYMPHODEPLETION"}}, [False, True, False, False]),
        ({"EXCAT": {"not": {"icase": ["lymphodepletion", "car-t"]}}}, [False, False, True, True]),
        ({"AVAL": [1, 4]}, [True, False, False, True]),
        ({"AVAL": None, "EXCAT": None}, [False, False, True, False]),  # keys are ANDed
        ({"ADT": "2025-02-01"}, [False, False, True, False]),
        ({"ADT": {"not": None}, "AVAL": {"not": 4}}, [True, False, True, False]),  # missing AVAL is "not 4"
        ({"IDVARVAL": 2}, [False, True, False, False]),  # number against text: compared as numbers
    ],
)
def test_condition_semantics(cond, expected):
    assert condition_mask(D, cond).tolist() == expected


def test_placeholders_substituted_in_keys_and_values():
    d = pd.DataFrame({"PARAMCD": ["MPD", "PD"], "AVALC": ["Y", "Y"]})
    assert filter_rows(d, {"PARAMCD": "{p}PD"}, fill={"p": "M"})["PARAMCD"].tolist() == ["MPD"]


@pytest.mark.parametrize(
    "cond",
    [
        "EXCAT == 'CAR-T'",
        {},
        {"EXCAT": {"in": ["A"]}},
        {"EXCAT": {"not": 1, "icase": "a"}},
        {"EXCAT": True},
        {"EXCAT": []},
        {"EXCAT": [{"a": 1}]},
        {"EXCAT": {"icase": 5}},
        ["EXCAT"],
    ],
)
def test_condition_problem_rejects_other_shapes(cond):
    assert condition_problem(cond) is not None


def test_unknown_column_at_run_time_names_key_and_column():
    with pytest.raises(SpecError) as e:
        filter_rows(D, {"EXCATX": "CAR-T"}, key="trtsdt_where")
    assert e.value.key == "trtsdt_where" and e.value.column == "EXCATX"
    p = load_params()
    p.update(STUDY_PARAMS)
    p["new_therapy"] = {"dataset": "CM", "where": {"CMCATEGORY": "NEW ANTICANCER THERAPY"}, "date": "CMSTDTC"}
    with pytest.raises(SpecError) as e:
        derive_adam(make_sdtm([subject("001", recist=[(42, "SD")], new_therapy=60)]), p, warn=lambda m: None)
    assert e.value.key == "new_therapy.where" and e.value.column == "CMCATEGORY"
    p = load_params()
    p.update(STUDY_PARAMS)
    p["tte"][2]["events"][0]["where"] = {"DTHDTX": {"not": None}}
    with pytest.raises(SpecError) as e:
        derive_adam(make_sdtm([subject("001", recist=[(42, "SD")])]), p, warn=lambda m: None)
    assert e.value.key == "tte[2].events[0].where" and e.value.column == "DTHDTX"


@pytest.mark.parametrize(
    "text,key,line",
    [
        ("trtsdt_where: \"EXCAT == 'CAR-T'\"\n", "trtsdt_where", 1),
        ("origin: TRTSDT\nrs_where: {RSEVAL: {like: INV}}\n", "rs_where.RSEVAL", 2),
        ("trtedt_where:\n  EXCAT: yes\n", "trtedt_where.EXCAT", 2),
        ("new_therapy:\n  dataset: CM\n  date: CMSTDTC\n  where: \"CMCAT == 'X'\"\n", "new_therapy.where", 4),
        (
            "tte:\n  - paramcd: OS\n    start: {date: PRETSDT}\n    events:\n      - {dataset: ADSL, date: DTHDT}\n"
            "      - dataset: ADSL\n        date: DTHDT\n        where: DTHDT.notna()\n",
            "tte[0].events[1].where",
            8,
        ),
    ],
)
def test_string_or_malformed_conditions_rejected_at_load(tmp_path, text, key, line):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    with pytest.raises(SpecError) as e:
        load_params(f)
    assert e.value.key == key and e.value.line == line and e.value.file == f


def test_no_expression_evaluation_in_adam_sources():
    for py in ADAM_DIR.glob("*.py"):
        text = py.read_text()
        for banned in ("ev" + "al(", "ex" + "ec(", ".que" + "ry(", "engine=" + '"python"'):  # split: hooks grep
            assert banned not in text, (py.name, banned)


def test_study_params_are_declarative():
    p = load_params(study_dir=Path(__file__).resolve().parents[2] / "mappings" / "c-car031")
    assert p["trtsdt_where"] == {"EXCAT": "CAR-T"} and p["adsl_vars"][0]["where"] == {"EXCAT": "LYMPHODEPLETION"}
    assert p["new_therapy"]["where"] == {"CMCAT": "NEW ANTICANCER THERAPY"}
    assert p["tte"][0]["events"][1]["where"] == {"DTHDT": {"not": None}}


# ----------------------------------------------------------------------------------------------- ADSL arms
def test_arm_and_trt_copy_dm():
    """ADaMIG: ADSL.ARM/ACTARM are DM's; a subject not assigned / not treated keeps DM's empty arm (reason in
    DM.ARMNRS), never ARMNRS written into ARM."""
    dm = pd.DataFrame(
        {
            "ARM": ["Cohort B", None, "Cohort A", None, "Screen Failure"],
            "ARMCD": ["B", None, "A", None, "SCRNFAIL"],
            "ACTARM": ["Cohort B", None, None, None, "Screen Failure"],
            "ACTARMCD": ["B", None, None, None, "SCRNFAIL"],
            "ARMNRS": [None, "SCREEN FAILURE", "ASSIGNED, NOT TREATED", "NOT ASSIGNED", None],
        }
    )
    p = load_params()
    out = derive_vars_trt(dm, p["screen_failure_values"], p["not_treated_values"], ["A", "B"])
    same = lambda a, b: a.fillna("<empty>").tolist() == b.fillna("<empty>").tolist()  # noqa: E731
    assert same(out["ARM"], dm["ARM"]) and same(out["ACTARM"], dm["ACTARM"])
    assert same(out["TRT01P"], out["ARM"]) and same(out["TRT01A"], out["ACTARM"])
    assert out["TRT01PN"].fillna(-1).tolist() == [2.0, -1, 1.0, -1, -1]  # treatment_order by ARMCD
    assert out["TRT01AN"].fillna(-1).tolist() == [2.0, -1, -1, -1, -1]


def test_assigned_not_treated_subject_in_adsl():
    sdtm = make_sdtm([subject("001", recist=[(42, "SD")]), subject("002", infused=False)])
    dm = sdtm["DM"]
    dm.loc[dm["SUBJID"] == "002", ["ACTARM", "ACTARMCD", "ARMNRS"]] = [None, None, "ASSIGNED, NOT TREATED"]
    p = load_params()
    p.update(STUDY_PARAMS)
    a = derive_adam(sdtm, p, warn=lambda m: None)["ADSL"].set_index("SUBJID")
    assert a.loc["002", ["ARM", "TRT01P", "ENRLFL", "SAFFL"]].tolist() == ["Cohort DL1", "Cohort DL1", "Y", "N"]
    assert pd.isna(a.loc["002", "ACTARM"]) and pd.isna(a.loc["002", "TRT01A"])  # DM.ACTARM is empty
    assert a.loc["002", "TRT01PN"] == 1.0 and pd.isna(a.loc["002", "TRT01AN"])


def test_treatment_order_by_armcd_and_unknown_value_warns():
    sdtm = make_sdtm([subject("001", arm="DL1"), subject("002", arm="DL3"), subject("003", arm="DL2")])
    p = load_params()
    p.update(STUDY_PARAMS, treatment_order=["DL3", "Cohort DL1", "DL9"])
    warnings = []
    a = derive_adam(sdtm, p, warn=warnings.append)["ADSL"].set_index("SUBJID")
    assert a["TRT01PN"].tolist() == [2.0, 1.0, 3.0]
    assert any("DL9" in w for w in warnings)


def test_partial_dm_death_date_completed_by_ds_death_date():
    sdtm = make_sdtm([subject("001", dthdtc="2025-03", recist=[(42, "SD")])])
    sdtm["DS"].loc[sdtm["DS"]["DSDECOD"] == "DEATH", ["DSSTDTC", "DSTERM"]] = ["2025-03-20", "Subject died"]
    p = load_params()
    p.update(STUDY_PARAMS)
    a = derive_adam(sdtm, p, warn=lambda m: None)["ADSL"].iloc[0]
    assert a["DTHDT"] == pd.Timestamp("2025-03-20") and missing_as_none(a["DTHDTF"]) is None
    assert missing_as_none(a["DTHCAUS"]) is None  # 'Subject died' is not a cause (params death_generic_terms)
    sdtm["DS"].loc[sdtm["DS"]["DSDECOD"] == "DEATH", "DSSTDTC"] = "2025-04-02"  # outside the month: imputed
    a = derive_adam(sdtm, p, warn=lambda m: None)["ADSL"].iloc[0]
    assert a["DTHDT"] == pd.Timestamp("2025-03-01") and a["DTHDTF"] == "D"
