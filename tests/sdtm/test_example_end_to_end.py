"""End to end on the bundled examples/c-car031/raw export; expectations computed here from the raw CSV rows by hand
(plain datetime arithmetic), not with the package's derivation functions."""

from datetime import datetime

import pandas as pd
import pytest
from sdtm_rawfixture import EXAMPLE_RAW, STUDY_DIR

from cdisckit.sdtm import map_study

VISITNUM = {"SCREENING": 1, "WEEK 6": 2, "WEEK 12": 3, "WEEK 18": 4, "MONTH 6": 5, "MONTH 9": 6, "MONTH 12": 7}


@pytest.fixture(scope="module")
def result():
    return map_study(STUDY_DIR)  # raw: from study.yaml


@pytest.fixture(scope="module")
def raw():
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in EXAMPLE_RAW.glob("*.csv")}


def _d(text):  # DD-MMM-YYYY -> date
    return datetime.strptime(text.strip().title(), "%d-%b-%Y").date()


def _dy(date, ref):
    n = (date - ref).days
    return n + 1 if n >= 0 else n


def _usubjid(subject):
    return f"C-CAR031-{subject}"


def test_reference_dates_and_ex_study_days(result, raw):
    dm = result.datasets["DM"].set_index("USUBJID")
    ex = result.datasets["EX"]
    for _, inf in raw["inf"].head(3).iterrows():
        u = _usubjid(inf["SUBJECT"])
        infdate = _d(inf["INFDAT"])
        assert dm.loc[u, "RFSTDTC"] == f"{infdate.isoformat()}T{inf['INFSTTIM']}"
        ld = raw["ld"][raw["ld"]["SUBJECT"] == inf["SUBJECT"]]
        first_ld = min((_d(r.LDDAT), r.LDSTTIM) for r in ld.itertuples())
        assert dm.loc[u, "RFXSTDTC"] == f"{first_ld[0].isoformat()}T{first_ld[1]}"
        assert _dy(first_ld[0], infdate) == -5  # LD on protocol day -5 = study day -5
        sub = ex[ex["USUBJID"] == u]
        assert sub["EXSEQ"].tolist() == list(range(1, len(sub) + 1))
        n_raw = sum((raw[f]["SUBJECT"] == inf["SUBJECT"]).sum() for f in ("ld", "inf", "len", "pd1"))
        assert len(sub) == n_raw
        assert sub.loc[sub["EXTRT"] == "C-CAR031", "EXSTDY"].tolist() == [1.0]


def test_ae_dates_study_days_and_seq(result, raw):
    ae, dm = result.datasets["AE"], result.datasets["DM"].set_index("USUBJID")
    inf = raw["inf"].iloc[0]
    u, infdate = _usubjid(inf["SUBJECT"]), _d(inf["INFDAT"])
    rows = raw["ae"][(raw["ae"]["SUBJECT"] == inf["SUBJECT"]) & (raw["ae"]["AETERM"].str.strip() != "")]
    sub = ae[ae["USUBJID"] == u].set_index("AESPID")
    assert len(sub) == len(rows) and sorted(sub["AESEQ"]) == list(range(1, len(rows) + 1))
    checked = 0
    for r in rows.itertuples():
        rec = sub.loc[r.AESPID]
        if len(r.AESTDAT) == 11 and not r.AESTDAT.startswith("UN"):
            start = _d(r.AESTDAT)
            assert rec["AESTDTC"] == start.isoformat() + (f"T{r.AESTTIM}" if r.AESTTIM else "")
            assert rec["AESTDY"] == _dy(start, infdate)
            checked += 1
        assert rec["AEREL"] == r.AEREL_CART.upper()
        assert rec["AESER"] == {"Yes": "Y", "No": "N"}[r.AESER]
    assert checked
    assert dm.loc[u, "RFSTDTC"].startswith(infdate.isoformat())


def test_partial_dates_are_not_imputed(result, raw):
    ae = raw["ae"]
    part = ae[ae["AESTDAT"].str.upper().str.startswith("UN-") & (ae["AETERM"].str.strip() != "")]
    assert not part.empty, "the bundled export has partial AE start dates"
    r = part.iloc[0]
    d, m, y = r["AESTDAT"].upper().split("-")
    months = {
        mm: f"{i:02d}"
        for i, mm in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
    }
    expected = y if m == "UNK" else f"{y}-{months[m]}"
    rec = result.datasets["AE"]
    rec = rec[(rec["USUBJID"] == _usubjid(r["SUBJECT"])) & (rec["AESPID"] == r["AESPID"])].iloc[0]
    assert rec["AESTDTC"] == expected and pd.isna(rec["AESTDY"])


def test_tumour_links_visits_and_both_criteria(result, raw):
    tu, tr, rs = (result.datasets[d] for d in ("TU", "TR", "RS"))
    tl = raw["tl"]
    subject = tl.loc[tl["FOLDER"] != "SCREENING", "SUBJECT"].iloc[0]
    u = _usubjid(subject)
    tl_s = tl[tl["SUBJECT"] == subject]
    tu_s, tr_s, rs_s = tu[tu["USUBJID"] == u], tr[tr["USUBJID"] == u], rs[rs["USUBJID"] == u]
    assert sorted(tu_s.loc[tu_s["TUSTRESC"] == "TARGET", "TULNKID"]) == sorted(tl_s["LESID"].unique())
    diam = tr_s[tr_s["TRTESTCD"] == "DIAMETER"]
    assert len(diam) == len(tl_s)
    for r in tl_s.itertuples():
        rec = diam[(diam["TRLNKID"] == r.LESID) & (diam["TRDTC"] == _d(r.TADAT).isoformat())].iloc[0]
        if r.FOLDER in VISITNUM:
            assert rec["VISITNUM"] == VISITNUM[r.FOLDER] and rec["TRLNKGRP"] == f"V{VISITNUM[r.FOLDER]}-RECIST"
        assert rec["TRORRES"] == (r.LDIAM or None)
        if r.LDIAM == "TOO SMALL TO MEASURE":
            assert rec["TRSTRESN"] == 5
        elif r.LDIAM:
            assert rec["TRSTRESN"] == float(r.LDIAM)
        else:
            assert rec["TRSTAT"] == "NOT DONE"
    rsp = raw["rsp"][raw["rsp"]["SUBJECT"] == subject]
    for r in rsp.itertuples():
        cat = "RECIST 1.1" if r.CRIT == "RECIST 1.1" else "MRECIST LENCIONI LIVER CANCER 2010"
        rec = rs_s[
            (rs_s["RSCAT"] == cat) & (rs_s["RSTESTCD"] == "OVRLRESP") & (rs_s["RSDTC"] == _d(r.TADAT).isoformat())
        ].iloc[0]
        assert rec["RSORRES"] == r.OVRLRESP
        assert rec["RSLNKGRP"].endswith("-RECIST" if r.CRIT == "RECIST 1.1" else "-MRECIST")
        assert rec["RSLNKGRP"] in set(tr_s["TRLNKGRP"])
        assert rec["RSTEST"] == "Overall Response" and rec["RSEVAL"] == "INVESTIGATOR"


def test_unscheduled_visitnum_by_hand(result, raw):
    rsp = raw["rsp"]
    uns = rsp[rsp["FOLDER"] == "UNSCHEDULED"]
    assert not uns.empty, "the bundled export has unscheduled assessments (tests/test_synth.py keeps it in sync)"
    r = uns.iloc[0]
    mine = rsp[rsp["SUBJECT"] == r["SUBJECT"]]
    date = _d(r["TADAT"])
    prev = max([VISITNUM[f] for f, t in zip(mine["FOLDER"], mine["TADAT"]) if f in VISITNUM and _d(t) <= date] or [0])
    earlier = {
        _d(t)
        for f, t in zip(mine["FOLDER"], mine["TADAT"])
        if f == "UNSCHEDULED"
        and _d(t) <= date
        and max([VISITNUM[g] for g, s in zip(mine["FOLDER"], mine["TADAT"]) if g in VISITNUM and _d(s) <= _d(t)] or [0])
        == prev
    }
    expected = round(prev + 0.01 * len(earlier), 2)
    rs = result.datasets["RS"]
    got = rs[(rs["USUBJID"] == _usubjid(r["SUBJECT"])) & (rs["RSDTC"] == date.isoformat())]["VISITNUM"].unique()
    assert got.tolist() == [expected]


def test_every_raw_row_reconciled(result, raw):
    rec = result.reconciliation
    forms = rec["forms"].set_index("form")
    for name, df in raw.items():
        assert forms.loc[name, "rows_read"] == len(df)
    blank = raw["ae"][raw["ae"]["AETERM"].str.strip() == ""]
    un = rec["unmapped"]
    assert sorted(un.loc[un["form"] == "ae", "RECORDID"]) == sorted(blank["RECORDID"])
    assert set(un["reason"]) <= {"AETERM blank"}
