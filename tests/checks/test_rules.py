"""Each rule: a dataset that breaks it (exact rule id, dataset, variable, rows) and the clean study that does not.

The same defective studies run through both engines (native and great-expectations) and must give
identical findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisckit.checks import RULES, run_checks
from cdisckit.errors import CdiscKitError

from .conftest import sdtm

N = np.nan


def _set(ds, col, row, value):
    def mutate(st):
        df = st[ds]
        if pd.api.types.is_numeric_dtype(df[col]) and not isinstance(value, (int, float)) or value is None:
            df[col] = df[col].astype(object)
        df.loc[row, col] = value

    return mutate


def _drop(ds, col):
    def mutate(st):
        st[ds] = st[ds].drop(columns=[col])

    return mutate


def _add(ds, col, value):
    def mutate(st):
        st[ds][col] = value

    return mutate


def _all(*fs):
    def mutate(st):
        for f in fs:
            f(st)

    return mutate


def _swap(ds, a, b):
    def mutate(st):
        cols = list(st[ds].columns)
        i, j = cols.index(a), cols.index(b)
        cols[i], cols[j] = cols[j], cols[i]
        st[ds] = st[ds][cols]

    return mutate


def _attrs(ds, **attrs):
    def mutate(st):
        st[ds].attrs.update(attrs)

    return mutate


def _dup_row(ds, row):
    def mutate(st):
        st[ds] = pd.concat([st[ds], st[ds].iloc[[row]]], ignore_index=True)

    return mutate


def _dup_row_with(ds, row, **values):
    def mutate(st):
        extra = st[ds].iloc[[row]].copy()
        for col, value in values.items():
            extra[col] = value
        st[ds] = pd.concat([st[ds], extra], ignore_index=True)

    return mutate


def _dataset(name, **data):
    def mutate(st):
        st[name] = sdtm(name, **data)

    return mutate


TA_ROWS = {"ARMCD": ["A"], "ARM": ["Drug A"], "TAETORD": [1.0], "ETCD": ["TRT"], "ELEMENT": ["Drug A"]}
DS_DEATH = _dataset(
    "DS",
    USUBJID=["S1-001"],
    DSSEQ=[1.0],
    DSTERM=["DEATH"],
    DSDECOD=["DEATH"],
    DSCAT=["DISPOSITION EVENT"],
    DSSTDTC=["2024-06-30"],
)
SUPPAE = _dataset(
    "SUPPAE",
    USUBJID=["S1-001", "S1-002"],
    RDOMAIN=["AE", "AE"],
    IDVAR=["AESEQ", "AESEQ"],
    IDVARVAL=["2", "5"],  # S1-001 has AESEQ 2; S1-002 has only AESEQ 1
    QNAM=["AETRTEM", "AETRTEM"],
    QLABEL=["Treatment Emergent Flag"] * 2,
    QVAL=["Y", "Y"],
    QORIG=["Derived"] * 2,
)


def _rename(old, new):
    def mutate(st):
        st[new] = st.pop(old)

    return mutate


# (case id, mutation, rule id, expected [(dataset, variable, rows)])
CASES = [
    ("req-missing", _drop("AE", "AETERM"), "REQ-VAR-MISSING", [("AE", "AETERM", [])]),
    ("req-null", _set("AE", "AEDECOD", 1, None), "REQ-VAR-NULL", [("AE", "AEDECOD", [1])]),
    ("exp-missing", _drop("AE", "AESER"), "EXP-VAR-MISSING", [("AE", "AESER", [])]),
    ("not-in-standard", _add("AE", "AEFOO", "x"), "VAR-NOT-IN-STANDARD", [("AE", "AEFOO", [])]),
    ("type-values", _add("DM", "AGE", ["55", "61"]), "VAR-TYPE", [("DM", "AGE", [0, 1])]),
    ("type-dtype", _add("AE", "AETERM", [1.0, 2.0, 3.0]), "VAR-TYPE", [("AE", "AETERM", [])]),
    ("order", _swap("DM", "SEX", "AGE"), "VAR-ORDER", [("DM", None, [])]),
    ("dataset-label", _attrs("DM", label="Demography"), "DATASET-LABEL", [("DM", None, [])]),
    ("var-label", _attrs("DM", column_labels={"SEX": "Gender", "AGE": "Age"}), "VAR-LABEL", [("DM", "SEX", [])]),
    ("ct-nonext", _set("DM", "SEX", 1, "MALE"), "CT-NONEXT", [("DM", "SEX", [1])]),
    ("ct-ext", _set("TU", "TULOC", 2, "LIVER LOBE X"), "CT-EXT", [("TU", "TULOC", [2])]),
    (
        "ct-ext-result",
        _all(_set("TR", "TRSTRESN", 0, float("nan")), _set("TR", "TRSTRESC", 0, "BIG")),
        "CT-EXT",
        [("TR", "TRSTRESC", [0])],
    ),
    (
        "iso8601",
        _all(_set("AE", "AESTDTC", 1, "2024/03/01"), _set("EX", "EXENDTC", 0, "2024-03-01T25:00")),
        "DTC-ISO8601",
        [("AE", "AESTDTC", [1]), ("EX", "EXENDTC", [0])],
    ),
    ("dy", _all(_set("AE", "AESTDY", 0, 0.0), _set("AE", "AESTDY", 1, 2.5)), "DY-INVALID", [("AE", "AESTDY", [0, 1])]),
    ("seq", _set("AE", "AESEQ", 1, 1.0), "SEQ-UNIQUE", [("AE", "AESEQ", [0, 1])]),
    (
        "keys",
        _all(_set("AE", "AEDECOD", 1, "HEADACHE"), _set("AE", "AESTDTC", 1, "2024-02")),
        "KEYS-UNIQUE",
        [("AE", None, [0, 1])],
    ),
    ("date-order", _set("AE", "AEENDTC", 0, "2024-01-31"), "DATE-ORDER", [("AE", "AESTDTC", [0])]),
    ("domain", _set("AE", "DOMAIN", 2, "AX"), "DOMAIN-VALUE", [("AE", "DOMAIN", [2])]),
    ("testcd-length", _set("TR", "TRTESTCD", 0, "LONGDIAMETER"), "TESTCD-LENGTH", [("TR", "TRTESTCD", [0])]),
    ("testcd-chars", _set("TU", "TUTESTCD", 1, "1TUM"), "TESTCD-CHARS", [("TU", "TUTESTCD", [1])]),
    ("test-length", _set("RS", "RSTEST", 0, "x" * 41), "TEST-LENGTH", [("RS", "RSTEST", [0])]),
    ("usubjid-dm", _set("AE", "USUBJID", 2, "S1-999"), "USUBJID-NOT-IN-DM", [("AE", "USUBJID", [2])]),
    ("usubjid-adsl", _set("ADTTE", "USUBJID", 2, "S1-999"), "USUBJID-NOT-IN-ADSL", [("ADTTE", "USUBJID", [2])]),
    ("tr-tu", _set("TR", "TRLNKID", 2, "NT01"), "TR-TU-LINK", [("TR", "TRLNKID", [2])]),
    ("rs-tr", _set("RS", "RSLNKGRP", 2, "B1"), "RS-TR-LINK", [("RS", "RSLNKGRP", [2])]),
    (
        "ex-rfx",
        _all(_set("EX", "EXSTDTC", 0, "2024-01-09"), _set("EX", "EXENDTC", 2, "2024-06")),
        "EX-OUTSIDE-RFX",
        [("EX", "EXENDTC", [2]), ("EX", "EXSTDTC", [0])],
    ),
    ("value-list", _add("ADSL", "ENRLFL", ["Y", "X"]), "VALUE-LIST", [("ADSL", "ENRLFL", [1])]),
    ("adsl-one-row", _dup_row("ADSL", 1), "ADSL-ONE-ROW", [("ADSL", "USUBJID", [1, 2])]),
    ("paramcd-param", _set("ADTTE", "PARAM", 2, "PFS (investigator)"), "PARAMCD-PARAM", [("ADTTE", "PARAMCD", [0, 2])]),
    ("cnsr-evntdesc", _set("ADTTE", "EVNTDESC", 0, None), "CNSR-EVNTDESC", [("ADTTE", "EVNTDESC", [0])]),
    ("cnsr-cnsdtdsc", _set("ADTTE", "CNSDTDSC", 1, None), "CNSR-CNSDTDSC", [("ADTTE", "CNSDTDSC", [1])]),
    ("xpt-dataset-name", _rename("TU", "TUMOURS_X"), "XPT-DATASET-NAME", [("TUMOURS_X", None, [])]),
    ("no-spec", _rename("TU", "ZZ"), "DATASET-NO-SPEC", [("ZZ", None, [])]),
    ("xpt-var-name", _add("AE", "aeLongName", "x"), "XPT-VAR-NAME", [("AE", "aeLongName", [])]),
    ("xpt-label", _attrs("DM", column_labels={"SEX": "S" * 41}), "XPT-LABEL-LENGTH", [("DM", "SEX", [])]),
    ("xpt-bytes", _set("AE", "AETERM", 0, "é" * 101), "XPT-CHAR-BYTES", [("AE", "AETERM", [0])]),
    ("xpt-ascii", _set("AE", "AETERM", 1, "Céphalée"), "XPT-ASCII", [("AE", "AETERM", [1])]),
    # ---- study days (RFSTDTC 2024-01-10: 2024-03-01 is day 52, not 51)
    ("dy-calc", _set("AE", "AESTDY", 1, 51.0), "DY-CALC", [("AE", "AESTDY", [1])]),
    ("dy-var-missing", _drop("RS", "RSDY"), "DY-VAR-MISSING", [("RS", "RSDY", [])]),
    ("leading-space", _set("AE", "AETERM", 0, " Headache"), "LEADING-SPACE", [("AE", "AETERM", [0])]),
    # ---- within a record
    ("bdsycd", _set("AE", "AEBDSYCD", 1, float("nan")), "BDSYCD-MISSING", [("AE", "AEBDSYCD", [1])]),
    ("bodsys-soc", _set("AE", "AESOC", 2, "Cardiac disorders"), "BODSYS-SOC", [("AE", "AEBODSYS", [2])]),
    ("aeser-criteria", _set("AE", "AESHOSP", 0, "Y"), "AESER-CRITERIA", [("AE", "AESER", [0])]),
    (
        "aeser-criteria-null",
        _set("AE", "AESER", 2, None),
        "AESER-CRITERIA-NULL",
        [("AE", "AESER", [2])],
    ),
    ("aeser-no-criteria", _set("AE", "AESHOSP", 2, "N"), "AESER-NO-CRITERIA", [("AE", "AESER", [2])]),
    (
        "aeout-end",
        _add("AE", "AEOUT", ["RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED", "NOT RECOVERED/NOT RESOLVED"]),
        "AEOUT-NOT-RECOVERED-END",
        [("AE", "AEENDTC", [1])],  # row 2 has no end date
    ),
    ("dosu", _set("EX", "EXDOSU", 1, None), "DOSU-MISSING", [("EX", "EXDOSU", [1])]),
    ("epoch", _set("AE", "EPOCH", 0, None), "EPOCH-MISSING", [("AE", "EPOCH", [0])]),
    ("epoch-var", _drop("TU", "EPOCH"), "EPOCH-VAR-MISSING", [("TU", "EPOCH", [])]),
    # ---- Findings: one baseline / last-before-exposure record per test (S1-001 lesion T01 at visits 1 and 2)
    ("lobxfl-unique", _set("TR", "TRLOBXFL", 1, "Y"), "LOBXFL-UNIQUE", [("TR", "TRLOBXFL", [0, 1])]),
    ("blfl-unique", _add("TR", "TRBLFL", ["Y", "Y", None]), "BLFL-UNIQUE", [("TR", "TRBLFL", [0, 1])]),
    # ---- deaths: DM.DTHFL = Y needs a fatal AE; a fatal AE ends on DM.DTHDTC
    (
        "dthfl-fatal-ae",
        _all(_set("DM", "DTHFL", 0, "Y"), _set("DM", "DTHDTC", 0, "2024-06-29"), _add("AE", "AESDTH", ["N"] * 3)),
        "DTHFL-FATAL-AE",
        [("DM", "DTHFL", [0])],
    ),
    (
        "ae-fatal-dthdtc",
        _all(
            _set("DM", "DTHDTC", 0, "2024-03-05"),
            _add("AE", "AEOUT", ["RECOVERED/RESOLVED", "FATAL", "NOT RECOVERED/NOT RESOLVED"]),
        ),
        "AE-FATAL-DTHDTC",
        [("AE", "AEENDTC", [1])],  # AEENDTC 2024-03-02, DTHDTC 2024-03-05
    ),
    # ---- DM
    ("rfendtc-missing", _set("DM", "RFENDTC", 1, None), "DM-RFENDTC-MISSING", [("DM", "RFENDTC", [1])]),
    ("rfendtc-armnrs", _set("DM", "ARMNRS", 0, "SCREEN FAILURE"), "DM-RFENDTC-ARMNRS", [("DM", "RFENDTC", [0])]),
    ("arm-null-reason", _set("DM", "ARM", 1, "Screen Failure"), "DM-ARM-NULL-REASON", [("DM", "ARM", [1])]),
    ("armcd-actarmcd", _set("DM", "ACTARMCD", 1, "B"), "DM-ARMCD-ACTARMCD", [("DM", "ACTARMCD", [1])]),
    ("arm-actarm", _set("DM", "ACTARM", 0, "Drug B"), "DM-ARM-ACTARM", [("DM", "ACTARM", [0])]),
    ("armcd-ta", _dataset("TA", **{**TA_ROWS, "ARMCD": ["B"]}), "DM-ARMCD-NOT-IN-TA", [("DM", "ARMCD", [0, 1])]),
    ("arm-ta", _dataset("TA", **{**TA_ROWS, "ARM": ["Drug B"]}), "DM-ARM-NOT-IN-TA", [("DM", "ARM", [0, 1])]),
    (
        "actarmcd-ta",
        _all(_dataset("TA", **TA_ROWS), _set("DM", "ACTARMCD", 1, "C")),
        "DM-ACTARMCD-NOT-IN-TA",
        [("DM", "ACTARMCD", [1])],
    ),
    (
        "actarm-ta",
        _all(_dataset("TA", **TA_ROWS), _set("DM", "ACTARM", 0, "Drug C")),
        "DM-ACTARM-NOT-IN-TA",
        [("DM", "ACTARM", [0])],
    ),
    ("death-before-dose", _set("DM", "DTHDTC", 0, "2024-01-05"), "DTHDTC-BEFORE-FIRST-DOSE", [("DM", "DTHDTC", [0])]),
    (
        "ds-death",
        _all(DS_DEATH, _set("DM", "DTHDTC", 0, "2024-06-29")),
        "DS-DEATH-DTHDTC",
        [("DS", "DSSTDTC", [0])],
    ),
    ("supp-parent", SUPPAE, "SUPP-PARENT", [("SUPPAE", "IDVARVAL", [1])]),
    (
        "suppdm-popflag",
        _dataset(
            "SUPPDM",
            USUBJID=["S1-001"],
            RDOMAIN=["DM"],
            QNAM=["SAFETY"],
            QLABEL=["Safety Population Flag"],
            QVAL=["Y"],
            QORIG=["Derived"],
        ),
        "SUPPDM-POPULATION-FLAG",
        [("SUPPDM", "QNAM", [0])],
    ),
    ("rfx-ex", _set("DM", "RFXSTDTC", 1, "2024-01-13"), "RFX-EX", [("DM", "RFXSTDTC", [1])]),
    # RFXENDTC 2024-05-01 is the last EXENDTC, but a later record starts 2024-05-02 (the pilot's case: CORE-000238
    # accepts RFXENDTC when it equals the latest EXENDTC alone)
    (
        "rfx-ex-later-start",
        _dup_row_with("EX", 1, EXSEQ=3.0, EXSTDTC="2024-05-02", EXENDTC=None, EXSTDY=114.0, EXENDY=N),
        "RFX-EX",
        [("DM", "RFXENDTC", [0])],
    ),
    # MH of S1-001 (RFSTDTC 2024-01-10): 2024 and 2023-12-31 may / do lie before it; 2024-01-10 is the same day,
    # 2024-02 is later; S1-002 (RFSTDTC 2024-01-12): 2024-01 may lie before it (the pilot's 2 CORE-000236 records)
    (
        "mh-after-rfstdtc",
        _dataset(
            "MH",
            USUBJID=["S1-001"] * 4 + ["S1-002"],
            MHSEQ=[1.0, 2.0, 3.0, 4.0, 1.0],
            MHTERM=["Asthma"] * 5,
            MHSTDTC=["2024", "2024-01-10", "2023-12-31", "2024-02", "2024-01"],
        ),
        "MH-START-ON-AFTER-RFSTDTC",
        [("MH", "MHSTDTC", [1, 3])],
    ),
    ("after-rfpendtc", _set("TR", "TRDTC", 1, "2024-07-05"), "DTC-AFTER-RFPENDTC", [("TR", "TRDTC", [1])]),
    (
        "ts-fda",
        _dataset("TS", TSSEQ=[1.0], TSPARMCD=["SSTDTC"], TSPARM=["Study Start Date"], TSVAL=["2024-01-02"]),
        "TS-PARAMS-FDA",
        [("TS", "TSPARMCD", [])],
    ),
    (
        "ts-age",
        _dataset(
            "TS",
            TSSEQ=[1.0, 1.0],
            TSPARMCD=["AGEMIN", "AGEMAX"],
            TSPARM=["Planned Minimum Age of Subjects", "Planned Maximum Age of Subjects"],
            TSVAL=["P18Y", "65 years"],
        ),
        "TS-AGE-DURATION",
        [("TS", "TSVAL", [1])],
    ),
    # ---- --STRESN is the number in --STRESC: "025" is 25 (leading zero, the pilot's SCSTRESC "09"); "<20" is no
    # number; 3.1 is not 31
    (
        "stresn-stresc",
        _all(_set("TR", "TRSTRESC", 0, "025"), _set("TR", "TRSTRESC", 1, "<20"), _set("TR", "TRSTRESN", 2, 3.1)),
        "STRESN-STRESC",
        [("TR", "TRSTRESN", [1, 2])],
    ),
    # ---- implausible values (a lesion of -20 mm or 20,000 mm)
    (
        "length-mm",
        _all(_set("TR", "TRSTRESN", 0, -20.0), _set("TR", "TRSTRESN", 2, 20000.0)),
        "LENGTH-IMPLAUSIBLE",
        [("TR", "TRSTRESN", [0, 2])],
    ),
    (
        "length-cm",
        _all(_set("TR", "TRSTRESU", 1, "cm"), _set("TR", "TRSTRESN", 1, 350.0)),
        "LENGTH-IMPLAUSIBLE-CM",
        [("TR", "TRSTRESN", [1])],
    ),
]

TS_CLEAN = _dataset(
    "TS",
    TSSEQ=[1.0] * 4,
    TSPARMCD=["SSTDTC", "INTMODEL", "INTTYPE", "PCLAS"],  # PCLAS (C98768): the CT code FB1111 calls "PCLASS"
    TSPARM=["Study Start Date", "Intervention Model", "Intervention Type", "Pharmacologic Class"],
    TSVAL=["2024-01-02", "PARALLEL", "DRUG", "Kinase Inhibitor"],
)
# FDA technical rejection criteria: checked for a submission folder (submission={"define": ...})
TRC_CASES = [
    ("trc-no-ts", _drop("DM", "SEX"), True, "TRC-TS-SSTDTC", [("(study)", None, [])]),
    (
        "trc-sstdtc-partial",
        _all(TS_CLEAN, _set("TS", "TSVAL", 0, "2024-01")),
        True,
        "TRC-TS-SSTDTC",
        [("TS", "TSVAL", [0])],
    ),
    ("trc-no-dm", _all(TS_CLEAN, lambda st: st.pop("DM")), True, "TRC-DM-ADSL", [("(study)", None, [])]),
    ("trc-no-adsl", _all(TS_CLEAN, lambda st: st.pop("ADSL")), True, "TRC-DM-ADSL", [("(study)", None, [])]),
    ("trc-no-define", TS_CLEAN, False, "TRC-DEFINE", [("(study)", None, [])]),
]


def _run(study, specs, engine="native"):
    return run_checks(study, engine=engine, specs=specs)


def test_every_rule_has_a_case():
    assert {c[2] for c in CASES} | {c[3] for c in TRC_CASES} == set(RULES)


@pytest.mark.parametrize("case,mutate,define,rule_id,expected", TRC_CASES, ids=[c[0] for c in TRC_CASES])
def test_submission_rule_breaks(case, mutate, define, rule_id, expected, study, adam_specs):
    mutate(study)
    report = run_checks(study, specs=adam_specs, submission={"define": define})
    got = [(f.dataset, f.variable, f.rows) for f in report.findings if f.rule_id == rule_id]
    assert got == expected, report.console_summary()
    assert all(f.severity == "error" for f in report.findings if f.rule_id.startswith("TRC-"))


def test_clean_submission_has_no_findings(study, adam_specs):
    TS_CLEAN(study)
    report = run_checks(study, specs=adam_specs, submission={"define": True})
    assert report.findings == [], report.console_summary()
    assert not [f for f in run_checks(study, specs=adam_specs).findings if f.rule_id.startswith("TRC")]


def test_clean_study_has_no_findings(study, adam_specs):
    report = _run(study, adam_specs)
    assert report.findings == [], report.console_summary()
    assert not report.has_errors


@pytest.mark.parametrize("case,mutate,rule_id,expected", CASES, ids=[c[0] for c in CASES])
def test_rule_breaks(case, mutate, rule_id, expected, study, adam_specs):
    mutate(study)
    report = _run(study, adam_specs)
    got = sorted(
        ((f.dataset, f.variable, f.rows) for f in report.findings if f.rule_id == rule_id),
        key=lambda t: (t[0], t[1] or ""),
    )
    assert got == sorted(expected, key=lambda t: (t[0], t[1] or "")), report.console_summary()
    for f in report.findings:
        assert f.severity == RULES[f.rule_id].severity and f.n_rows == len(f.rows)


def test_partial_dates_compare_at_shared_precision(study, adam_specs):
    study["AE"].loc[0, "AEENDTC"] = "2024-02"  # start 2024-02, end 2024-02: same month -> fine
    study["AE"].loc[0, "AEENDY"] = float("nan")  # a partial date has no study day
    study["EX"].loc[2, "EXENDTC"] = "2024"  # RFXENDTC 2024-05-03: same year -> fine
    study["EX"].loc[2, "EXENDY"] = float("nan")
    study["DM"].loc[1, "RFXENDTC"] = "2024"  # and RFXENDTC is the last exposure date again
    assert _run(study, adam_specs).findings == []


def test_extensible_codelist_message_lists_new_values(study, adam_specs):
    study["TU"].loc[2, "TULOC"] = "LIVER LOBE X"
    (f,) = [f for f in _run(study, adam_specs).findings if f.rule_id == "CT-EXT"]
    assert f.severity == "warning" and "LIVER LOBE X" in f.message and f.examples[0]["TULOC"] == "LIVER LOBE X"


def test_ascii_reports_row_and_character(study, adam_specs):
    study["AE"].loc[1, "AETERM"] = "Céphalée"
    (f,) = [f for f in _run(study, adam_specs).findings if f.rule_id == "XPT-ASCII"]
    assert f.examples == [{"row": 1, "USUBJID": "S1-001", "AESEQ": 2, "AETERM": "Céphalée", "character": "é (U+00E9)"}]
    assert "U+00E9" in f.message


def test_standard_argument_and_errors(study):
    report = run_checks({"DM": study["DM"]}, standard="sdtmig-3.4")
    assert report.findings == []
    assert {f.standard for f in run_checks({"DM": study["DM"].drop(columns=["SEX"])}).findings} == {"SDTMIG 3.4"}
    with pytest.raises(CdiscKitError):
        run_checks({"DM": study["DM"]}, standard="sdtmig-9")
    with pytest.raises(CdiscKitError):
        run_checks({"DM": study["DM"]}, engine="spark")


# ---------------------------------------------------------------- native vs great-expectations
BUNDLES = {
    "structure": [
        "req-missing",
        "exp-missing",
        "not-in-standard",
        "type-values",
        "order",
        "dataset-label",
        "ct-ext-result",
        "dy",
        "adsl-one-row",
        "no-spec",
        "rs-tr",
    ],
    "values": [
        "req-null",
        "type-dtype",
        "ct-nonext",
        "ct-ext",
        "iso8601",
        "seq",
        "domain",
        "testcd-length",
        "testcd-chars",
        "test-length",
        "paramcd-param",
        "cnsr-evntdesc",
        "cnsr-cnsdtdsc",
        "ex-rfx",
    ],
    "keys": ["keys", "date-order", "usubjid-dm", "usubjid-adsl", "tr-tu", "xpt-var-name", "xpt-ascii"],
}
_BY_ID = {c[0]: c for c in CASES}


@pytest.mark.gx
@pytest.mark.parametrize("bundle", ["clean", *BUNDLES])
def test_engines_agree(bundle, study, adam_specs):
    for case in BUNDLES.get(bundle, []):
        _BY_ID[case][1](study)
    native = _run(study, adam_specs)
    gx = _run(study, adam_specs, engine="gx")
    assert [f.identity for f in native.findings] == [f.identity for f in gx.findings]
    assert [f.message for f in native.findings] == [f.message for f in gx.findings]
    for case in BUNDLES.get(bundle, []):
        _, _, rule_id, expected = _BY_ID[case]
        got = {(f.dataset, f.variable, tuple(f.rows)) for f in gx.findings if f.rule_id == rule_id}
        assert {(d, v, tuple(r)) for d, v, r in expected} <= got, (case, gx.console_summary())


@pytest.mark.parametrize("engine", ["native", pytest.param("gx", marks=pytest.mark.gx)])
def test_value_level_codelist_for_new_lesion_indicator(study, adam_specs, engine):
    """specs/value_level.yaml: RSSTRESC of NEWLIND answers Y/N (NY, non-extensible); other RS tests use ONCRSR."""
    rs = study["RS"]
    rs.loc[0, ["RSTESTCD", "RSTEST", "RSORRES", "RSSTRESC"]] = ["NEWLIND", "New Lesion Indicator", "N", "N"]
    rs.loc[2, ["RSTESTCD", "RSTEST", "RSORRES", "RSSTRESC"]] = ["NEWLIND", "New Lesion Indicator", "Maybe", "MAYBE"]
    rs.loc[1, "RSSTRESC"] = "Y"  # OVRLRESP with a Y/N answer: not an ONCRSR term
    report = _run(study, adam_specs, engine=engine)
    found = {(f.rule_id, f.variable): f.rows for f in report.findings if f.dataset == "RS"}
    assert found[("CT-NONEXT", "RSSTRESC")] == [2]  # NEWLIND outside NY
    assert found[("CT-EXT", "RSSTRESC")] == [1]  # OVRLRESP outside ONCRSR; row 0 ('N' for NEWLIND) is fine
