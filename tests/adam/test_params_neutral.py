"""Rules as parameters: nested type errors name file, line and key; the library defaults know no therapy or
therapeutic area; what a study declares (treatments, variables) is what it gets."""

from __future__ import annotations

import json
import re

import pytest
from sdtm_factory import make_sdtm, subject

from cdisckit.adam import DEFAULTS, adam_specs, derive_adam, load_params
from cdisckit.errors import SpecError

OS_SOURCES = "  - paramcd: OS\n    start: {date: TRTSDT}\n    events:\n"


@pytest.mark.parametrize(
    "text,key,line",
    [
        (
            "tte:\n"
            + OS_SOURCES
            + "      - {dataset: ADSL, date: DTHDT}\n      - {dataset: ADSL, date: DTHDT, censor: x}\n",
            "tte[0].events[1].censor",
            6,
        ),
        (
            "timepoints:\n  - {name: W6, suffix: W6, day: 42}\n  - {name: W12, suffix: W12, day: 84}\n"
            "  - {name: W18, suffix: W18, day: six}\n",
            "timepoints[2].day",
            4,
        ),
        ("tte:\n" + OS_SOURCES + "      - {dataset: ADSL, date: 5}\n", "tte[0].events[0].date", 5),
        ("tte:\n" + OS_SOURCES + "      - {dataset: ADSL, dat: DTHDT}\n", "tte[0].events[0]", 5),
        (
            "tte:\n  - paramcd: OS\n    per_criterion: maybe\n    start: {date: X}\n    events: []\n",
            "tte[0].per_criterion",
            3,
        ),
        ("criteria:\n  - {rscat: RECIST 1.1, prefix: '', aliases: RECIST}\n", "criteria[0].aliases", 2),
        ("adsl_vars:\n  - {name: COHORT, source: SUPPDM, type: Text}\n", "adsl_vars[0].type", 2),
        ("treatments:\n  - {name: Drug}\n", "treatments[0]", 2),
        ("lstalvdt_sources:\n  - {dataset: AE, date: AESTDTC, where: AESER == 'Y'}\n", "lstalvdt_sources[0].where", 2),
        ("origin_labels:\n  TRTSDT: 1\n", "origin_labels.TRTSDT", 2),
    ],
)
def test_nested_wrong_type_is_spec_error_with_file_line_key(tmp_path, text, key, line):
    f = tmp_path / "params.yaml"
    f.write_text(text)
    with pytest.raises(SpecError) as e:
        load_params(f)
    assert (e.value.key, e.value.line, e.value.file) == (key, line, f), str(e.value)


def test_defaults_know_no_therapy_or_therapeutic_area():
    text = json.dumps(DEFAULTS).upper()
    for word in ("CAR-T", "ASTCT", "CRS", "ICANS", "LYMPHODEPLETION", "LENVATINIB", "PD-1", "MRECIST", "PRETSDT"):
        assert not re.search(rf"\b{re.escape(word)}\b", text), word


def test_study_without_declarations_gets_standard_variables_only():
    sdtm = make_sdtm([subject("001", recist=[(42, "SD")], ae=[{"AESTDTC": "2025-01-03", "ASTCTGR": "Grade 1"}])])
    out = derive_adam(sdtm, load_params(), warn=lambda m: None)
    assert "PRETSDT" not in out["ADSL"] and "COHORT" not in out["ADSL"]
    ae = out["ADAE"]
    assert "AREL" in ae and ae["AREL"].iloc[0] == "RELATED"  # one treatment (the default): AREL only
    assert not {"ARELLD", "ARELLEN", "ARELPD1", "ASTCTGR", "ASTCTGRN", "AESIFL", "AESICAT"} & set(ae.columns)
    # defaults: TEAE from TRTSDT to TRTEDT + 30 days (admiral template), response by RECIST 1.1 only
    assert out["ADRS"]["PARCAT1"].unique().tolist() == ["RECIST 1.1"]


def test_declared_treatments_give_one_relationship_variable_each():
    p = load_params()
    p["treatments"] = [
        {"name": "Drug X", "relationship": "AEREL"},
        {"name": "Lymphodepletion", "relationship": "AERELLD", "suffix": "LD"},
    ]
    sdtm = make_sdtm([subject("001", ae=[{"AESTDTC": "2025-01-03", "AERELLD": "POSSIBLE"}])])
    ae = derive_adam(sdtm, p, warn=lambda m: None)["ADAE"]
    assert ae[["AREL", "ARELLD"]].iloc[0].tolist() == ["RELATED", "POSSIBLE"]
    assert adam_specs(p)["ADAE"].variable("ARELLD").label == "Analysis Causality to Lymphodepletion"
    assert "ARELLEN" not in ae


def test_declared_adsl_variable_missing_column_warns_not_crashes():
    p = load_params()
    p["adsl_vars"] = [{"name": "DOSE01A", "type": "Num", "source": "EX", "value": "EXDOSE", "date": "EXSTDTC"}]
    warnings = []
    out = derive_adam(make_sdtm([subject("001")]), p, warn=warnings.append)
    assert out["ADSL"]["DOSE01A"].isna().all()
    assert any("adsl_vars[0] (DOSE01A): EX has no column EXDOSE" in w for w in warnings)
