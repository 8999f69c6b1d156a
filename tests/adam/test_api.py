"""Public API: load_params validation, column order, graceful degradation, generic TTE."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sdtm_factory import make_sdtm, subject

from cdisckit.adam import TTESource, adam_specs, derive_adam, derive_param_tte, load_params
from cdisckit.adam.adrs import derive_confirmation
from cdisckit.errors import InputError, SpecError

STUDY = Path(__file__).resolve().parents[2] / "mappings" / "c-car031"


def test_load_params_layers(tmp_path):
    p = load_params()
    assert (
        p["origin"],
        p["os_origin"],
        p["confirmation_days"],
        p["max_ne_between"],
        p["min_sd_days"],
        p["teae_window_days"],
        p["pfs_censor_new_therapy"],
        p["pfs_missed_assessments"],
        p["assessment_interval_days"],
    ) == ("TRTSDT", "TRTSDT", 28, 1, 42, 30, True, 2, 42)
    s = load_params(study_dir=STUDY)
    assert s["trtsdt_where"] == {"EXCAT": "CAR-T"} and s["min_sd_days"] == 35
    f = tmp_path / "p.yaml"
    f.write_text("confirmation_days: 56\nparameters:\n  BOR: Best Response\n")
    q = load_params(f, study_dir=STUDY)
    assert q["confirmation_days"] == 56 and q["trtsdt_where"] == {"EXCAT": "CAR-T"}
    assert q["parameters"]["BOR"] == "Best Response" and q["parameters"]["CBOR"]
    assert load_params(study_dir=tmp_path)["confirmation_days"] == 28  # study without adam.yaml


@pytest.mark.parametrize(
    "text,key,line",
    [
        ("origin: TRTSDT\nconfirmaton_days: 56\n", "confirmaton_days", 2),
        ("max_ne_between: one\n", "max_ne_between", 1),
        ("\n\npfs_censor_new_therapy: 1\n", "pfs_censor_new_therapy", 3),
        ("min_sd_days: -1\n", "min_sd_days", 1),
    ],
)
def test_load_params_errors_name_file_line_key(tmp_path, text, key, line):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(SpecError) as e:
        load_params(f)
    assert e.value.key == key and e.value.line == line and str(f) in str(e.value)


def test_load_params_bad_nested_and_yaml(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("timepoints:\n  - {name: WEEK 6}\n")
    with pytest.raises(SpecError, match="timepoint"):
        load_params(f)
    f.write_text("a: [1\n")
    with pytest.raises(SpecError):
        load_params(f)


def full_sdtm():
    return make_sdtm(
        [
            subject(
                "001",
                recist=[(42, "PR"), (84, "PR")],
                mrecist=[(42, "CR"), (84, "CR")],
                sums=[(-14, 50), (42, 30)],
                ae=[{"AESTDTC": "2025-01-03"}],
            ),
            subject("002", recist=[(42, "PD")], death=100, new_therapy=60),
            subject("003", screen_failure=True),
        ]
    )


def test_columns_follow_specs_and_rows_sorted():
    p = load_params(study_dir=STUDY)
    out = derive_adam(full_sdtm(), p, warn=lambda m: None)
    specs = adam_specs(p)
    for name, df in out.items():
        spec = specs[name]
        # spec order; every required variable present; a permissible one only when derived
        assert list(df.columns) == [n for n in spec.names if n in df.columns], name
        assert {v.name for v in spec.variables if v.core == "Req"} <= set(df.columns), name
        keys = [k for k in spec.keys if k in df]
        assert df[keys].equals(df.sort_values(keys, kind="stable")[keys].reset_index(drop=True)), name
    assert out["ADSL"]["USUBJID"].tolist() == [f"C-CAR031-00{i}" for i in (1, 2, 3)]
    assert out["ADTTE"].groupby(["USUBJID", "PARAMCD"]).size().max() == 1
    tr = out["ADTR"]
    assert tr["PARAMCD"].unique().tolist() == ["SUMDIAM"] and tr["PCHG"].iloc[1] == -40.0 and tr["BASE"].iloc[1] == 50.0


@pytest.mark.parametrize("drop", ["TR", "DS", "CM", "SUPPAE", "RS", "TU", "AE", "EX"])
def test_missing_optional_inputs_degrade_with_warning(drop):
    sdtm = full_sdtm()
    sdtm.pop(drop, None)
    if drop == "DS":
        sdtm["DM"]["DTHDTC"] = None
    warnings = []
    p = load_params(study_dir=STUDY)
    out = derive_adam(sdtm, p, warn=warnings.append)
    assert warnings
    assert len(out["ADSL"]) == 3
    for name, df in out.items():
        assert list(df.columns) == [n for n in adam_specs(p)[name].names if n in df.columns]


def test_no_death_data_warns():
    sdtm = full_sdtm()
    sdtm["DM"] = sdtm["DM"].drop(columns=["DTHDTC", "DTHFL"])
    sdtm.pop("DS")
    warnings = []
    out = derive_adam(sdtm, load_params(study_dir=STUDY), warn=warnings.append)
    assert any("DTHDT" in w for w in warnings)
    assert out["ADSL"]["DTHDT"].isna().all()
    assert (out["ADTTE"].loc[out["ADTTE"]["PARAMCD"] == "OS", "CNSR"] == 1).all()


def test_missing_dm_is_input_error():
    with pytest.raises(InputError):
        derive_adam({"AE": pd.DataFrame({"USUBJID": ["1"]})}, load_params())


def test_rs_without_rscat_is_recist_and_unknown_rscat_warns():
    sdtm = full_sdtm()
    rs = sdtm["RS"]
    rs.loc[rs["RSCAT"] == "RECIST 1.1", "RSCAT"] = None
    rs.loc[rs["RSCAT"] == "MRECIST LENCIONI LIVER CANCER 2010", "RSCAT"] = "IRECIST"
    warnings = []
    out = derive_adam(sdtm, load_params(study_dir=STUDY), warn=warnings.append)
    assert "BOR" in set(out["ADRS"]["PARAMCD"]) and "MBOR" not in set(out["ADRS"]["PARAMCD"])
    assert any("IRECIST" in w for w in warnings)


def test_os_from_pretreatment_and_new_therapy_censoring():
    out = derive_adam(full_sdtm(), load_params(study_dir=STUDY), warn=lambda m: None)
    t = out["ADTTE"].set_index(["SUBJID", "PARAMCD"])
    assert t.loc[("002", "OS"), "AVAL"] == 106.0 and t.loc[("002", "OS"), "CNSR"] == 0  # day -5 .. day 100
    assert t.loc[("002", "PFS"), "CNSR"] == 0 and t.loc[("002", "PFS"), "AVAL"] == 43.0  # PD day 42 before NACT day 60
    assert t.loc[("001", "OS"), "CNSDTDSC"] == "LAST KNOWN ALIVE DATE"


def test_derive_param_tte_generic():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"], "START": pd.to_datetime(["2025-01-01"] * 3)})
    ev = pd.DataFrame({"USUBJID": ["1", "1"], "D": pd.to_datetime(["2025-02-01", "2025-01-20"]), "SEQ": [1, 2]})
    ce = pd.DataFrame({"USUBJID": ["1", "2", "2"], "D": pd.to_datetime(["2025-03-01", "2025-02-01", "2025-04-01"])})
    t = derive_param_tte(
        adsl,
        {"EV": ev, "CE": ce},
        TTESource("ADSL", date="START"),
        [TTESource("EV", date="D", evntdesc="E", srcdom="EV", srcvar="D", srcseq="SEQ")],
        [TTESource("CE", date="D", censor=1, cnsdtdsc="C")],
        {"PARAMCD": "X"},
    )
    assert t["USUBJID"].tolist() == ["1", "2"]  # 3 has neither: no record
    assert t["AVAL"].tolist() == [20.0, 91.0] and t["CNSR"].tolist() == [0.0, 1.0]
    assert t["SRCSEQ"].iloc[0] == 2 and t["EVNTDESC"].iloc[0] == "E" and t["CNSDTDSC"].iloc[1] == "C"


def test_derive_confirmation_flags():
    d = pd.DataFrame(
        {
            "USUBJID": ["1"] * 4 + ["2"] * 2,
            "ANL01FL": "Y",
            "AVALC": ["PR", "SD", "PR", "PR", "CR", "CR"],
            "ADT": pd.to_datetime(["2025-02-01", "2025-03-15", "2025-04-20", "2025-05-30", "2025-02-01", "2025-02-20"]),
        }
    )
    c = derive_confirmation(d)
    assert c["CONFPR"].tolist() == [False, False, True, False, False, False]  # SD breaks; 2: only 19 days apart
    assert derive_confirmation(d, accept_sd_between=True)["CONFPR"].tolist()[0]
    assert derive_confirmation(d, confirmation_days=14)["CONFCR"].tolist()[4]
