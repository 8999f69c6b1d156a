"""ADAE: one record per AE record, with imputed dates, TEAE window, severity or toxicity grade, AESI,
relationship to each declared treatment, duration and first-occurrence flags.

>>> import pandas as pd
>>> ae = pd.DataFrame({"USUBJID": ["1"], "ASTDT": pd.to_datetime(["2025-01-03"]),
...                    "TRTSDT": pd.to_datetime(["2025-01-01"]), "TRTEDT": pd.to_datetime(["2025-01-06"])})
>>> derive_var_trtemfl(ae, start_date="ASTDT", trt_start_date="TRTSDT", ref_date="TRTEDT", window_days=30)["TRTEMFL"].tolist()
['Y']
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .util import col, derive_vars_dt, derive_vars_dy, grade_digits, numbers, upper

ADSL_VARS = ["SUBJID", "SITEID", "TRT01A", "TRT01AN", "SAFFL", "TRTSDT", "TRTEDT", "DTHDT"]
SEVERITY = {"MILD": 1.0, "MODERATE": 2.0, "SEVERE": 3.0}


def merge_supp(dataset: pd.DataFrame, supp: pd.DataFrame | None, idvar: str = "AESEQ") -> pd.DataFrame:
    """Transpose SUPP-- (QNAM/QVAL) onto the parent by USUBJID and IDVAR/IDVARVAL (numeric or text)."""
    out = dataset.copy()
    if supp is None or supp.empty or not {"QNAM", "QVAL", "USUBJID"} <= set(supp.columns):
        return out
    s = supp.copy()
    if "IDVAR" in s:  # IDVARVAL is text in SDTM ("1"); records keyed by another IDVAR than ``idvar`` are not merged
        key = upper(s["IDVAR"])
        s = s[key.isna() | (key == idvar)]
    ids = s["IDVARVAL"] if "IDVARVAL" in s else pd.Series(None, index=s.index)
    s["_ID"] = numbers(ids)
    s = s.dropna(subset=["_ID"]).drop_duplicates(["USUBJID", "_ID", "QNAM"], keep="first")
    if s.empty or idvar not in out:
        return out
    wide = s.pivot(index=["USUBJID", "_ID"], columns="QNAM", values="QVAL").reset_index()
    wide.columns.name = None
    wide = wide.drop(columns=[c for c in wide.columns if c in out.columns and c != "USUBJID"])
    out["_ID"] = pd.to_numeric(out[idvar], errors="coerce")
    return out.merge(wide, on=["USUBJID", "_ID"], how="left").drop(columns="_ID")


def derive_ae_dates(dataset: pd.DataFrame, start: dict, end: dict) -> pd.DataFrame:
    """ASTDT/ASTDTF and AENDT/AENDTF from AESTDTC/AEENDTC, imputed as ``start`` / ``end`` say (params
    ``ae_start_imputation`` / ``ae_end_imputation``: ``highest_imputation``, ``date_imputation``, ``min_dates``,
    ``max_dates``; bounds are column names, ISO 8601 ones count only when complete).

    With the defaults an onset is imputed to the first day of its period but not before TRTSDT (when it could
    have started then), and never after the complete end date or death; an end to the last day, never after death
    nor before the complete onset date. An onset in February 2024 that ended on 2024-02-11 cannot have started at
    a treatment start of 2024-02-23: it becomes 2024-02-01.

    >>> ae = pd.DataFrame({"AESTDTC": ["2024-02"], "AEENDTC": ["2024-02-11"], "TRTSDT": pd.to_datetime(["2024-02-23"]),
    ...                    "DTHDT": pd.to_datetime([None])})
    >>> start = {"highest_imputation": "M", "date_imputation": "first", "min_dates": ["TRTSDT"],
    ...          "max_dates": ["AEENDTC", "DTHDT"]}
    >>> out = derive_ae_dates(ae, start, {"highest_imputation": "M", "date_imputation": "last"})
    >>> out["ASTDT"].dt.strftime("%Y-%m-%d").tolist(), out["ASTDTF"].tolist()
    (['2024-02-01'], ['D'])
    """
    out = dataset
    for prefix, dtc, rule in (("AST", "AESTDTC", start), ("AEN", "AEENDTC", end)):
        out = derive_vars_dt(
            out,
            prefix,
            dtc,
            highest_imputation=rule.get("highest_imputation", "M"),
            date_imputation=rule.get("date_imputation", "first" if prefix == "AST" else "last"),
            min_dates=rule.get("min_dates") or [],
            max_dates=rule.get("max_dates") or [],
        )
    return out


def derive_var_trtemfl(
    dataset: pd.DataFrame,
    start_date: str = "ASTDT",
    end_date: str | None = "AENDT",
    trt_start_date: str = "TRTSDT",
    ref_date: str = "TRTEDT",
    window_days: int = 30,
    missing_start_is_teae: bool = True,
) -> pd.DataFrame:
    """TRTEMFL = Y when onset is on or after ``trt_start_date`` and on or before ``ref_date`` + ``window_days``.

    Unknown onset counts (when ``missing_start_is_teae``) if the end is unknown or not before the window start.
    Subjects without ``trt_start_date`` (not treated) have no TEAEs. ``trt_start_date`` falls back to
    ``ref_date`` when missing.
    """
    out = dataset.copy()
    lo = out[trt_start_date].fillna(out[ref_date])
    hi = out[ref_date].fillna(lo) + pd.to_timedelta(window_days, unit="D")
    st = out[start_date]
    flag = st.notna() & lo.notna() & (st >= lo) & (st <= hi)
    if missing_start_is_teae:
        en = out[end_date] if end_date in out else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        flag |= st.isna() & lo.notna() & (en.isna() | (en >= lo))
    out["TRTEMFL"] = pd.Series(np.where(flag, "Y", None), index=out.index, dtype=object)
    return out


def derive_vars_aesi(dataset: pd.DataFrame, aesi: list[dict]) -> pd.DataFrame:
    """AESIFL/AESICAT from SUPPAE AESI/AESICAT, else from the configured PT lists (case-insensitive AEDECOD)."""
    out = dataset.copy()
    supp_flag = upper(col(out, "AESI")).isin(["Y", "YES"])
    cat = upper(col(out, "AESICAT")).where(supp_flag | col(out, "AESICAT").notna())
    decod = upper(col(out, "AEDECOD"))
    for entry in aesi:
        hit = decod.isin([p.upper() for p in entry.get("pt", [])])
        cat = cat.where(cat.notna() | ~hit, entry["category"])
    out["AESICAT"] = cat.astype(object).where(cat.notna(), None)
    out["AESIFL"] = pd.Series(np.where(supp_flag | cat.notna(), "Y", None), index=out.index, dtype=object)
    return out


def derive_vars_grades(dataset: pd.DataFrame) -> pd.DataFrame:
    """ATOXGR/ATOXGRN from AETOXGR (digits kept: ``Grade 2`` -> ``2``) and ASEV/ASEVN from AESEV (MILD 1,
    MODERATE 2, SEVERE 3), each only when the study collects it.

    >>> g = derive_vars_grades(pd.DataFrame({"AESEV": ["moderate", None]}))
    >>> g["ASEV"].iloc[0], g["ASEVN"].tolist(), g["ASEV"].isna().tolist()
    ('MODERATE', [2.0, nan], [False, True])
    """
    out = dataset.copy()
    if "AETOXGR" in out:
        out["ATOXGRN"], out["ATOXGR"] = grade_digits(out["AETOXGR"])
    if "AESEV" in out:
        out["ASEV"] = upper(out["AESEV"])
        out["ASEVN"] = out["ASEV"].map(SEVERITY).astype(float)
    return out


def derive_vars_duration(dataset: pd.DataFrame) -> pd.DataFrame:
    """ADURN = AENDT - ASTDT + 1 (days, ADURU ``DAYS``) when both dates are known.

    >>> d = pd.DataFrame({"ASTDT": pd.to_datetime(["2025-01-01", None]), "AENDT": pd.to_datetime(["2025-01-03"] * 2)})
    >>> derive_vars_duration(d)[["ADURN", "ADURU"]].values.tolist()
    [[3.0, 'DAYS'], [nan, None]]
    """
    out = dataset.copy()
    out["ADURN"] = (out["AENDT"] - out["ASTDT"]).dt.days.astype(float) + 1
    out["ADURU"] = pd.Series(np.where(out["ADURN"].notna(), "DAYS", None), index=out.index, dtype=object)
    return out


def derive_var_extreme_flag(
    dataset: pd.DataFrame,
    by: list[str],
    order: list[str],
    new: str,
    where: pd.Series | None = None,
    mode: str = "first",
) -> pd.DataFrame:
    """``new`` = Y on the first (or last) record per ``by`` after sorting by ``order``, among rows in ``where``.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": ["1", "1"], "ASTDT": pd.to_datetime(["2025-02-01", "2025-01-01"]), "AESEQ": [1.0, 2.0]})
    >>> derive_var_extreme_flag(d, by=["USUBJID"], order=["ASTDT", "AESEQ"], new="AOCCFL")["AOCCFL"].tolist()
    [None, 'Y']
    """
    rows = dataset[list(dict.fromkeys(by + order))]
    rows = rows if where is None else rows[where.fillna(False).astype(bool)]
    rows = rows.sort_values(order, na_position="last", kind="stable")
    keep = rows.drop_duplicates(by, keep="first" if mode == "first" else "last").index
    flag = pd.Series(np.where(dataset.index.isin(keep), "Y", None), index=dataset.index, dtype=object)
    return dataset.assign(**{new: flag})


def derive_adae(
    sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, params: dict, warn: Callable[[str], None]
) -> pd.DataFrame:
    """ADAE from AE + SUPPAE + ADSL."""
    from .declared import derive_vars_declared_ae, derive_vars_rel

    ae = sdtm.get("AE")
    if ae is None or ae.empty:
        warn("ADAE: no AE records; ADAE is empty")
        return pd.DataFrame(columns=["STUDYID", "USUBJID"])
    supp = sdtm.get("SUPPAE")
    out = merge_supp(ae, supp)
    # ADSL dates the rules refer to (TEAE window, imputation bounds) join the working rows
    wanted = ADSL_VARS + [params["teae_window_start"], params["teae_window_ref"]]
    for rule in (params["ae_start_imputation"], params["ae_end_imputation"]):
        wanted += list(rule.get("min_dates") or []) + list(rule.get("max_dates") or [])
    keep = [c for c in dict.fromkeys(wanted) if c in adsl.columns and c not in out.columns]
    out = out.merge(adsl[["USUBJID"] + keep], on="USUBJID", how="left")
    for c in (params["teae_window_start"], params["teae_window_ref"]):
        if c not in out:
            warn(f"ADAE: ADSL has no {c} (TEAE window); TRTEMFL uses TRTSDT")
            out[c] = out["TRTSDT"] if "TRTSDT" in out else pd.NaT
    if "AESTDTC" not in out:
        out["AESTDTC"] = None
    if "AEENDTC" not in out:
        out["AEENDTC"] = None
    out = derive_ae_dates(out, params["ae_start_imputation"], params["ae_end_imputation"])
    out = derive_vars_dy(out, "TRTSDT", {"ASTDY": "ASTDT", "AENDY": "AENDT"})
    out = derive_vars_duration(out)
    out = derive_var_trtemfl(
        out,
        "ASTDT",
        "AENDT",
        params["teae_window_start"],
        params["teae_window_ref"],
        params["teae_window_days"],
        params["ae_missing_start_is_teae"],
    )
    if params["aesi"] or "AESI" in out or "AESICAT" in out:
        out = derive_vars_aesi(out, params["aesi"])
    out = derive_vars_grades(out)
    out = derive_vars_declared_ae(out, params.get("adae_vars") or [])
    out = derive_vars_rel(out, params["treatments"])
    teae = out["TRTEMFL"] == "Y"
    order = ["ASTDT", "AESEQ"] if "AESEQ" in out else ["ASTDT"]
    out = derive_var_extreme_flag(out, ["USUBJID"], order, "AOCCFL", where=teae)
    out = derive_var_extreme_flag(
        out, ["USUBJID", "AEBODSYS"], order, "AOCCSFL", where=teae & col(out, "AEBODSYS").notna()
    )
    out = derive_var_extreme_flag(
        out, ["USUBJID", "AEBODSYS", "AEDECOD"], order, "AOCCPFL", where=teae & col(out, "AEDECOD").notna()
    )
    intensity = "ASEVN" if "ASEVN" in out else ("ATOXGRN" if "ATOXGRN" in out else None)
    if intensity:  # first occurrence of the most severe TEAE per subject (admiral template: desc(ASEVN), ASTDT, AESEQ)
        out["_NEGI"] = -out[intensity]
        out = derive_var_extreme_flag(out, ["USUBJID"], ["_NEGI"] + order, "AOCCIFL", where=teae).drop(columns="_NEGI")
    out["SRCDOM"] = "AE"
    out["SRCSEQ"] = col(out, "AESEQ")
    return out
