"""`cdisckit check` on the CDISC pilot's original cp1252 XPT files (tests/data/cdiscpilot01/pilot-sdtm).

Every error is one the standard supports, worked out by hand from the files and matching what CDISC CORE
0.17.1 reports on the full pilot (docs/checks.md, table (c)): 52 screen failures carry ARM "Screen Failure"
(SDTMIG 3.4 leaves ARM null with ARMNRS; CG0570, and so CG0512-CG0518, CG0529), TS AGEMIN/AGEMAX are not ISO 8601
durations (CG0270), 3 TSVAL hold U+2019 (cp1252 0x92), not ASCII, and 6 subjects' RFXENDTC is not their last
exposure date in EX (CG0147; CORE-000238 accepts RFXENDTC equal to the latest EXENDTC alone, and a blank RFXENDTC
when no EXENDTC is filled). SC's "09"/"08" SCSTRESC with SCSTRESN 9/8, which CORE-000732 reports, are numbers.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cdisckit.checks import run_checks
from cdisckit.cli import main
from cdisckit.io import read_folder

SLICE = Path(__file__).resolve().parents[1] / "data" / "cdiscpilot01" / "pilot-sdtm"

EXPECTED_ERRORS = {
    ("DM-ARM-NULL-REASON", "DM", "ARM", 52),
    ("DM-ARM-NOT-IN-TA", "DM", "ARM", 52),
    ("DM-ARMCD-NOT-IN-TA", "DM", "ARMCD", 52),
    ("DM-ACTARM-NOT-IN-TA", "DM", "ACTARM", 52),
    ("DM-ACTARMCD-NOT-IN-TA", "DM", "ACTARMCD", 52),
    ("DM-RFENDTC-MISSING", "DM", "RFENDTC", 52),
    ("TS-AGE-DURATION", "TS", "TSVAL", 2),
    ("XPT-ASCII", "TS", "TSVAL", 3),
    ("RFX-EX", "DM", "RFXENDTC", 6),
    ("EX-OUTSIDE-RFX", "EX", "EXSTDTC", 4),
}
# DM RFXENDTC vs the latest EXSTDTC/EXENDTC, read off ex.xpt and dm.xpt: in 4 subjects the last record (WEEK 2) has
# an EXSTDTC the day after RFXENDTC (= the first record's EXENDTC) and no EXENDTC; 2 subjects have one record,
# EXSTDTC only, and RFXENDTC blank
RFXENDTC_EX_LAST = {
    "01-704-1233": ("2013-04-04", "2013-04-05"),
    "01-705-1018": (None, "2013-07-05"),
    "01-705-1031": ("2013-12-18", "2013-12-19"),
    "01-705-1303": ("2013-12-30", "2013-12-31"),
    "01-705-1377": ("2014-01-25", "2014-01-26"),
    "01-705-1382": (None, "2013-05-13"),
}


def test_pilot_slice_errors_are_the_ones_the_standard_supports():
    report = run_checks(read_folder(SLICE, encoding="cp1252"), standard="sdtmig-3.4")
    errors = {(f.rule_id, f.dataset, f.variable, f.n_rows) for f in report.findings if f.severity == "error"}
    assert errors == EXPECTED_ERRORS
    found = {(f.rule_id, f.dataset, f.variable): f for f in report.findings}
    # ARM "Screen Failure" for 52 of 306 subjects
    arm = found[("DM-ARM-NULL-REASON", "DM", "ARM")]
    assert {e["ARM"] for e in arm.examples} == {"Screen Failure"}
    # the pilot's TS has no INTMODEL / INTTYPE / PCLAS: a warning (FB1111 "should"), not an error
    ts = found[("TS-PARAMS-FDA", "TS", "TSPARMCD")]
    assert ts.severity == "warning" and "INTMODEL" in ts.message
    (asc,) = [f for f in report.findings if f.rule_id == "XPT-ASCII"]
    assert all("Alzheimer\u2019s" in e["TSVAL"] for e in asc.examples)
    rfx = found[("RFX-EX", "DM", "RFXENDTC")]
    assert {e["USUBJID"]: (e["RFXENDTC"], e["EX last"]) for e in rfx.examples} == RFXENDTC_EX_LAST
    outside = found[("EX-OUTSIDE-RFX", "EX", "EXSTDTC")]
    assert {e["USUBJID"] for e in outside.examples} == {s for s, (end, _) in RFXENDTC_EX_LAST.items() if end}
    assert all(e["EXSEQ"] == 2 for e in outside.examples)
    # SCSTRESC "09" / "08" with SCSTRESN 9 / 8 (CORE-000732's 3 records): numbers, so no STRESN-STRESC finding
    sc = read_folder(SLICE, encoding="cp1252")["SC"]
    zeros = sc[sc["SCSTRESC"].str.startswith("0", na=False)]
    assert sorted(zip(zeros["SCSTRESC"], zeros["SCSTRESN"])) == [("08", 8.0), ("08", 8.0), ("09", 9.0)]
    assert not [f for f in report.findings if f.rule_id == "STRESN-STRESC"]


def test_check_cli_reads_cp1252_and_exits_1_on_errors(tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", "--encoding", "cp1252", "--json", str(out), str(SLICE)])
    assert result.exit_code == 1, result.output
    assert "10 error(s)" in result.output
