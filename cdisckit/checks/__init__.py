"""Conformance checks run before any XPT is written.

Rules are generated from specs/ as great-expectations suites (one per dataset) plus hand-written
native rules; ``run_checks`` evaluates them with a vectorised pandas engine (default) or with
great-expectations itself (``engine="gx"``) and returns a :class:`CheckReport`.

>>> import pandas as pd
>>> report = run_checks({"DM": pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["DM"], "USUBJID": ["S1-001"]})})
>>> [f.variable for f in report.findings if f.rule_id == "REQ-VAR-MISSING"]
['COUNTRY', 'SEX', 'SITEID', 'SUBJID']
"""

from __future__ import annotations

from .report import CheckReport, Finding
from .rules import GX_RULES, NATIVE_RULES, RULES, Rule
from .runner import run_checks
from .suites import build_suites, export_suites

__all__ = [
    "run_checks",
    "export_suites",
    "build_suites",
    "CheckReport",
    "Finding",
    "RULES",
    "Rule",
    "GX_RULES",
    "NATIVE_RULES",
]
