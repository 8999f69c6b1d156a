"""ADTR on the bundled study: baseline sums from the screening lesion measurements, later sums as recorded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisckit.io import read_dataset

RAW = Path(__file__).resolve().parents[2] / "examples" / "c-car031" / "raw"


def test_baseline_and_percent_change_by_hand(bundled_run):
    out, _ = bundled_run
    adtr = read_dataset(out / "adam" / "adtr.xpt")
    u = "C-CAR031-101-001"
    # raw tl.csv, SCREENING 08-FEB-2024: T01 Liver LDIAM 50 VDIAM 42; T02 Lung LDIAM 20 (no viable diameter)
    tl = pd.read_csv(RAW / "tl.csv", dtype=str, keep_default_na=False)
    scr = tl[(tl["SUBJECT"] == "101-001") & (tl["FOLDER"] == "SCREENING")]
    assert scr[["LESID", "LDIAM", "VDIAM"]].values.tolist() == [["T01", "50", "42"], ["T02", "20", ""]]
    # raw rsp.csv WEEK 6: RECIST 1.1 SUMD 72, mRECIST SUMD 52
    rsp = pd.read_csv(RAW / "rsp.csv", dtype=str, keep_default_na=False)
    w6 = rsp[(rsp["SUBJECT"] == "101-001") & (rsp["FOLDER"] == "WEEK 6")].set_index("CRIT")["SUMD"]
    assert w6.to_dict() == {"RECIST 1.1": "72", "mRECIST": "52"}
    s = adtr[adtr["USUBJID"] == u].set_index(["PARAMCD", "AVISIT"])
    assert s.loc[("SUMDIAM", "BASELINE"), "AVAL"] == 70 and s.loc[("SUMDIAM", "BASELINE"), "ABLFL"] == "Y"
    assert s.loc[("MSUMDIAM", "BASELINE"), "AVAL"] == 42 + 20  # mRECIST: viable diameter, else longest
    assert s.loc[("SUMDIAM", "WEEK 6"), "PCHG"] == (72 - 70) / 70 * 100
    assert s.loc[("MSUMDIAM", "WEEK 6"), "PCHG"] == (52 - 62) / 62 * 100
    # every infused subject with a screening target lesion has a baseline for both criteria
    adsl = read_dataset(out / "adam" / "adsl.xpt")
    infused = set(adsl.loc[adsl["TRTSDT"].notna(), "SUBJID"])
    with_targets = set(tl.loc[tl["FOLDER"] == "SCREENING", "SUBJECT"]) & infused
    assert len(with_targets) >= 30
    assert (adtr["ABLFL"] == "Y").sum() == 2 * len(with_targets)
