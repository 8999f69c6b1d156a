"""End to end on the small fixture export; expected values worked out by hand from sdtm_rawfixture.FORMS."""

import pandas as pd
import pytest
from sdtm_rawfixture import STUDY_DIR, write_fixture

from cdisckit.sdtm import map_study


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return map_study(STUDY_DIR, write_fixture(tmp_path_factory.mktemp("fx") / "raw"))


def _rec(df, **eq):
    m = pd.Series(True, index=df.index)
    for k, v in eq.items():
        m &= df[k] == v
    return df[m]


def test_dm_reference_dates_arms_death(result):
    dm = result.datasets["DM"].set_index("SUBJID")
    s1 = dm.loc["101-001"]
    assert s1["USUBJID"] == "C-CAR031-101-001"
    assert s1["RFXSTDTC"] == "2025-03-05T08:00"  # first LD dose
    assert s1["RFSTDTC"] == "2025-03-10T10:20"  # CAR-T infusion
    assert s1["RFXENDTC"] == "2025-03-10T10:20"
    assert s1["RFICDTC"] == "2025-01-20T09:30"  # first of two consents
    assert s1["DTHDTC"] == "2025-09" and s1["DTHFL"] == "Y" and s1["RFENDTC"] == "2025-09"
    assert s1["AGE"] == 56 and s1["SEX"] == "M" and s1["COUNTRY"] == "CHN"  # 15-Jun-1968 -> 20-Jan-2025
    assert (s1["ARMCD"], s1["ACTARMCD"]) == ("DL2", "DL2") and pd.isna(s1["ARMNRS"])
    sf = dm.loc["101-002"]
    assert pd.isna(sf["ARMCD"]) and pd.isna(sf["ACTARMCD"]) and sf["ARMNRS"] == "SCREEN FAILURE" and sf["SEX"] == "F"
    nt = dm.loc["102-002"]
    assert nt["ARMCD"] == "PD1" and pd.isna(nt["ACTARMCD"]) and nt["ARMNRS"] == "ASSIGNED, NOT TREATED"
    assert dm.loc["102-001", "RFXENDTC"] == "2025-05-10"  # ongoing lenvatinib interval started 10-May-2025
    assert dm.loc["102-001", "RFPENDTC"] == "2025-06-20"  # withdrawal date is the latest record
    assert list(result.datasets["DM"].columns[:4]) == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID"]
    assert result.datasets["DM"]["AGE"].dtype == "float64"


def test_ex_union_study_days_and_seq(result):
    ex = result.datasets["EX"]
    s1 = ex[ex["USUBJID"] == "C-CAR031-101-001"]
    assert sorted(s1["EXTRT"].unique()) == ["C-CAR031", "CYCLOPHOSPHAMIDE", "FLUDARABINE"]
    assert s1["EXSEQ"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    inf = _rec(s1, EXTRT="C-CAR031").iloc[0]
    assert inf["EXSTDY"] == 1 and inf["EXDOSE"] == 250 and inf["EXDOSU"] == "10^6 Therapeutic Cells"
    # 05-Mar-2025 is 5 days before the 10-Mar infusion: day -5 (no day 0)
    assert _rec(s1, EXTRT="FLUDARABINE", EXSTDTC="2025-03-05T08:00").iloc[0]["EXSTDY"] == -5
    len_ = _rec(ex, EXTRT="LENVATINIB")
    assert len_["EXDOSFRQ"].tolist() == ["QD", "QD"] and len_["EXSTDY"].tolist() == [2, 53]  # 20-Mar vs 19-Mar infusion
    assert pd.isna(len_["EXENDTC"].tolist()[1])


def test_ae_dates_epoch_supp(result):
    ae = result.datasets["AE"]
    crs = _rec(ae, AESPID="2").iloc[0]
    # the spec asks for `clean: [..., ascii]`: the en dash of the raw verbatim becomes "-" for XPT v5
    assert crs["AETERM"] == "CRS - post CAR-T" and crs["AESTDTC"] == "2025-03-12T14:30"
    assert crs["AESTDY"] == 3 and crs["AEENDY"] == 7 and crs["EPOCH"] == "TREATMENT"
    assert crs["AESER"] == "Y" and crs["AEREL"] == "RELATED" and crs["AETOXGR"] == "2"
    fat = _rec(ae, AESPID="1").iloc[0]
    assert fat["AESTDTC"] == "2025-02" and fat["AEENDTC"] == "2025" and pd.isna(fat["AESTDY"])
    # all of February 2025 lies between consent (20-Jan) and the first lymphodepletion dose (05-Mar): SE SCRN
    assert fat["EPOCH"] == "SCREENING"
    assert _rec(ae, AESPID="4").iloc[0]["AEENRTPT"] == "ONGOING"
    supp = result.datasets["SUPPAE"]
    q = _rec(supp, USUBJID="C-CAR031-101-001", IDVARVAL=str(int(crs["AESEQ"])))
    assert dict(zip(q["QNAM"], q["QVAL"])) == {
        "AERELLD": "POSSIBLY RELATED",
        "AERELLEN": "NOT APPLICABLE",
        "AERELPD1": "NOT APPLICABLE",
        "AESI": "Y",
        "AESICAT": "CRS",
        "ASTCTGR": "2",
    }
    assert set(q["IDVAR"]) == {"AESEQ"} and set(q["QORIG"]) == {"CRF"}
    assert supp["QLABEL"].str.len().max() <= 40


def test_tu_tr_rs_links(result):
    tu, tr, rs = (result.datasets[d] for d in ("TU", "TR", "RS"))
    assert dict(zip(tu["TULNKID"], tu["TUSTRESC"])) == {
        "T01": "TARGET",
        "T02": "TARGET",
        "NT01": "NON-TARGET",
        "NEW01": "NEW",
    }
    assert _rec(tu, TULNKID="NEW01").iloc[0]["VISIT"] == "WEEK 12"
    assert _rec(tu, TULNKID="T01").iloc[0]["TUMETHOD"] == "MRI"
    assert set(tr["TRLNKID"].dropna()) <= set(tu["TULNKID"])
    # unscheduled 12-May-2025 after WEEK 6 (VISITNUM 2) -> 2.01
    t02 = _rec(tr, TRLNKID="T02", TRTESTCD="DIAMETER").set_index("VISITNUM")
    assert t02.loc[2.0, "TRORRES"] == "TOO SMALL TO MEASURE" and t02.loc[2.0, "TRSTRESN"] == 5
    assert t02.loc[2.01, "TRSTAT"] == "NOT DONE" and t02.loc[2.01, "TRREASND"] == "Lesion not imaged"
    assert t02.loc[2.01, "TRLNKGRP"] == "V2.01-RECIST" and t02.loc[2.01, "VISIT"] == "UNSCHEDULED 2.01"
    nt = _rec(tr, TRLNKID="NT01").set_index("VISITNUM")
    assert nt.loc[2.01, "TRSTAT"] == "NOT DONE" and nt.loc[3.0, "TRSTRESC"] == "UNEQUIVOCAL"
    v = _rec(tr, TRLNKID="T01", TRTESTCD="VDIAM")
    assert set(v["TRLNKGRP"].str.endswith("-MRECIST")) == {True}
    sums = _rec(tr, VISITNUM=2.0)
    assert _rec(sums, TRTESTCD="SUMDIAM").iloc[0]["TRSTRESN"] == 35
    assert _rec(sums, TRTESTCD="SUMVDIAM").iloc[0]["TRLNKGRP"] == "V2-MRECIST"
    w6 = _rec(rs, VISITNUM=2.0)
    assert set(w6["RSCAT"]) == {"RECIST 1.1", "MRECIST LENCIONI LIVER CANCER 2010"}
    ov = _rec(w6, RSTESTCD="OVRLRESP", RSCAT="RECIST 1.1").iloc[0]
    assert ov["RSORRES"] == "Partial Response" and ov["RSSTRESC"] == "PR" and ov["RSLNKGRP"] == "V2-RECIST"
    assert ov["RSTEST"] == "Overall Response" and ov["RSEVAL"] == "INVESTIGATOR" and ov["RSDY"] == 43
    assert set(rs["RSLNKGRP"]) <= set(tr["TRLNKGRP"])
    assert _rec(rs, RSTESTCD="NEWLIND", VISITNUM=3.0)["RSSTRESC"].tolist() == ["Y", "Y"]
    assert (rs["VISITNUM"] == 1.0).sum() == 0  # baseline rows carry sums only


def test_reconciliation_lists_every_unmapped_row(result):
    rec = result.reconciliation
    assert rec["unmapped"][["form", "RECORDID", "reason"]].values.tolist() == [["ae", "3", "AETERM blank"]]
    forms = rec["forms"].set_index("form")
    assert forms.loc["ae", "rows_read"] == 5 and forms.loc["ae", "rows_mapped"] == 4
    assert (forms["rows_mapped"] + forms["rows_unmapped"] == forms["rows_read"]).all()
    dom = rec["domains"].set_index(["form", "domain"])["rows"]
    assert dom[("ntl", "TR")] == 4  # 'Not evaluated' row mapped as NOT DONE, not dropped
    assert dom[("ic", "DS")] == 5 and dom[("ic", "DM")] == 4


def test_contract_types_and_order(result):
    from cdisckit.standards import sdtm_dataset

    for name, df in result.datasets.items():
        spec = sdtm_dataset(name)
        order = [v.name for v in spec.variables if v.name in df.columns]
        assert list(df.columns) == order, name
        for v in spec.variables:
            if v.name in df.columns:
                if v.type == "Num":
                    assert df[v.name].dtype == "float64", (name, v.name)
                else:
                    assert not (df[v.name] == "").any(), (name, v.name)
