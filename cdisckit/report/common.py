"""Shared vocabulary of the report tables: dataset access, cohorts, cells, population subsets.

>>> _cell(3, 8)["pct"]
37.5
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TOTAL = "Total"  # safety column over all cohorts
OVERALL = "Overall"  # efficacy column over all cohorts
TIMEPOINTS = [
    ("W6", "Week 6"),
    ("W12", "Week 12"),
    ("W18", "Week 18"),
    ("M6", "Month 6"),
    ("M9", "Month 9"),
    ("M12", "Month 12"),
]
# Used only when ADRS does not say: the criteria and timepoints come from the ADRS parameters present.
CRITERIA = [("RECIST 1.1", "", "RECIST 1.1")]
_UNIT_DAYS = {"D": (1.0, "Day"), "W": (7.0, "Week"), "M": (30.4375, "Month"), "Y": (365.25, "Year")}
BOR_CATEGORIES = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"]
RESPONSE = {"CR", "PR"}
CONTROL = {"CR", "PR", "SD", "NON-CR/NON-PD"}
OS_LANDMARKS = [(183, "6 months"), (365, "12 months")]
DAYS_PER_MONTH = 30.4375
VERSIONS = {"SDTMIG": "3.4", "ADaMIG": "1.3", "CT": "2025-03-28"}
MISSING_COHORT = "(no cohort)"


def _na(note: str) -> dict:
    return {"available": False, "note": note}


def _yes(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(False, index=df.index)
    return df[col].eq("Y")


def _text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), None)


def _get(adam: dict, name: str) -> pd.DataFrame | None:
    for key, df in (adam or {}).items():
        if str(key).upper() == name and isinstance(df, pd.DataFrame):
            return df
    return None


def cohort_order(adsl: pd.DataFrame | None, *frames: pd.DataFrame | None) -> list[str]:
    """Cohort labels (TRT01A) ordered by TRT01AN, then label."""
    rows = []
    for df in (adsl, *frames):
        if df is not None and "TRT01A" in df:
            num = df["TRT01AN"] if "TRT01AN" in df else pd.Series(np.nan, index=df.index)
            per_label = pd.to_numeric(num, errors="coerce").groupby(df["TRT01A"], sort=False, dropna=False).min()
            label = _text(pd.Series(per_label.index, dtype=object)).fillna(MISSING_COHORT)
            rows.append(pd.DataFrame({"c": label.to_numpy(), "n": per_label.to_numpy()}))  # one row per label
    if not rows:
        return []
    allc = pd.concat(rows).groupby("c", sort=False)["n"].min().reset_index()
    allc["n"] = allc["n"].fillna(np.inf)
    return allc.sort_values(["n", "c"], kind="stable")["c"].tolist()


def _subjects(adsl: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"USUBJID": _text(adsl["USUBJID"])})
    out["cohort"] = _text(adsl["TRT01A"]).fillna(MISSING_COHORT) if "TRT01A" in adsl else MISSING_COHORT
    for fl in ("SAFFL", "EFFFL", "ENRLFL", "DTHFL"):
        out[fl] = _yes(adsl, fl).to_numpy()
    return out.drop_duplicates("USUBJID")


def _cell(n: int, N: int) -> dict:
    return {"n": int(n), "N": int(N), "pct": (100.0 * n / N) if N else math.nan}


def labels_of(df: pd.DataFrame | None) -> dict:
    """Variable labels a frame carries (XPT/Dataset-JSON read back, or set by cdisckit.adam)."""
    return dict((df.attrs.get("column_labels") or {}) if df is not None else {})


def without_attrs(adam: dict) -> dict:
    """The same datasets as frames without ``attrs`` (shallow copies sharing the data): pandas deep-copies a frame's
    attrs (the variable labels) into the result of every operation on it, a cost the report's tables need not pay
    (they read the labels once, see :func:`labels_of`).

    >>> df = pd.DataFrame({"A": [1]}); df.attrs["column_labels"] = {"A": "Alpha"}
    >>> bare = without_attrs({"ADSL": df, "note": "kept"})
    >>> bare["ADSL"].attrs, df.attrs["column_labels"], bare["note"], bare["ADSL"]["A"].tolist()
    ({}, {'A': 'Alpha'}, 'kept', [1])
    """
    out = {}
    for key, df in (adam or {}).items():
        if isinstance(df, pd.DataFrame):
            df = df.copy(deep=False)
            df.attrs = {}
        out[key] = df
    return out


def num(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(df[col], errors="coerce") if col in df else pd.Series(np.nan, index=df.index)
