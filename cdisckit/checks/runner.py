"""``run_checks``: build the suites, evaluate them (native or GX), add the native-only rules, make findings.

Messages and examples are computed here from the data and the failing rows, so both engines give the
same findings whenever they agree on the rows.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..errors import CdiscKitError
from . import native
from .native_rules import Context, Hit, run_native_rules
from .report import CheckReport, Finding, examples_of, sort_key
from .rules import NATIVE_RULES, RULES, SDTMIG, standard_of
from .suites import Expectation, Suite, build_suite, dataset_standard, resolve_spec, seq_variable

ENGINES = ("native", "gx")


def run_checks(
    datasets: dict[str, pd.DataFrame],
    standard: str | None = None,
    engine: str = "native",
    *,
    specs: dict | None = None,
    submission: dict | None = None,
    text_codes: dict | None = None,
) -> CheckReport:
    """Check every dataset against its spec, CT, ISO 8601, XPT v5 limits and the cross-dataset rules.

    ``standard``: ``"sdtmig-3.4"``, ``"adamig-1.3"`` or None (ADaM for AD* datasets declared in
    specs/adam, else SDTM). ``engine``: ``"native"`` (vectorised pandas) or ``"gx"`` (great-expectations).
    ``specs`` optionally maps dataset names to DatasetSpec objects that override specs/. ``submission``
    (``{"define": True/False}``) says the datasets are a submission folder: the FDA technical rejection
    criteria (TS with SSTDTC, DM/ADSL, define.xml) are checked too. ``text_codes``: what
    :func:`cdisckit.io.read_folder` gave in its ``text_codes`` for these very datasets (their text columns'
    factorisation, not computed again).
    """
    if engine not in ENGINES:
        raise CdiscKitError(f"unknown check engine {engine!r}; expected one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    # the attrs are kept beside the frames: pandas would deep-copy them into every column the checks take
    attrs = {name.upper(): dict(df.attrs) for name, df in datasets.items()}
    frames = {name.upper(): _without_attrs(df.reset_index(drop=True)) for name, df in datasets.items()}
    spec_of = {n: resolve_spec(n, standard, specs, frames[n].columns) for n in frames}
    std_of = {n: dataset_standard(n, spec_of[n], standard) for n in frames}
    suites = {n: build_suite(n, df, spec_of[n], std_of[n]) for n, df in frames.items()}
    seconds: dict[str, float] = {}
    codes = {name.upper(): c for name, c in (text_codes or {}).items()}
    ctx = Context(frames, spec_of, std_of, submission=submission, attrs=attrs, text_codes=codes)

    if engine == "gx":
        from .gx_engine import run_suites

        t = time.perf_counter()
        outcomes = run_suites(frames, suites)
        seconds["gx"] = time.perf_counter() - t
    else:
        outcomes = {}
        for n, df in frames.items():
            t = time.perf_counter()
            outcomes[n] = native.run_suite(df, suites[n], ctx.cache(n))
            seconds[n] = time.perf_counter() - t

    findings: list[Finding] = []
    checked: set[tuple[str, str]] = set()
    for n, suite in suites.items():
        for exp in suite.expectations:
            checked.add((exp.rule_id, n))
            outcome = outcomes[n][exp.key]
            if not outcome.success:
                findings.extend(expectation_findings(exp, outcome, frames[n], suite))
    t = time.perf_counter()
    for hit in run_native_rules(ctx):
        std = std_of.get(hit.dataset, RULES[hit.rule_id].standard)
        findings.append(hit_finding(hit, frames.get(hit.dataset), spec_of.get(hit.dataset), std))
    seconds["native_rules"] = time.perf_counter() - t
    for n in frames:
        checked.update((r, n) for r in NATIVE_RULES if _applies(r, n, spec_of[n], std_of[n], frames, attrs[n]))
    checked.update((f.rule_id, f.dataset) for f in findings)
    findings.sort(key=sort_key)
    seconds["total"] = time.perf_counter() - t0
    return CheckReport(findings, sorted(checked, key=lambda c: (c[1], c[0])), engine, seconds)


def _without_attrs(df: pd.DataFrame) -> pd.DataFrame:
    df.attrs = {}
    return df


def _applies(rule_id: str, name: str, spec, std: str, frames: dict, attrs: dict) -> bool:
    """Whether a native rule was evaluated for a dataset (for the JUnit testcase list); ``attrs``: the
    dataset's."""
    df = frames[name]
    if rule_id in ("DATASET-LABEL", "VAR-LABEL"):
        return spec is not None and ("label" in attrs or "column_labels" in attrs)
    if rule_id == "DATASET-NO-SPEC":
        return False
    if rule_id == "USUBJID-NOT-IN-DM":
        return std.startswith("SDTM") and name != "DM" and "DM" in frames and "USUBJID" in df.columns
    if rule_id == "USUBJID-NOT-IN-ADSL":
        return std.startswith("ADaM") and name != "ADSL" and "ADSL" in frames and "USUBJID" in df.columns
    if rule_id == "TR-TU-LINK":
        return name == "TR" and "TU" in frames
    if rule_id == "RS-TR-LINK":
        return name == "RS" and "TR" in frames
    if rule_id == "EX-OUTSIDE-RFX":
        return name == "EX" and "DM" in frames
    if rule_id == "PARAMCD-PARAM":
        return {"PARAMCD", "PARAM"} <= set(df.columns)
    if rule_id == "DY-INVALID":
        return any(c.endswith("DY") for c in df.columns)
    if rule_id == "DATE-ORDER":
        from .native_rules import date_pairs

        return bool(date_pairs(df.columns))
    if rule_id.startswith("DM-") and rule_id.endswith("-NOT-IN-TA"):
        return name == "DM" and "TA" in frames
    if rule_id in ("DTHFL-FATAL-AE", "AE-FATAL-DTHDTC"):
        return name == ("DM" if rule_id == "DTHFL-FATAL-AE" else "AE") and {"DM", "AE"} <= set(frames)
    if rule_id in ("RFX-EX", "DTHDTC-BEFORE-FIRST-DOSE"):
        return name == "DM" and (rule_id != "RFX-EX" or "EX" in frames)
    if rule_id == "DS-DEATH-DTHDTC":
        return name == "DS" and "DM" in frames
    if rule_id == "SUPP-PARENT":
        return name.startswith("SUPP") or name == "RELREC"
    if rule_id in ("DTC-AFTER-RFPENDTC", "DY-CALC"):
        return std == SDTMIG and name != "DM" and "DM" in frames and "USUBJID" in df.columns
    if rule_id == "TS-PARAMS-FDA":
        return name == "TS"
    if rule_id.startswith("TRC-"):
        return False  # reported per submission folder when they fail
    return rule_id.startswith("XPT-")


# ---------------------------------------------------------------- findings
def _example_columns(df: pd.DataFrame, name: str, spec, variable: str | None, more=()) -> list[str]:
    """USUBJID, the sequence variable, the other natural keys, the variable itself, then ``more``."""
    cols = ["USUBJID"]
    seq = seq_variable(name, df.columns)
    if seq:
        cols.append(seq)
    elif spec is not None:
        cols += [k for k in spec.keys if k not in ("STUDYID",)]
    if variable:
        cols.append(variable)
    return [c for c in dict.fromkeys([*cols, *more]) if c in df.columns]


def _counts(values: pd.Series, n: int = 8) -> str:
    vc = values.astype(object).value_counts(dropna=False)
    shown = ", ".join(f"{v!r} ({c})" for v, c in vc.head(n).items())
    return shown + (f" and {len(vc) - n} more" if len(vc) > n else "")


def describe(exp: Expectation, df: pd.DataFrame, rows: np.ndarray) -> str:
    """A data-derived detail for a failed expectation (same text whichever engine found the rows)."""
    kw, col = exp.kwargs, exp.kwargs.get("column")
    if exp.type == "expect_column_to_exist":
        return f"{col} not found"
    if exp.type == "expect_column_values_to_not_be_null":
        return f"{len(rows)} missing value(s)"
    if exp.type == "expect_column_values_to_be_null":
        return f"{len(rows)} value(s) filled: {_counts(df[col].iloc[rows])}"
    if exp.type == "expect_column_pair_values_to_be_equal":
        a, b = kw["column_A"], kw["column_B"]
        pairs = df[[a, b]].iloc[rows].astype(object).apply(tuple, axis=1) if len(rows) else pd.Series([], dtype=object)
        return f"{len(rows)} record(s) where {a} differs from {b}: {_counts(pairs, 5)}"
    if exp.type == "expect_column_values_to_be_between":
        return (
            f"{len(rows)} value(s) outside {kw.get('min_value')}..{kw.get('max_value')}: {_counts(df[col].iloc[rows])}"
        )
    if exp.type in (
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_not_match_regex",
    ):
        label = "new value(s)" if exp.rule_id == "CT-EXT" else "invalid value(s)"
        return f"{label}: {_counts(df[col].iloc[rows])}"
    if exp.type == "expect_column_value_lengths_to_be_between":
        lengths = df[col].iloc[rows].astype(str).str.len()
        return f"{len(rows)} value(s) too long, longest {int(lengths.max())} characters"
    if exp.type in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        cols = kw.get("column_list") or [col]
        first = df[cols].iloc[rows[:1]].to_dict("records")
        return f"{len(rows)} record(s) share values; e.g. " + ", ".join(f"{k}={v!r}" for k, v in first[0].items())
    if exp.type == "expect_column_values_to_be_in_type_list":
        if len(rows):
            return f"{len(rows)} value(s) of another type, e.g. {df[col].iloc[rows[0]]!r}"
        return f"column dtype is {df[col].dtype}"
    if exp.type == "expect_table_columns_to_match_ordered_list":
        for i, (want, got) in enumerate(zip(kw["column_list"], df.columns)):
            if want != got:
                return f"position {i + 1}: expected {want}, found {got}; expected order " + ", ".join(kw["column_list"])
    return ""


def condition_columns(cond) -> list[str]:
    """The columns a serialised GX row condition looks at, in order."""
    if not cond:
        return []
    if cond.get("type") in ("and", "or"):
        return [c for sub in cond["conditions"] for c in condition_columns(sub)]
    return [cond["column"]["name"]]


def expectation_findings(exp: Expectation, outcome, df: pd.DataFrame, suite: Suite) -> list[Finding]:
    """Findings of one failed expectation (one per unexpected variable for the extra-variables rule)."""
    rule = RULES[exp.rule_id]
    std = standard_of(rule, suite.standard)
    if exp.type == "expect_table_columns_to_match_set":
        extra = [c for c in df.columns if c not in set(exp.kwargs["column_set"])]
        return [
            Finding(
                rule.id,
                rule.severity,
                suite.dataset,
                c,
                f"{exp.meta['message']}: {c} is not one of them",
                std,
                refs=list(rule.refs),
            )
            for c in extra
        ]
    rows = outcome.rows
    detail = describe(exp, df, rows)
    message = f"{exp.meta['message']}: {detail}" if detail else exp.meta["message"]
    more = [*(exp.kwargs.get("column_list") or ()), *([exp.kwargs["column_B"]] if "column_B" in exp.kwargs else [])]
    more += condition_columns(exp.kwargs.get("row_condition"))
    examples = examples_of(df, rows, _example_columns(df, suite.dataset, suite.spec, exp.variable, more))
    return [
        Finding(
            rule.id,
            rule.severity,
            suite.dataset,
            exp.variable,
            message,
            std,
            [int(r) for r in rows],
            int(len(rows)),
            examples,
            list(rule.refs),
        )
    ]


def hit_finding(hit: Hit, df: pd.DataFrame | None, spec, std: str) -> Finding:
    """Finding of a native-only rule."""
    rule = RULES[hit.rule_id]
    message = f"{rule.message}: {hit.detail}" if hit.detail else rule.message
    examples = []
    if df is not None and len(hit.rows):
        var = hit.variable if hit.variable in df.columns else None
        examples = examples_of(df, hit.rows, _example_columns(df, hit.dataset, spec, var, hit.columns), hit.extra)
    return Finding(
        rule.id,
        rule.severity,
        hit.dataset,
        hit.variable,
        message,
        standard_of(rule, std),
        [int(r) for r in hit.rows],
        int(len(hit.rows)),
        examples,
        list(rule.refs),
    )
