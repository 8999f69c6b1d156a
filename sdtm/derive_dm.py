"""Subject-level derivations used in a domain's ``derived:`` section (DM reference dates, AGE)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.dates import dtc_to_dt, iso_digits

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


def derive_most_complete_date(usubjid: pd.Series, *, sources: list[pd.DataFrame]) -> pd.Series:
    """Per subject, the most complete of the dates several sources give for one fact, when they agree at the
    precision they share; when they disagree, the first source's date (the conflict is reported by same_facts).

    >>> dd = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DTC": ["2025-10", "2025-10-30", "2025-01"]})
    >>> ds = pd.DataFrame({"USUBJID": ["A", "B", "D"], "DTC": ["2025-10-31", "2025-10-31", "2025-02-01"]})
    >>> derive_most_complete_date(pd.Series(["A", "B", "C", "D", "E"]), sources=[dd, ds]).tolist()
    ['2025-10-31', '2025-10-30', '2025-01', '2025-02-01', nan]
    """
    frames = [s.set_axis(["USUBJID", "DTC"], axis=1).assign(_SRC=i) for i, s in enumerate(sources) if len(s)]
    if not frames:
        return pd.Series(np.nan, index=usubjid.index, dtype="str")
    allv = pd.concat(frames, ignore_index=True).dropna(subset=["DTC"])
    allv = allv.sort_values(["USUBJID", "_SRC"], kind="stable").drop_duplicates(["USUBJID", "_SRC"])
    first = allv.drop_duplicates("USUBJID").set_index("USUBJID")["DTC"]
    ref = allv["USUBJID"].map(first)
    va, fa, na = iso_digits(allv["DTC"])
    vb, fb, nb = iso_digits(ref)
    scale = 10 ** (14 - np.minimum(na, nb))
    agree = va & vb & (fa // scale == fb // scale)
    allv["_AGREE"], allv["_N"] = agree, na
    all_agree = allv.groupby("USUBJID")["_AGREE"].all()
    best = allv.sort_values(["USUBJID", "_N", "_SRC"], ascending=[True, False, True], kind="stable")
    best = best.drop_duplicates("USUBJID").set_index("USUBJID")["DTC"]
    chosen = best.where(all_agree.reindex(best.index).fillna(False), first.reindex(best.index))
    return usubjid.map(chosen)


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
    if a["derive"] in ("first_date", "last_date", "most_complete_date"):
        sources = []
        for ref in a["of"]:
            dom, _, col = ref.partition(".")
            df = domains.get(dom)
            if df is None or col not in df.columns or df.empty:
                continue
            if a.get("where"):
                # a key DOMAIN.VARIABLE filters that domain only; a plain VARIABLE every source that has it
                cond = {k.partition(".")[2] or k: v for k, v in a["where"].items() if k.partition(".")[0] in (dom, k)}
                if any(c not in df.columns for c in cond):
                    continue
                if cond:
                    df = df[condition_mask(cond, df, {}, df.index)]
            sources.append(df[["USUBJID", col]])
        if a["derive"] == "most_complete_date":
            return derive_most_complete_date(usubjid, sources=sources)
        return derive_first_last_date(usubjid, sources=sources, how="min" if a["derive"] == "first_date" else "max")
    if a["derive"] == "age":
        return derive_age(out[a["birth"]], out[a["reference"]])
    raise ValueError(a["derive"])  # pragma: no cover - validated
