"""ADSL and ADAE derivations on hand-made SDTM."""

from __future__ import annotations

import pandas as pd
import pytest
from sdtm_factory import STUDY_PARAMS, day, make_sdtm, missing_as_none, subject

from cdisckit.adam import derive_adam, load_params
from cdisckit.adam.adae import derive_var_extreme_flag, derive_var_trtemfl, derive_vars_aesi
from cdisckit.adam.util import derive_vars_dt
from cdisckit.dates import impute_dtc_dt


def params(**kw):
    p = load_params()
    p.update(STUDY_PARAMS)
    p.update(kw)
    return p


def adam(subjects, **kw):
    warnings = []
    return derive_adam(make_sdtm(subjects), params(**kw), warn=warnings.append), warnings


def test_adsl_one_row_per_dm_subject_and_flags():
    out, _ = adam(
        [subject("001", age=70, recist=[(42, "SD")]), subject("002", target=False), subject("003", screen_failure=True)]
    )
    a = out["ADSL"].set_index("SUBJID")
    assert len(a) == 3
    assert a["SAFFL"].tolist() == ["Y", "Y", "N"]
    assert a["EFFFL"].tolist() == ["Y", "N", "N"]  # 002 has no TARGET lesion
    assert a["ENRLFL"].tolist() == ["Y", "Y", "N"]
    # screen failure: ARM/ACTARM/TRT01P/TRT01A empty as in DM (ADaMIG: ADSL copies DM), no N codes
    assert a.loc["003", ["ARM", "ACTARM", "TRT01P", "TRT01A"]].isna().all()
    assert pd.isna(a.loc["003", "TRT01PN"]) and pd.isna(a.loc["003", "TRT01AN"])
    assert a.loc["001", "TRT01P"] == "Cohort DL1" and a.loc["001", "TRT01AN"] == 1.0
    assert a.loc["001", "AGEGR1"] == ">=65" and a.loc["002", "AGEGR1"] == "<65"
    assert a.loc["001", "PRETSDT"] == pd.Timestamp(day(-5)) and a.loc["001", "TRTSDT"] == pd.Timestamp(day(0))
    assert a.loc["001", "TRTSDTM"] == pd.Timestamp(day(0) + " 10:30")
    assert a.loc["001", "LSTALVDT"] == pd.Timestamp(day(42))
    # a screen failure never entered the study: no end-of-study status (admiral format_eosstt)
    assert pd.isna(a.loc["003", "EOSSTT"]) and pd.isna(a.loc["003", "DCSREAS"])
    assert a.loc["001", "EOSSTT"] == "ONGOING"
    assert list(out["ADSL"].columns)[:4] == ["STUDYID", "USUBJID", "SUBJID", "SITEID"]
    assert str(out["ADSL"]["TRTSDT"].dtype) == "datetime64[ns]"


def test_adsl_partial_death_date_imputed_not_before_last_alive():
    out, _ = adam([subject("001", dthdtc="2025-02", recist=[(42, "SD")]), subject("002", dthdtc="2025-03")])
    a = out["ADSL"].set_index("SUBJID")
    # 001 last alive 2025-02-12 (assessment day 42) lies in February -> DTHDT = that date
    assert a.loc["001", "DTHDT"] == pd.Timestamp("2025-02-12") and a.loc["001", "DTHDTF"] == "D"
    assert a.loc["002", "DTHDT"] == pd.Timestamp("2025-03-01") and a.loc["002", "DTHFL"] == "Y"
    assert a.loc["002", "EOSSTT"] == "DISCONTINUED" and a.loc["002", "DCSREAS"] == "DEATH"


def test_impute_dtc_dt_rules():
    dt, fl = impute_dtc_dt(pd.Series(["2025-03", "2025", "2025-03-07", None, "2024-02"]), "M", "last")
    assert dt.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2025-03-31", "2025-12-31", "2025-03-07"]
    assert dt.iloc[4] == pd.Timestamp("2024-02-29") and pd.isna(dt.iloc[3])
    assert fl.tolist() == ["D", "M", None, None, "D"]
    dt, _ = impute_dtc_dt(pd.Series(["2025-03"]), "n", "first")
    assert pd.isna(dt.iloc[0])  # no imputation allowed


@pytest.mark.parametrize(
    "aestdtc,astdt,flag,teae",
    [
        ("2024-12", "2024-12-27", "D", "Y"),  # same month as LD start -> LD start, emergent
        ("2024-11", "2024-11-01", "D", None),  # before pretreatment
        ("2024", "2024-12-27", "M", "Y"),  # year of LD start -> LD start
        ("2025", "2025-01-01", "M", "Y"),
        ("2024-12-26", "2024-12-26", None, None),  # day before LD start
        ("2024-12-27", "2024-12-27", None, "Y"),  # first LD day
        ("2026-01-01", "2026-01-01", None, "Y"),  # TRTSDT + 365 (last day of the window)
        ("2026-01-02", "2026-01-02", None, None),  # TRTSDT + 366
        ("2026-01", "2026-01-01", "D", "Y"),  # partial onset in the window's last month -> 1st
        (None, None, None, "Y"),  # unknown onset, unknown end: emergent (conservative)
    ],
)
def test_ae_partial_onset_around_teae_boundary(aestdtc, astdt, flag, teae):
    out, _ = adam([subject("001", ae=[{"AESTDTC": aestdtc}])])
    r = out["ADAE"].iloc[0]
    assert (None if pd.isna(r["ASTDT"]) else r["ASTDT"].strftime("%Y-%m-%d")) == astdt
    assert missing_as_none(r["ASTDTF"]) == flag and missing_as_none(r["TRTEMFL"]) == teae


@pytest.mark.parametrize(
    "aestdtc,aeendtc,astdt,aendt",
    [
        # the 1,000-subject bug: onset 2024-12 was imputed to the LD start 2024-12-27, after its own end; it cannot
        # have started on or after the LD start, so the plain rule (first of the month) applies
        ("2024-12", "2024-12-11", "2024-12-01", "2024-12-11"),
        ("2024-12", "2024-12-30", "2024-12-27", "2024-12-30"),  # end after LD start: the LD start bound holds
        ("2024", "2024-06-30", "2024-01-01", "2024-06-30"),  # end in the year but before LD: first of the year
        # an end is never imputed before its complete onset
        ("2025-01-20", "2025-01", "2025-01-20", "2025-01-31"),
        ("2024-12-28", "2024", "2024-12-28", "2024-12-31"),
    ],
)
def test_ae_imputation_never_crosses_the_other_date(aestdtc, aeendtc, astdt, aendt):
    out, _ = adam([subject("001", ae=[{"AESTDTC": aestdtc, "AEENDTC": aeendtc}])])
    r = out["ADAE"].iloc[0]
    assert (r["ASTDT"].strftime("%Y-%m-%d"), r["AENDT"].strftime("%Y-%m-%d")) == (astdt, aendt)
    assert r["ASTDT"] <= r["AENDT"]


def test_ae_imputation_bounds_are_parameters():
    # without the end-date bound the onset goes to the LD start again (the old behaviour, now a choice)
    out, _ = adam(
        [subject("001", ae=[{"AESTDTC": "2024-12", "AEENDTC": "2024-12-11"}])],
        ae_start_imputation={"highest_imputation": "M", "date_imputation": "first", "min_dates": ["PRETSDT"]},
    )
    assert out["ADAE"]["ASTDT"].iloc[0] == pd.Timestamp("2024-12-27")


def test_teae_window_param_changes_answer():
    out, _ = adam([subject("001", ae=[{"AESTDTC": "2025-06-01"}])], teae_window_days=90)
    assert missing_as_none(out["ADAE"]["TRTEMFL"].iloc[0]) is None


def test_ae_end_capped_at_death_and_study_days():
    out, _ = adam([subject("001", death=68, ae=[{"AESTDTC": day(-5), "AEENDTC": "2025-03"}, {"AESTDTC": day(0)}])])
    ae = out["ADAE"]
    assert ae["AENDT"].iloc[0] == pd.Timestamp(day(68)) and ae["AENDTF"].iloc[0] == "D"
    assert ae["ASTDY"].tolist() == [-5.0, 1.0]
    assert ae["SRCDOM"].eq("AE").all() and ae["SRCSEQ"].tolist() == ae["AESEQ"].tolist()


def test_aesi_astct_relationship_and_first_occurrence():
    aes = [
        {
            "AESTDTC": day(2),
            "AEDECOD": "Cytokine release syndrome",
            "AEBODSYS": "Immune system disorders",
            "AESI": "Y",
            "AESICAT": "CRS",
            "ASTCTGR": "Grade 2",
            "AERELLD": "NOT RELATED",
            "AETOXGR": "Grade 3",
        },
        {
            "AESTDTC": day(5),
            "AEDECOD": "Immune effector cell-associated neurotoxicity syndrome",
            "AEBODSYS": "Nervous system disorders",
        },
        {"AESTDTC": day(9), "AEDECOD": "Cytokine release syndrome", "AEBODSYS": "Immune system disorders"},
        {"AESTDTC": day(-20), "AEDECOD": "Pyrexia"},
    ]
    out, _ = adam([subject("001", ae=aes)])
    ae = out["ADAE"]
    assert missing_as_none(ae["AESIFL"].tolist()) == ["Y", "Y", "Y", None]
    assert missing_as_none(ae["AESICAT"].tolist()) == ["CRS", "ICANS", "CRS", None]  # 2: from the configured PT list
    assert missing_as_none(ae["ASTCTGR"].tolist()[:2]) == ["2", None] and ae["ASTCTGRN"].iloc[0] == 2.0
    assert ae["ATOXGR"].iloc[0] == "3" and ae["ATOXGRN"].iloc[0] == 3.0
    assert ae["ARELLD"].iloc[0] == "NOT RELATED" and ae["AREL"].iloc[0] == "RELATED"
    assert missing_as_none(ae["TRTEMFL"].tolist()) == ["Y", "Y", "Y", None]
    assert missing_as_none(ae["AOCCFL"].tolist()) == ["Y", None, None, None]
    assert missing_as_none(ae["AOCCSFL"].tolist()) == ["Y", "Y", None, None]
    assert missing_as_none(ae["AOCCPFL"].tolist()) == ["Y", "Y", None, None]
    assert ae["TRT01A"].eq("Cohort DL1").all()


def test_small_functions_have_admiral_signatures():
    d = pd.DataFrame(
        {"USUBJID": ["1", "1"], "AESTDTC": ["2025-01", "2025-02-03"], "REF": pd.to_datetime(["2025-01-20"] * 2)}
    )
    d = derive_vars_dt(d, new_vars_prefix="AST", dtc="AESTDTC", highest_imputation="M", min_dates="REF")
    assert d["ASTDT"].tolist() == [pd.Timestamp("2025-01-20"), pd.Timestamp("2025-02-03")]
    d["PRETSDT"] = d["REF"]
    d["TRTSDT"] = d["REF"]
    assert derive_var_trtemfl(d, trt_start_date="PRETSDT", ref_date="TRTSDT", window_days=10)["TRTEMFL"].tolist() == [
        "Y",
        None,
    ]
    d["AEDECOD"] = ["Tumour lysis syndrome", "X"]
    assert derive_vars_aesi(d, [{"category": "TLS", "pt": ["tumour lysis syndrome"]}])["AESICAT"].tolist() == [
        "TLS",
        None,
    ]
    assert derive_var_extreme_flag(d, by=["USUBJID"], order=["ASTDT"], new="F", mode="last")["F"].tolist() == [
        None,
        "Y",
    ]
