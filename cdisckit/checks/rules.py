"""The rule catalogue: one entry per conformance rule (id, severity, the standard it comes from, message).

Rules whose id is in :data:`GX_RULES` are generated into great-expectations suites (``suites.py``) and
evaluated either natively or by GX; the others (:data:`NATIVE_RULES`) are checks GX cannot express
(byte lengths, ASCII with the offending character, labels, partial-date order, cross-dataset links)
and always run in the native evaluator (``native_rules.py``).

>>> RULES["SEQ-UNIQUE"].severity
'error'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..standards import ADAMIG, CT_VERSION, SDTMIG

ERROR = "error"
WARNING = "warning"

CT = f"CDISC CT {CT_VERSION}"
ISO8601 = "ISO 8601"
XPT = "SAS XPORT v5 (TS-140) / FDA TCG"
SPEC = "dataset spec"  # placeholder: replaced by the dataset's standard (SDTMIG 3.4 or ADaMIG 1.3)


@dataclass(frozen=True)
class Rule:
    """One conformance rule; ``standard`` is :data:`SPEC` when it is the dataset's own standard."""

    id: str
    severity: str
    standard: str
    message: str


def _r(id_: str, severity: str, standard: str, message: str) -> Rule:
    return Rule(id_, severity, standard, message)


_CATALOGUE = [
    # ---- structure (generated from specs/)
    _r("REQ-VAR-MISSING", ERROR, SPEC, "Required variable is missing from the dataset"),
    _r("REQ-VAR-NULL", ERROR, SPEC, "Required variable has missing values"),
    _r("EXP-VAR-MISSING", WARNING, SPEC, "Expected variable is missing from the dataset"),
    _r("VAR-NOT-IN-STANDARD", ERROR, SPEC, "Variable is neither in the standard nor declared by the spec"),
    _r("VAR-TYPE", ERROR, SPEC, "Variable type does not match the spec (Char = text, Num = numeric/date)"),
    _r("VAR-ORDER", WARNING, SPEC, "Variables are not in the order of the spec"),
    _r("DATASET-LABEL", WARNING, SPEC, "Dataset label differs from the spec"),
    _r("VAR-LABEL", WARNING, SPEC, "Variable label differs from the spec"),
    _r("DATASET-NO-SPEC", WARNING, SPEC, "No spec for this dataset; only XPT and cross-dataset rules ran"),
    # ---- values
    _r("CT-NONEXT", ERROR, CT, "Value is not in the non-extensible codelist"),
    _r("CT-EXT", WARNING, CT, "Value is not in the extensible codelist (new term)"),
    _r("VALUE-LIST", ERROR, SPEC, "Value is not among the values the implementation guide allows (e.g. flags Y/N)"),
    _r("DTC-ISO8601", ERROR, ISO8601, "Date/time is not ISO 8601 (YYYY, YYYY-MM, YYYY-MM-DD, optional THH:MM[:SS])"),
    _r("DY-INVALID", ERROR, SPEC, "Study day must be a whole number and never 0"),
    _r("SEQ-UNIQUE", ERROR, SPEC, "Sequence number is not unique within subject"),
    _r("KEYS-UNIQUE", WARNING, SPEC, "Natural keys do not identify records uniquely"),
    _r("DATE-ORDER", ERROR, SPEC, "Start date is after end date (compared at the precision both share)"),
    _r("DOMAIN-VALUE", ERROR, SPEC, "DOMAIN does not match the dataset name"),
    _r("TESTCD-LENGTH", ERROR, SPEC, "Test/parameter code longer than 8 characters"),
    _r(
        "TESTCD-CHARS",
        ERROR,
        SPEC,
        "Test/parameter code must be letters, digits or underscore, not starting with a digit",
    ),
    _r("TEST-LENGTH", ERROR, SPEC, "Test name longer than 40 characters"),
    # ---- across datasets / ADaM structure
    _r("USUBJID-NOT-IN-DM", ERROR, SDTMIG, "USUBJID is not in DM"),
    _r("USUBJID-NOT-IN-ADSL", ERROR, ADAMIG, "USUBJID is not in ADSL"),
    _r("TR-TU-LINK", ERROR, SDTMIG, "TRLNKID has no TU record with the same TULNKID for the subject"),
    _r("RS-TR-LINK", ERROR, SDTMIG, "RSLNKGRP has no TR record with the same TRLNKGRP for the subject"),
    _r("EX-OUTSIDE-RFX", ERROR, SDTMIG, "Exposure date outside DM RFXSTDTC..RFXENDTC"),
    _r("ADSL-ONE-ROW", ERROR, ADAMIG, "ADSL must have one record per subject"),
    _r("PARAMCD-PARAM", ERROR, ADAMIG, "PARAMCD and PARAM are not one to one"),
    _r("CNSR-EVNTDESC", ERROR, ADAMIG, "Event (CNSR = 0) without EVNTDESC"),
    _r("CNSR-CNSDTDSC", ERROR, ADAMIG, "Censored record (CNSR > 0) without CNSDTDSC"),
    # ---- XPT v5
    _r(
        "XPT-DATASET-NAME",
        ERROR,
        XPT,
        "Dataset name must be <= 8 characters: upper-case letters, digits, underscore, not starting with a digit",
    ),
    _r(
        "XPT-VAR-NAME",
        ERROR,
        XPT,
        "Variable name must be <= 8 characters: upper-case letters, digits, underscore, not starting with a digit",
    ),
    _r("XPT-LABEL-LENGTH", ERROR, XPT, "Label longer than 40 characters"),
    _r("XPT-CHAR-BYTES", ERROR, XPT, "Character value longer than 200 bytes (UTF-8)"),
    _r("XPT-ASCII", ERROR, XPT, "Character value is not ASCII"),
]

RULES: dict[str, Rule] = {r.id: r for r in _CATALOGUE}

GX_RULES = frozenset(
    {
        "REQ-VAR-MISSING",
        "REQ-VAR-NULL",
        "EXP-VAR-MISSING",
        "VAR-NOT-IN-STANDARD",
        "VAR-TYPE",
        "VAR-ORDER",
        "CT-NONEXT",
        "CT-EXT",
        "VALUE-LIST",
        "DTC-ISO8601",
        "SEQ-UNIQUE",
        "KEYS-UNIQUE",
        "DOMAIN-VALUE",
        "TESTCD-LENGTH",
        "TESTCD-CHARS",
        "TEST-LENGTH",
        "ADSL-ONE-ROW",
        "CNSR-EVNTDESC",
        "CNSR-CNSDTDSC",
    }
)
NATIVE_RULES = frozenset(RULES) - GX_RULES

TESTCD_REGEX = r"^[A-Za-z_][A-Za-z0-9_]*$"
XPT_NAME_REGEX = r"^[A-Z_][A-Z0-9_]{0,7}$"


def standard_of(rule: Rule, dataset_standard: str) -> str:
    """The standard a finding cites: the dataset's own standard for spec-driven rules."""
    return dataset_standard if rule.standard == SPEC else rule.standard
