"""The records a statistical reviewer found wrong in the bundled C-CAR031 outputs (issue 12), each worked out by
hand from the SDTM written by ``cdisckit run`` and checked in the ADaM files read back from disk."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisckit.io import read_dataset

U = "C-CAR031-"


@pytest.fixture(scope="module")
def data(bundled_run):
    out, _ = bundled_run
    adam = {n: read_dataset(out / "adam" / f"{n.lower()}.xpt") for n in ("ADSL", "ADRS", "ADTTE", "ADTR", "ADAE")}
    sdtm = {n: read_dataset(out / "sdtm" / f"{n.lower()}.xpt") for n in ("DM", "RS", "CM", "TR")}
    return adam, sdtm


def value(df, subject, paramcd, col="AVALC"):
    rows = df[(df["USUBJID"] == U + subject) & (df["PARAMCD"] == paramcd)]
    assert len(rows) == 1, (subject, paramcd, len(rows))
    return rows[col].iloc[0]


def test_pr_confirmed_only_after_new_anticancer_therapy_is_sd(data):
    adam, sdtm = data
    cm, rs = sdtm["CM"], sdtm["RS"]
    # 104-001: infused 2024-04-03, sorafenib from 2024-07-03 (day 92); mRECIST PR on day 84 (2024-06-25) whose only
    # confirming scan is day 122 (2024-08-02), after the new therapy: not confirmed -> SD (day 84 >= 35)
    assert cm.loc[cm["USUBJID"] == U + "104-001", "CMSTDTC"].tolist() == ["2024-07-03"]
    m = rs[(rs["USUBJID"] == U + "104-001") & (rs["RSTESTCD"] == "OVRLRESP") & rs["RSCAT"].str.startswith("MRECIST")]
    assert m.set_index("RSDTC")["RSSTRESC"].to_dict()["2024-08-02"] == "PR"
    assert value(adam["ADRS"], "104-001", "MCBOR") == "SD" and value(adam["ADRS"], "104-001", "MCRSP") == "N"
    # 104-002: sorafenib from 2024-07-28 (day 65); PR day 42 confirmed by day 86 (after the therapy) -> SD
    assert cm.loc[cm["USUBJID"] == U + "104-002", "CMSTDTC"].tolist() == ["2024-07-28"]
    assert value(adam["ADRS"], "104-002", "MCBOR") == "SD"
    # the scans after the therapy are kept in ADRS but not used (ANL01FL empty)
    ovr = adam["ADRS"][(adam["ADRS"]["USUBJID"] == U + "104-001") & (adam["ADRS"]["PARAMCD"] == "MOVR")]
    assert ovr.loc[ovr["ADT"] >= pd.Timestamp("2024-07-03"), "ANL01FL"].isna().all()
    assert (ovr.loc[ovr["ADT"] < pd.Timestamp("2024-07-03"), "ANL01FL"] == "Y").all()


def test_confirmed_mrecist_orr_by_dose_level(data):
    adam, _ = data
    adsl = adam["ADSL"]
    eff = adsl[adsl["EFFFL"] == "Y"][["USUBJID", "COHORT"]]
    crsp = adam["ADRS"][adam["ADRS"]["PARAMCD"] == "MCRSP"][["USUBJID", "AVALC"]]
    m = eff.merge(crsp, on="USUBJID", how="left")
    rate = m.groupby("COHORT")["AVALC"].agg(lambda s: (int((s == "Y").sum()), len(s)))
    assert rate["DL1"] == (2, 5) and rate["DL2"] == (3, 7)  # the issue: 3/5 and 4/7 before the fix


def test_sum_with_a_target_lesion_not_imaged_is_not_evaluable(data):
    adam, sdtm = data
    tr, adtr = sdtm["TR"], adam["ADTR"]
    for subject, date, lesion in (("201-007", "2025-07-08", "T02"), ("201-002", "2024-07-10", "T05")):
        t = tr[(tr["USUBJID"] == U + subject) & (tr["TRDTC"] == date) & (tr["TRLNKID"] == lesion)]
        assert t["TRSTAT"].tolist() == ["NOT DONE"]  # the lesion was not imaged that day
        rows = adtr[(adtr["USUBJID"] == U + subject) & (adtr["ADT"] == pd.Timestamp(date))]
        assert sorted(rows["PARAMCD"]) == ["MSUMDIAM", "SUMDIAM"]
        assert rows["AVAL"].isna().all() and rows["PCHG"].isna().all() and rows["ANL01FL"].isna().all()
    # 201-007's best RECIST change is now week 18: 44 mm vs 86 mm at baseline = -48.8 % (was -65.1 % from 30 mm)
    s = adtr[(adtr["USUBJID"] == U + "201-007") & (adtr["PARAMCD"] == "SUMDIAM")]
    assert round(s["PCHG"].min(), 1) == round((44 - 86) / 86 * 100, 1) == -48.8


def test_adsl_arm_and_actarm_copy_dm(data):
    adam, sdtm = data
    dm = sdtm["DM"].set_index("USUBJID")
    adsl = adam["ADSL"].set_index("USUBJID").loc[dm.index]
    for col in ("ARM", "ACTARM"):
        assert adsl[col].fillna("").tolist() == dm[col].fillna("").tolist(), col
    # screen failures and the manufacturing failure keep DM's empty arms; TRT01A follows ACTARM
    assert adsl.loc[U + "101-007", ["ARM", "ACTARM"]].fillna("").tolist() == ["", ""]
    assert adsl.loc[U + "103-010", "ARM"] == "C-CAR031 2.5x10^8 CELLS + LENVATINIB"
    assert adsl.loc[U + "103-010", "ACTARM"] in ("", None) or pd.isna(adsl.loc[U + "103-010", "ACTARM"])


def test_every_adtte_record_has_evntdesc_and_a_stated_time_origin(data):
    adam, _ = data
    t = adam["ADTTE"]
    assert t["EVNTDESC"].notna().all() and (t["EVNTDESC"] != "").all()
    assert (t.loc[t["CNSR"] > 0, "CNSDTDSC"].notna()).all()
    origin = t.groupby("PARAMCD")["STARTDSC"].agg(set)
    assert origin["OS"] == {"start of lymphodepletion (ADSL.PRETSDT)"}
    assert origin["PFS"] == origin["MPFS"] == {"CAR-T infusion (ADSL.TRTSDT)"}
    os_ = t[t["PARAMCD"] == "OS"].merge(adam["ADSL"][["USUBJID", "PRETSDT"]], on="USUBJID")
    assert (os_["STARTDT"] == os_["PRETSDT"]).all()


def test_duration_of_response_starts_at_first_documented_response(data):
    adam, _ = data
    # 102-008: confirmed PR first documented 2025-05-08, best (confirmed CR) 2025-09-21: DoR from 2025-05-08
    assert value(adam["ADRS"], "102-008", "CBOR") == "CR"
    assert value(adam["ADRS"], "102-008", "CBOR", "ADT") == pd.Timestamp("2025-09-21")
    assert value(adam["ADRS"], "102-008", "CRSP", "ADT") == pd.Timestamp("2025-05-08")
    assert value(adam["ADTTE"], "102-008", "RSD", "STARTDT") == pd.Timestamp("2025-05-08")


def test_last_known_alive_from_declared_contact_sources(data):
    adam, _ = data
    adsl = adam["ADSL"].set_index("USUBJID")
    # 101-003 died 2024-11-14; the last contact the study's sources record is the new anticancer therapy start
    # (CM CMSTDTC 2024-08-24), not the death date itself (DM RFENDTC/DD DDDTC were taken before)
    assert adsl.loc[U + "101-003", "DTHDT"] == pd.Timestamp("2024-11-14")
    assert adsl.loc[U + "101-003", "LSTALVDT"] == pd.Timestamp("2024-08-24")
    assert (
        adsl["LSTALVDT"].dropna() <= adsl["DTHDT"].reindex(adsl["LSTALVDT"].dropna().index).fillna(pd.Timestamp.max)
    ).all()


def test_study_declared_variables(data):
    adam, _ = data
    adsl, adae = adam["ADSL"].set_index("USUBJID"), adam["ADAE"]
    assert adsl.loc[U + "101-006", ["COHORT", "DOSE01P", "DOSE01A", "DOSE01U"]].tolist() == [
        "PD1",
        250.0,
        192.0,  # the CAR-T product actually infused (EX EXDOSE), below the planned 250
        "10^6 Therapeutic Cells",
    ]
    assert {"ARELLD", "ARELLEN", "ARELPD1", "ASTCTGR", "ASTCTGRN"} <= set(adae.columns)
