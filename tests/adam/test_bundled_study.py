"""End to end on the bundled study (examples/c-car031): raw CSV -> SDTM -> ADaM XPT, hand-checked for four subjects.

Every expected value below was worked out by hand from the raw export rows quoted in the comments
(docs/raw-export.md). Study days: day 1 = CAR-T infusion (raw inf.csv INFDAT = TRTSDT); "day n" in comments is
days elapsed, ADT - TRTSDT. Study rules (mappings/c-car031/adam.yaml): confirmation >= 28 days, SD counts from
35 days after infusion, PFS/DoR from TRTSDT / first confirmed response, OS from PRETSDT (first ld.csv LDDAT).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cdisckit.io import read_dataset

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "examples" / "c-car031" / "raw"
LABELS = {
    "PARTIAL RESPONSE": "PR",
    "STABLE DISEASE": "SD",
    "PROGRESSIVE DISEASE": "PD",
    "COMPLETE RESPONSE": "CR",
    "NOT EVALUABLE": "NE",
}


@pytest.fixture(scope="module")
def adam(bundled_run):
    out, _ = bundled_run
    summary = json.loads((out / "run.json").read_text())
    assert summary["checks"]["adam"]["errors"] == 0
    return {name: read_dataset(out / "adam" / f"{name.lower()}.xpt") for name in ("ADSL", "ADRS", "ADTTE")}


def raw(form: str, subject: str) -> pd.DataFrame:
    d = pd.read_csv(RAW / f"{form}.csv", dtype=str, keep_default_na=False)
    return d[d["SUBJECT"] == subject].reset_index(drop=True)


def rawdate(text: str) -> pd.Timestamp:
    return pd.to_datetime(text.strip(), format="%d-%b-%Y")  # DD-MMM-YYYY, month in any case


def raw_ovr(subject: str, crit: str) -> list[tuple[str, str]]:
    """(date, OVRLRESP mapped to its code) of the subject's rsp.csv rows for one criterion."""
    r = raw("rsp", subject)
    r = r[r["CRIT"] == crit]
    codes = [LABELS.get(v.strip().upper(), v.strip().upper()) for v in r["OVRLRESP"]]
    return [(rawdate(d).strftime("%Y-%m-%d"), c) for d, c in zip(r["TADAT"], codes)]


def adsl_row(adam, subject):
    a = adam["ADSL"]
    return a[a["USUBJID"] == f"C-CAR031-{subject}"].iloc[0]


def adrs_of(adam, subject, crit="RECIST 1.1"):
    r = adam["ADRS"]
    parcat = "RECIST 1.1" if crit == "RECIST 1.1" else "MRECIST LENCIONI LIVER CANCER 2010"
    return r[(r["USUBJID"] == f"C-CAR031-{subject}") & (r["PARCAT1"] == parcat)]


def param(adrs, code):
    rows = adrs[adrs["PARAMCD"] == code]
    assert len(rows) == 1, code
    return rows.iloc[0]


def tte(adam, subject, code):
    t = adam["ADTTE"]
    return t[(t["USUBJID"] == f"C-CAR031-{subject}") & (t["PARAMCD"] == code)].iloc[0]


def ymd(ts) -> str | None:
    return None if pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


@pytest.mark.parametrize("subject", ["102-008", "101-004", "102-003", "201-009"])
def test_adsl_dates_and_flags_from_raw(adam, subject):
    a = adsl_row(adam, subject)
    assert a["TRTSDT"] == rawdate(raw("inf", subject)["INFDAT"][0])
    assert a["PRETSDT"] == min(rawdate(d) for d in raw("ld", subject)["LDDAT"])
    assert (a["SAFFL"], a["EFFFL"], a["ENRLFL"]) == ("Y", "Y", "Y")
    assert a["TRT01P"] == a["ARM"] and a["TRT01PN"] >= 1


@pytest.mark.parametrize("subject", ["102-008", "101-004", "102-003", "201-009"])
@pytest.mark.parametrize("crit", ["RECIST 1.1", "mRECIST"])
def test_ovr_is_raw_overall_response(adam, subject, crit):
    ovr = adrs_of(adam, subject, crit)
    ovr = ovr[ovr["PARAMCD"] == ("OVR" if crit == "RECIST 1.1" else "MOVR")].sort_values("ADT")
    assert list(zip(ovr["ADT"].dt.strftime("%Y-%m-%d"), ovr["AVALC"])) == raw_ovr(subject, crit)
    trtsdt = adsl_row(adam, subject)["TRTSDT"]
    assert ovr["ADY"].tolist() == [float((d - trtsdt).days + 1) for d in ovr["ADT"]]  # day 1 = infusion
    assert ovr["ANL01FL"].eq("Y").all()


def test_102_008_confirmed_pr_then_confirmed_cr_censored(adam):
    # inf.csv: 25-Mar-2025 (TRTSDT); ld.csv first LDDAT 20-Mar-2025 (PRETSDT); no dd/nact rows; ds 04-Apr-2026 Completed
    # rsp.csv RECIST 1.1: 08-May-2025 PR (day 44), 14-Jun-2025 PR (81), 12-Jul-2025 'partial response' (109),
    #   30-Jul-2025 PR (127), 21-Sep-2025 CR (180), 27-Dec-2025 CR (277), 25-Mar-2026 CR (365)
    # rsp.csv mRECIST: the same OVRLRESP (30-Jul-2025 target CR + non-target NON-CR/NON-PD = PR)
    a = adsl_row(adam, "102-008")
    assert (a["TRTSDT"], a["PRETSDT"]) == (pd.Timestamp("2025-03-25"), pd.Timestamp("2025-03-20"))
    assert pd.isna(a["DTHDT"]) and a["LSTALVDT"] == pd.Timestamp("2026-04-04")
    for crit, p in (("RECIST 1.1", ""), ("mRECIST", "M")):
        resp = [c for _, c in raw_ovr("102-008", crit)]
        assert resp == ["PR", "PR", "PR", "PR", "CR", "CR", "CR"]
        # BOR by hand: the best response is CR; its first date is the 5th assessment
        assert min(resp, key=["CR", "PR", "SD", "PD", "NE"].index) == "CR"
        # CBOR by hand: CR 21-Sep-2025 -> next non-NE assessment CR 27-Dec-2025, 97 days later (>= 28), only CR
        # between -> confirmed CR. First confirmed response: PR 08-May-2025 confirmed by PR 14-Jun-2025 (37 days).
        r = adrs_of(adam, "102-008", crit)
        assert (param(r, p + "BOR")["AVALC"], ymd(param(r, p + "BOR")["ADT"])) == ("CR", "2025-09-21")
        assert (param(r, p + "CBOR")["AVALC"], ymd(param(r, p + "CBOR")["ADT"])) == ("CR", "2025-09-21")
        assert (param(r, p + "CRSP")["AVALC"], ymd(param(r, p + "CRSP")["ADT"])) == ("Y", "2025-05-08")
        assert param(r, p + "PD")["AVALC"] == "N" and param(r, p + "DEATH")["AVALC"] == "N"
        # PFS: no PD, no death -> censored at the last adequate assessment 25-Mar-2026: 365 + 1 days
        t = tte(adam, "102-008", p + "PFS")
        assert (t["STARTDT"], t["ADT"]) == (pd.Timestamp("2025-03-25"), pd.Timestamp("2026-03-25"))
        assert (t["AVAL"], t["CNSR"], t["CNSDTDSC"]) == (366.0, 1.0, "LAST ADEQUATE TUMOR ASSESSMENT")
        assert t["AVAL"] == (t["ADT"] - t["STARTDT"]).days + 1
    # OS: PRETSDT 20-Mar-2025 to last known alive 04-Apr-2026 (ds.csv DSDAT): 380 days elapsed + 1
    t = tte(adam, "102-008", "OS")
    assert (t["AVAL"], t["CNSR"], t["CNSDTDSC"]) == (381.0, 1.0, "LAST KNOWN ALIVE DATE")


def test_101_004_confirmed_pr_then_pd_and_death(adam):
    # inf.csv 09-May-2024; ld.csv first 04-May-2024; dd.csv 03-Dec-2024 (ds.csv Death same date); nact 25-Sep-2024
    # rsp.csv (both criteria): 24-Jun-2024 PR (day 46), 30-Jul-2024 PR/'Partial Response' (82), 12-Sep-2024 PD (126)
    a = adsl_row(adam, "101-004")
    assert a["DTHDT"] == rawdate(raw("dd", "101-004")["DTHDAT"][0]) == pd.Timestamp("2024-12-03")
    assert (a["DTHFL"], a["EOSSTT"], a["DCSREAS"]) == ("Y", "DISCONTINUED", "DEATH")
    for crit, p in (("RECIST 1.1", ""), ("mRECIST", "M")):
        assert raw_ovr("101-004", crit) == [("2024-06-24", "PR"), ("2024-07-30", "PR"), ("2024-09-12", "PD")]
        # BOR: best of PR, PR, PD = PR (first on 24-Jun). CBOR: PR 24-Jun confirmed by PR 30-Jul, 36 days later
        # (>= 28, nothing between) -> PR. PD on 12-Sep-2024.
        (d1, r1), (d2, r2), _ = raw_ovr("101-004", crit)
        assert r1 == r2 == "PR" and (pd.Timestamp(d2) - pd.Timestamp(d1)).days == 36 >= 28
        r = adrs_of(adam, "101-004", crit)
        assert (param(r, p + "BOR")["AVALC"], ymd(param(r, p + "BOR")["ADT"])) == ("PR", "2024-06-24")
        assert (param(r, p + "CBOR")["AVALC"], param(r, p + "CBOR")["AVAL"]) == ("PR", 2.0)
        assert (param(r, p + "PD")["AVALC"], ymd(param(r, p + "PD")["ADT"])) == ("Y", "2024-09-12")
        assert param(r, p + "DEATH")["AVALC"] == "Y" and param(r, p + "LSTA")["AVALC"] == "PD"
        # PFS: PD on day 126 -> AVAL 127, event. The new therapy (25-Sep) starts after the PD: no censoring. Planned
        # visits strictly between last adequate day 82 + 7 and 126 - 7: none -> not missed.
        t = tte(adam, "101-004", p + "PFS")
        assert (ymd(t["ADT"]), t["AVAL"], t["CNSR"], t["EVNTDESC"]) == ("2024-09-12", 127.0, 0.0, "DISEASE PROGRESSION")
        assert pd.isna(t["CNSDTDSC"])
        # DoR: first confirmed response 24-Jun-2024 to PD 12-Sep-2024: 80 days + 1
        t = tte(adam, "101-004", p + "RSD")
        assert (ymd(t["STARTDT"]), t["AVAL"], t["CNSR"]) == ("2024-06-24", 81.0, 0.0)
    # OS: 04-May-2024 (PRETSDT) to death 03-Dec-2024: 213 days + 1
    t = tte(adam, "101-004", "OS")
    assert (ymd(t["STARTDT"]), t["AVAL"], t["CNSR"], t["EVNTDESC"]) == ("2024-05-04", 214.0, 0.0, "DEATH")


def test_102_003_death_without_progression_criteria_differ(adam):
    # inf.csv 21-May-2024; ld.csv first 16-May-2024; dd.csv 02-Oct-2024 (day 134); no nact
    # rsp.csv RECIST 1.1: 09-Jul-2024 SD (day 49), 12-Aug-2024 SD (83), 18-Sep-2024 SD (120)
    # rsp.csv mRECIST:    09-Jul-2024 PR,           12-Aug-2024 PR,      18-Sep-2024 PR
    assert [c for _, c in raw_ovr("102-003", "RECIST 1.1")] == ["SD", "SD", "SD"]
    assert [c for _, c in raw_ovr("102-003", "mRECIST")] == ["PR", "PR", "PR"]
    r = adrs_of(adam, "102-003")
    # RECIST: SD on day 49 >= 35 counts -> BOR = CBOR = SD (first on 09-Jul); no CR/PR -> CRSP N
    assert (param(r, "BOR")["AVALC"], ymd(param(r, "BOR")["ADT"])) == ("SD", "2024-07-09")
    assert (param(r, "CBOR")["AVALC"], param(r, "CRSP")["AVALC"], param(r, "CCB")["AVALC"]) == ("SD", "N", "Y")
    # mRECIST: PR 09-Jul confirmed by PR 12-Aug, 34 days later (>= 28) -> MCBOR PR
    (d1, _), (d2, _), _ = raw_ovr("102-003", "mRECIST")
    assert (pd.Timestamp(d2) - pd.Timestamp(d1)).days == 34
    m = adrs_of(adam, "102-003", "mRECIST")
    assert (param(m, "MBOR")["AVALC"], param(m, "MCBOR")["AVALC"], ymd(param(m, "MCRSP")["ADT"])) == (
        "PR",
        "PR",
        "2024-07-09",
    )
    assert param(r, "PD")["AVALC"] == "N" and param(m, "MPD")["AVALC"] == "N"
    assert (param(r, "DEATH")["PARAM"], param(m, "MDEATH")["PARAM"]) == ("Death, RECIST 1.1", "Death, mRECIST")
    # PFS (both criteria): death 02-Oct-2024 = day 134, last adequate day 120: no planned visit strictly between
    # 120 + 7 and 134 - 7 -> event, AVAL 135
    for code in ("PFS", "MPFS"):
        t = tte(adam, "102-003", code)
        assert (ymd(t["ADT"]), t["AVAL"], t["CNSR"], t["EVNTDESC"]) == ("2024-10-02", 135.0, 0.0, "DEATH")
    # OS: 16-May-2024 to 02-Oct-2024: 139 days + 1
    assert tte(adam, "102-003", "OS")["AVAL"] == 140.0


def test_201_009_early_pd_and_partial_death_date(adam):
    # inf.csv 08-Sep-2025; ld.csv first 03-Sep-2025; dd.csv DTHDAT UN-Oct-2025 (partial) and ds.csv Death
    # 31-Oct-2025 -> DTHDT = the complete DS date inside that month, not imputed
    # rsp.csv (both criteria): 25-Oct-2025 PD (day 47)
    a = adsl_row(adam, "201-009")
    assert raw("dd", "201-009")["DTHDAT"][0] == "UN-Oct-2025"
    assert ymd(a["DTHDT"]) == "2025-10-31" and pd.isna(a["DTHDTF"])
    r = adrs_of(adam, "201-009")
    assert (param(r, "BOR")["AVALC"], param(r, "CBOR")["AVALC"], ymd(param(r, "PD")["ADT"])) == (
        "PD",
        "PD",
        "2025-10-25",
    )
    # PFS: PD on day 47, no adequate assessment before it; planned day 42 +/- 7 is not strictly inside (0 + 7, 47 - 7)
    # -> event, AVAL 48
    t = tte(adam, "201-009", "PFS")
    assert (t["AVAL"], t["CNSR"], t["EVNTDESC"]) == (48.0, 0.0, "DISEASE PROGRESSION")
    # OS: 03-Sep-2025 to 31-Oct-2025: 58 days + 1
    t = tte(adam, "201-009", "OS")
    assert (t["AVAL"], t["CNSR"]) == (59.0, 0.0)
