"""CDISCPILOT01: our SDTM against the SDTM the pharmaverse publishes for the same raw export (nobody here wrote
either). Record by record (natural keys, as PROC COMPARE ID variables) and variable by variable; every value that
still differs is counted here and explained in docs/cdiscpilot01.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PILOT_REFERENCE

from cdisckit.compare import compare_datasets, read_datasets

KEYS = {
    "DM": ["USUBJID"],
    "AE": ["USUBJID", "AETERM", "AEDTC"],
    "EX": ["USUBJID", "EXSTDTC"],
    "DS": ["USUBJID", "DSTERM", "DSSTDTC"],
    "VS": ["USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM", "VSDTC"],
}
DOMAINS = ["DM", "AE", "EX", "DS", "VS", "SUPPAE"]

#: (dataset, variable) -> number of values that differ from the published SDTM; each is a known artefact of the
#: published data or a documented decision (docs/cdiscpilot01.md, "Remaining differences").
EXPECTED = {
    ("AE", "AELLTCD"): 1182,  # blank in the published AE; the raw carries the MedDRA LLT code
    ("AE", "AESOCCD"): 1182,  # blank in the published AE; the raw carries the SOC code
    ("AE", "AESEQ"): 229,  # the pilot numbered AEs by AESPID too, which the raw lacks
    ("AE", "AESTDTC"): 15,  # partial start dates (YYYY-MM) lost in the raw
    ("AE", "AESTDY"): 1,  # the published 366 where the dates give 1
    ("DM", "RFICDTC"): 254,  # blank in the published DM; the raw carries the consent date (IC_DT)
    ("DM", "RFPENDTC"): 67,  # the published value comes from domains with no raw form here (LB, QS, ...)
    ("DM", "RFXENDTC"): 6,  # the pilot ignored the start of an open last exposure record
    ("DM", "RFENDTC"): 1,  # the pilot took the death record's collection date
    ("DM", "ARMCD"): 52,  # screen failures: no arm (SDTMIG 3.4); the pilot wrote Scrnfail / Screen Failure
    ("DM", "ARM"): 52,
    ("DM", "ACTARMCD"): 52,
    ("DM", "ACTARM"): 52,
    ("DS", "DSSEQ"): 2,  # two events on one day in the other order
    ("SUPPAE", "QVAL"): 9,  # AETRTEM of the 15 AEs whose partial start date the raw lost
    ("VS", "VSSEQ"): 216,  # NOT DONE records numbered in the other order
    ("VS", "VSORRESU"): 1,  # a weight of 55.5 collected in kg: the raw form has no unit column (LB assumed)
    ("VS", "VSSTRESC"): 1,  # the same result
    ("VS", "VSSTRESN"): 1,
    ("VS", "VSBLFL"): 11,  # 2 subjects without a baseline visit: last value before dosing flagged
}
#: variables SDTM requires nothing of that stay below 98 % because of the published data (see EXPECTED)
BELOW_98 = {("AE", "AELLTCD"), ("AE", "AESOCCD"), ("AE", "AESEQ"), ("DM", "RFICDTC"), ("DM", "RFPENDTC")}
BELOW_98 |= {("DM", v) for v in ("ARMCD", "ARM", "ACTARMCD", "ACTARM")}  # SDTMIG 3.4 screen failures


@pytest.fixture(scope="module")
def comparison(pilot_sdtm):
    return compare_datasets(pilot_sdtm.datasets, read_datasets(PILOT_REFERENCE), KEYS)


def test_every_domain_matches_at_least_99_percent_of_reference_records(comparison):
    ds = comparison.datasets.set_index("dataset")
    for name in DOMAINS:
        assert ds.loc[name, "pct_matched"] >= 99.0, (name, ds.loc[name].to_dict())
    assert ds.loc["DM", "matched"] == 306 and ds.loc["AE", "matched"] == 1191 and ds.loc["EX", "matched"] == 591
    assert ds.loc["DS", "matched"] == 850 and ds.loc["VS", "matched"] == 29643
    # 5 blood-pressure/pulse cells blank in the raw that the published VS has no record for (NOT DONE here)
    assert ds.loc["VS", "only_ours"] == 5


def test_every_shared_variable_is_at_least_98_percent_equal_or_explained(comparison):
    v = comparison.variables
    low = {(r.dataset, r.variable) for r in v.itertuples() if r.pct_equal < 98.0}
    assert low == BELOW_98
    assert len(v) > 90  # DM, AE, EX, DS, VS and SUPP variables were compared


def test_remaining_differences_are_exactly_the_documented_ones(comparison):
    got = comparison.differences.groupby(["dataset", "variable"]).size().to_dict()
    assert got == EXPECTED


def test_documentation_lists_every_remaining_difference():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cdiscpilot01.md").read_text()
    for ds, var in EXPECTED:
        assert f"{ds}.{var}" in doc, f"docs/cdiscpilot01.md does not explain {ds}.{var}"


def test_supp_records_the_raw_cannot_give(comparison):
    """SUPPDM EFFICACY needs efficacy assessments and SUPPDS ENTCRIT the entry criterion number: not in the raw."""
    u = comparison.unmatched
    ref_only = u[(u.dataset == "SUPPDM") & (u.side == "ref")]["QNAM"].value_counts().to_dict()
    assert ref_only == {"EFFICACY": 234, "COMPLT24": 2, "COMPLT8": 1}
    ds = comparison.datasets.set_index("dataset")
    assert ds.loc["SUPPDM", "only_ours"] == 0 and ds.loc["SUPPDS", "ref_records"] == 3


def test_values_worked_out_by_hand(pilot_sdtm):
    """701-1015 as the raw form and the annotated CRF give it."""
    d = pilot_sdtm.datasets
    dm = d["DM"].set_index("USUBJID").loc["01-701-1015"]
    assert (dm["SUBJID"], dm["SITEID"], dm["RFSTDTC"], dm["RFICDTC"], dm["DMDY"]) == (
        "1015",
        "701",
        "2014-01-02",
        "2013-12-26",  # IC_DT 12/26/2013
        -7.0,  # DMDTC 2013-12-26, 7 days before the first dose, no day 0
    )
    vs = d["VS"]
    w = vs[(vs.USUBJID == "01-701-1015") & (vs.VSTESTCD == "WEIGHT") & (vs.VISITNUM == 1.0)].iloc[0]
    # 119.0 LB x 0.4536 = 53.978 -> 53.98 kg
    assert (w["VSORRES"], w["VSORRESU"], w["VSSTRESC"], w["VSSTRESN"], w["VSSTRESU"]) == (
        "119.0",
        "LB",
        "53.98",
        53.98,
        "kg",
    )
    ex = d["EX"]
    first = ex[ex.USUBJID == "01-701-1015"].iloc[0]
    assert (first["VISITNUM"], first["VISIT"], first["EXDOSE"], first["EXDOSU"], first["EXENDY"]) == (
        3.0,
        "BASELINE",
        0.0,
        "mg",
        15.0,
    )
