"""Subject-level derivations used in a domain's ``derived:`` section (DM reference dates, AGE)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.dates import dtc_to_dt

from .assign import condition_mask


def derive_first_last_date(usubjid: pd.Series, *, sources: list[pd.DataFrame], how: str) -> pd.Series:
    """Earliest (``how='min'``) or latest (``'max'``) ISO 8601 value per subject over several (USUBJID, DTC) frames.

    String order is used, so a complete date sorts after its own partial prefix.

    >>> ex = pd.DataFrame({"USUBJID": ["A", "A", "B"], "DTC": ["2025-03-05", "2025-03-01T10:00", "2025-04"]})
    >>> derive_first_last_date(pd.Series(["A", "B", "C"]), sources=[ex], how="min").tolist()
    ['2025-03-01T10:00', '2025-04', nan]
    """
    frames = [s.set_axis(["USUBJID", "DTC"], axis=1) for s in sources if len(s)]
    if not frames:
        return pd.Series(np.nan, index=usubjid.index, dtype="str")
    allv = pd.concat(frames, ignore_index=True).dropna()
    g = allv.groupby("USUBJID")["DTC"]
    per = g.min() if how == "min" else g.max()
    return usubjid.map(per)


def derive_age(birth: pd.Series, reference: pd.Series) -> pd.Series:
    """AGE in completed years from BRTHDTC to the reference date (both complete dates, else missing).

    >>> derive_age(pd.Series(["1970-03-10", "1970-03-10", "1970"]), pd.Series(["2025-03-09", "2025-03-10", "2025-01-01"])).tolist()
    [54.0, 55.0, nan]
    """
    b, r = dtc_to_dt(birth), dtc_to_dt(reference)
    years = r.dt.year - b.dt.year
    before_birthday = (r.dt.month < b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day < b.dt.day))
    return (years - before_birthday.astype("float64")).where(b.notna() & r.notna()).astype("float64")


def run_derivation(var: str, a: dict, out: dict, domains: dict[str, pd.DataFrame]) -> pd.Series:
    """Dispatch a ``derive:`` assignment of the derived: section (``first_date``, ``last_date``, ``age``)."""
    usubjid = out["USUBJID"]
    if a["derive"] in ("first_date", "last_date"):
        sources = []
        for ref in a["of"]:
            dom, _, col = ref.partition(".")
            df = domains.get(dom)
            if df is None or col not in df.columns or df.empty:
                continue
            if a.get("where"):
                cond = {k: v for k, v in a["where"].items() if k in df.columns}
                if len(cond) < len(a["where"]):
                    continue
                df = df[condition_mask(cond, df, {}, df.index)]
            sources.append(df[["USUBJID", col]])
        return derive_first_last_date(usubjid, sources=sources, how="min" if a["derive"] == "first_date" else "max")
    if a["derive"] == "age":
        return derive_age(out[a["birth"]], out[a["reference"]])
    raise ValueError(a["derive"])  # pragma: no cover - validated
