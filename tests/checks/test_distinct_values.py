"""Rules evaluated on distinct values (checkspeed): the rows, values and examples worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.checks import run_checks
from cdisckit.dates import _iso_digits_of_str, _iso_digits_parsed, iso_digits_by_value

DTC = ["2024-03-05T10:07", None, "2024-13", "2024---05", "2024-03-05T10:07", "2024-02-30", "2024-03-05T24:00", "2024"]


def test_iso_digits_by_value_by_hand_and_as_the_regex_parser():
    valid, full, ndig = iso_digits_by_value(pd.Series(DTC, dtype=object))
    assert valid.tolist() == [True, False, False, True, True, True, False, True]  # no calendar check: 02-30 valid
    assert full.tolist() == [
        20240305100700,
        0,
        20241300000000,  # month 13: digits kept (RFX-EX sorts on them), not valid
        20240000000000,  # 2024---05: only the year leads
        20240305100700,
        20240230000000,
        20240305240000,
        20240000000000,
    ]
    assert ndig.tolist() == [12, 0, 6, 4, 12, 8, 12, 4]
    for got, want in zip((valid, full, ndig), _iso_digits_parsed(pd.Series(DTC, dtype=object))):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_iso_digits_of_odd_strings_go_through_the_regex_parser():
    odd = [
        "2024-03-05T10:07:09.5",
        "-----T10:05",
        "2024-3-05",
        " 2024",
        "2024-03-05\n",
        "２０２４",
        "2024-03-05T10:07Z",
    ]
    values = np.array(odd, dtype=object)
    for got, want in zip(_iso_digits_of_str(values), _iso_digits_parsed(pd.Series(values))):
        assert np.array_equal(got, want)


def _dm():
    return pd.DataFrame(
        {"STUDYID": "S", "DOMAIN": "DM", "USUBJID": ["S-1", "S-2"], "RFSTDTC": ["2024-03-10", "2024-03"]}, dtype=object
    )


def test_study_day_values_per_distinct_date():
    ae = pd.DataFrame(
        {
            "STUDYID": "S",
            "DOMAIN": "AE",
            "USUBJID": ["S-1", "S-1", "S-1", "S-1", "S-2", "S-3"],
            "AESEQ": [1.0, 2.0, 3.0, 4.0, 1.0, 1.0],
            "AESTDTC": ["2024-03-10", "2024-03-09", "2024-03", "2024-03-12T08:00", "2024-03-12", "2024-03-12"],
            "AESTDY": [1.0, -1.0, 5.0, 4.0, 9.0, 9.0],
        }
    )
    report = run_checks({"DM": _dm(), "AE": ae})
    (f,) = [f for f in report.findings if f.rule_id == "DY-CALC"]
    # day 1 is RFSTDTC, the day before is -1; a partial date, a partial RFSTDTC (S-2) and no DM record (S-3) give none
    assert f.rows == [3]
    assert [e["expected"] for e in f.examples] == [3.0] and [e["DM.RFSTDTC"] for e in f.examples] == ["2024-03-10"]


def test_supp_parent_idvarval_stripped_and_parent_numbers_formatted_once_per_value():
    ae = pd.DataFrame({"STUDYID": "S", "DOMAIN": "AE", "USUBJID": ["S-1", "S-1", "S-2"], "AESEQ": [1.0, 2.0, 1.0]})
    supp = pd.DataFrame(
        {
            "STUDYID": "S",
            "RDOMAIN": "AE",
            "USUBJID": ["S-1", "S-1", "S-1", "S-2", "S-2"],
            "IDVAR": "AESEQ",
            "IDVARVAL": [" 1", "2 ", "3", "1", "2"],
            "QNAM": "AEX",
            "QLABEL": "x",
            "QVAL": "y",
        }
    )
    report = run_checks({"DM": _dm(), "AE": ae, "SUPPAE": supp})
    (f,) = [f for f in report.findings if f.rule_id == "SUPP-PARENT"]
    assert f.rows == [2, 4] and "2 AESEQ value(s) not in AE" in f.message  # S-1 has no AESEQ 3, S-2 no AESEQ 2


def test_supp_parent_on_a_numeric_parent_variable_with_a_missing_value():
    # IDVAR may name any parent variable; VISITNUM is numeric and may be missing (formatted "nan", never matched)
    ae = pd.DataFrame(
        {"STUDYID": "S", "DOMAIN": "AE", "USUBJID": ["S-1", "S-1", "S-2"], "VISITNUM": [1.0, np.nan, 2.5]}
    )
    supp = pd.DataFrame(
        {
            "STUDYID": "S",
            "RDOMAIN": "AE",
            "USUBJID": ["S-1", "S-1", "S-2"],
            "IDVAR": "VISITNUM",
            "IDVARVAL": ["1", "2", "2.5"],
            "QNAM": "AEX",
            "QLABEL": "x",
            "QVAL": "y",
        }
    )
    report = run_checks({"DM": _dm(), "AE": ae, "SUPPAE": supp})
    (f,) = [f for f in report.findings if f.rule_id == "SUPP-PARENT"]
    assert f.rows == [1] and "1 VISITNUM value(s) not in AE" in f.message  # S-1 has no VISITNUM 2


def test_tr_tu_link_on_distinct_pairs():
    tu = pd.DataFrame({"STUDYID": "S", "DOMAIN": "TU", "USUBJID": ["S-1", "S-2"], "TULNKID": ["T01", "T01"]})
    tr = pd.DataFrame(
        {
            "STUDYID": "S",
            "DOMAIN": "TR",
            "USUBJID": ["S-1", "S-2", "S-1", "S-2", "S-1"],
            "TRLNKID": ["T01", "T02", None, "T01", "T02"],
        }
    )
    report = run_checks({"DM": _dm(), "TU": tu, "TR": tr})
    (f,) = [f for f in report.findings if f.rule_id == "TR-TU-LINK"]
    assert f.rows == [1, 4] and f.message.endswith("2 record(s) without a matching TU.TULNKID")
