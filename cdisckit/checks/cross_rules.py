"""Native rules that look across datasets or at the whole submission (GX validates one table at a time).

DM against TA (arms), DS against DM (death date), SUPP--/RELREC against their parents, DM RFXSTDTC/RFXENDTC
against EX, dates after RFPENDTC, --DY against its date and RFSTDTC, TS parameters, implausible death dates,
and the FDA technical rejection criteria of a submission folder (TS with SSTDTC, DM/ADSL, define.xml).
Every check is vectorised: subject-level values are mapped onto rows with one index lookup.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..dates import digits_after, dtc_to_dt, is_iso8601, iso_digits, study_day
from ..standards import SDTMIG
from .native import str_codes
from .native_rules import Context, Hit, is_text

_pos = np.flatnonzero


def _has_dm(ctx: Context, df: pd.DataFrame, column: str) -> bool:
    dm = ctx.datasets.get("DM")
    return dm is not None and {"USUBJID", column} <= set(dm.columns) and "USUBJID" in df.columns


def _subject_column(ctx: Context, name: str, column: str) -> pd.Series | None:
    """DM.<column> of each row's subject of dataset ``name`` (missing where the subject or column is absent)."""
    df = ctx.datasets[name]
    if not _has_dm(ctx, df, column):
        return None
    pos = ctx.subject_positions(name)
    values = ctx.datasets["DM"][column].to_numpy(dtype=object)
    out = np.where(pos >= 0, values[np.maximum(pos, 0)], None)
    return pd.Series(out, index=df.index, dtype=object)


def _dates_by_value(ctx: Context, name: str, column: str) -> np.ndarray:
    """:func:`dtc_to_dt` of a column (datetime64[ns]) computed on its distinct values, memoised per column."""
    key = f"dt:{name}.{column}"
    if key not in ctx.memo:
        t = ctx.cache(name).text(column)
        if t is None:
            out = dtc_to_dt(ctx.datasets[name][column]).to_numpy(dtype="datetime64[ns]")
        else:
            codes, u = t
            dates = dtc_to_dt(u).to_numpy(dtype="datetime64[ns]") if len(u) else np.zeros(0, "datetime64[ns]")
            out = np.append(dates, np.datetime64("NaT", "ns"))[np.where(codes >= 0, codes, len(u))]
        ctx.memo[key] = (out,)
    return ctx.memo[key][0]


def _study_day_of(ctx: Context, name: str, dcol: str) -> np.ndarray:
    """:func:`study_day` of ``name.dcol`` against each row's DM.RFSTDTC, as floats (NaN: no complete dates)."""
    date = _dates_by_value(ctx, name, dcol)
    pos = ctx.subject_positions(name)
    ref = np.where(pos >= 0, _dates_by_value(ctx, "DM", "RFSTDTC")[np.maximum(pos, 0)], np.datetime64("NaT", "ns"))
    diff = date - ref
    days = np.where(np.isnat(diff), np.nan, diff.view(np.int64) / 86_400_000_000_000)
    return np.where(days < 0, days, days + 1)


# ---------------------------------------------------------------- DM vs TA
_ARM_RULES = (
    ("ARMCD", "ARMCD", "DM-ARMCD-NOT-IN-TA"),
    ("ARM", "ARM", "DM-ARM-NOT-IN-TA"),
    ("ACTARMCD", "ARMCD", "DM-ACTARMCD-NOT-IN-TA"),
    ("ACTARM", "ARM", "DM-ACTARM-NOT-IN-TA"),
)


def check_arms_in_ta(ctx: Context) -> list[Hit]:
    """CG0512-CG0518: DM ARMCD/ARM/ACTARMCD/ACTARM, when filled, are arms of TA."""
    dm, ta = ctx.datasets.get("DM"), ctx.datasets.get("TA")
    if dm is None or ta is None:
        return []
    hits = []
    for col, ta_col, rule in _ARM_RULES:
        if col not in dm.columns or ta_col not in ta.columns:
            continue
        s = dm[col]
        rows = _pos(s.notna() & ~s.isin(ta[ta_col].dropna().unique()))
        if len(rows):
            values = ", ".join(map(repr, pd.unique(s.iloc[rows])[:5]))
            hits.append(Hit(rule, "DM", col, rows, f"{len(rows)} subject(s) with {col} not in TA.{ta_col}: {values}"))
    return hits


# ---------------------------------------------------------------- DS death vs DM
def check_death_dates(ctx: Context) -> list[Hit]:
    """CG0069/FB0611: DSSTDTC of a DSDECOD = DEATH record equals the subject's DM.DTHDTC."""
    ds = ctx.datasets.get("DS")
    if ds is None or not {"DSDECOD", "DSSTDTC", "USUBJID"} <= set(ds.columns):
        return []
    dthdtc = _subject_column(ctx, "DS", "DTHDTC")
    if dthdtc is None:
        return []
    death = ds["DSDECOD"].astype(object).str.upper().eq("DEATH").fillna(False).to_numpy(dtype=bool)
    same = ds["DSSTDTC"].astype(object).eq(dthdtc).fillna(False).to_numpy(dtype=bool)
    rows = _pos(death & ~same)
    if not len(rows):
        return []
    return [
        Hit(
            "DS-DEATH-DTHDTC",
            "DS",
            "DSSTDTC",
            rows,
            f"{len(rows)} death record(s) whose DSSTDTC is not DM.DTHDTC",
            ("DSDECOD",),
            {"DM.DTHDTC": dthdtc.iloc[rows].tolist()},
        )
    ]


def check_death_before_dose(ctx: Context) -> list[Hit]:
    """A death date before the first dose (both in DM) is implausible."""
    dm = ctx.datasets.get("DM")
    if dm is None or not {"DTHDTC", "RFXSTDTC"} <= set(dm.columns):
        return []
    rows = _pos(digits_after(ctx.iso("DM", "RFXSTDTC"), ctx.iso("DM", "DTHDTC")))
    if not len(rows):
        return []
    return [
        Hit(
            "DTHDTC-BEFORE-FIRST-DOSE",
            "DM",
            "DTHDTC",
            rows,
            f"{len(rows)} subject(s) died before their first dose",
            ("RFXSTDTC",),
        )
    ]


def check_fatal_ae(ctx: Context) -> list[Hit]:
    """FB0609: a subject with DTHFL = Y has an AE with AEOUT = FATAL and AESDTH = Y; FB0612: the end date of a
    fatal AE is DM.DTHDTC (compared at the precision both share)."""
    dm, ae = ctx.datasets.get("DM"), ctx.datasets.get("AE")
    if dm is None or ae is None or "USUBJID" not in ae.columns:
        return []
    hits = []
    fatal = ae["AEOUT"].eq("FATAL").fillna(False) if "AEOUT" in ae.columns else pd.Series(False, index=ae.index)
    if "DTHFL" in dm.columns and "AESDTH" in ae.columns:
        died = set(ae.loc[fatal & ae["AESDTH"].eq("Y").fillna(False), "USUBJID"])
        rows = _pos(dm["DTHFL"].eq("Y").fillna(False).to_numpy(dtype=bool) & ~dm["USUBJID"].isin(died).to_numpy())
        if len(rows):
            hits.append(
                Hit("DTHFL-FATAL-AE", "DM", "DTHFL", rows, f"{len(rows)} subject(s) without a fatal AE", ("DTHDTC",))
            )
    if "AEENDTC" in ae.columns:
        dth = _subject_column(ctx, "AE", "DTHDTC")
        if dth is not None:
            a, b = ctx.iso("AE", "AEENDTC"), ctx.subject_iso("AE", "DTHDTC")
            differ = digits_after(a, b) | digits_after(b, a) | (a[0] != b[0])
            rows = _pos(fatal.to_numpy(dtype=bool) & differ)
            if len(rows):
                hits.append(
                    Hit(
                        "AE-FATAL-DTHDTC",
                        "AE",
                        "AEENDTC",
                        rows,
                        f"{len(rows)} fatal AE(s) ending on another day than DM.DTHDTC",
                        ("AEOUT",),
                        {"DM.DTHDTC": dth.iloc[rows].tolist()},
                    )
                )
    return hits


# ---------------------------------------------------------------- SUPP-- / RELREC parents
def _strip(u: pd.Series) -> pd.Series:
    return u.astype(object).str.strip()


def _by_value(s: pd.Series, func) -> np.ndarray:
    """Object array of ``func`` (object Series -> Series, value by value) of ``s``, computed once per distinct
    value; missing values stay as they are. ``s``: a Series or an array (the result of an earlier call)."""
    s = pd.Series(s)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.to_numpy()
        same_numbers = x.dtype.kind in "iu" or (x.dtype.kind == "f" and not (np.signbit(x) & (x == 0)).any())
        codes, uniques = pd.factorize(x, use_na_sentinel=True) if same_numbers else (None, None)
        u = pd.Series(uniques)
    else:  # text: only when every value is a str (factorize would merge 1, 1.0 and True)
        codes, u = str_codes(s.astype(object)) or (None, None)
    if codes is None or (codes < 0).any() or len(u) == len(s):
        return func(s).to_numpy(dtype=object)
    return func(u).to_numpy(dtype=object)[codes]


def _parent_rows(ctx: Context, rel: pd.DataFrame, name: str) -> list[Hit]:
    """Rows of a SUPP--/RELREC dataset whose RDOMAIN, IDVAR or IDVARVAL do not resolve to a parent record."""
    if not {"RDOMAIN", "USUBJID"} <= set(rel.columns):
        return []
    bad: np.ndarray = np.zeros(len(rel), dtype=bool)
    why = []
    idvar = rel["IDVAR"] if "IDVAR" in rel.columns else pd.Series(None, index=rel.index, dtype=object)
    idval = rel["IDVARVAL"] if "IDVARVAL" in rel.columns else pd.Series(None, index=rel.index, dtype=object)
    # the groups carry only USUBJID: splitting every column of a long SUPP-- would cost more than the lookups
    for (rdomain, var), part in rel[["USUBJID"]].groupby([rel["RDOMAIN"], idvar.fillna("")], dropna=False, sort=True):
        idx = part.index.to_numpy()
        parent = ctx.datasets.get(str(rdomain))
        if parent is None:
            bad[idx] = True
            why.append(f"RDOMAIN {rdomain!r} is not in the study")
            continue
        keys = ["USUBJID"] if "USUBJID" in parent.columns else []
        if var == "":
            if keys:  # subject-level: the subject must be in the parent
                miss = ~part["USUBJID"].isin(parent["USUBJID"].dropna().unique()).to_numpy()
                bad[idx[miss]] = True
            continue
        if var not in parent.columns:
            bad[idx] = True
            why.append(f"{rdomain} has no variable {var}")
            continue
        pv = parent[var]
        if pd.api.types.is_numeric_dtype(pv):  # each distinct number formatted once
            text = _by_value(pv, lambda u: u.map(lambda v: f"{v:g}" if isinstance(v, float) else v))
        else:
            text = pv
        ref = pd.MultiIndex.from_arrays([parent["USUBJID"].astype(object), _by_value(text, _strip)])
        val = _by_value(idval, _strip)[idx]
        got = pd.MultiIndex.from_arrays([part["USUBJID"].astype(object), val])
        miss = ~got.isin(ref)
        if miss.any():
            bad[idx[miss]] = True
            why.append(f"{int(miss.sum())} {var} value(s) not in {rdomain}")
    rows = _pos(bad)
    if not len(rows):
        return []
    return [Hit("SUPP-PARENT", name, "IDVARVAL", rows, "; ".join(why[:5]), ("RDOMAIN", "IDVAR"))]


def check_parents(ctx: Context) -> list[Hit]:
    """CG0369-CG0371: every SUPP-- and RELREC record points at an existing parent record."""
    hits = []
    for name, df in ctx.datasets.items():
        if (name.startswith("SUPP") or name == "RELREC") and ctx.standards.get(name) == SDTMIG:
            hits.extend(_parent_rows(ctx, df, name))
    return hits


# ---------------------------------------------------------------- DM RFX vs EX, dates after RFPENDTC
def check_rfx_ex(ctx: Context) -> list[Hit]:
    """CG0147/CG0148: RFXSTDTC is the earliest EXSTDTC and RFXENDTC the latest EXSTDTC/EXENDTC of the subject,
    compared at the precision both dates share."""
    dm, ex = ctx.datasets.get("DM"), ctx.datasets.get("EX")
    if dm is None or ex is None or not {"USUBJID", "EXSTDTC"} <= set(ex.columns):
        return []
    ends_from = ["EXSTDTC", "EXENDTC"] if "EXENDTC" in ex.columns else ["EXSTDTC"]
    hits = []
    for col, sources, pick in (("RFXSTDTC", ["EXSTDTC"], "first"), ("RFXENDTC", ends_from, "last")):
        if col not in dm.columns:
            continue
        want = _exposure_dates(ctx, sources, pick)
        if want is None:
            continue
        expected = dm["USUBJID"].map(want)
        has = dm["USUBJID"].isin(want.index).to_numpy()
        got = dm[col].astype(object)
        # equal, or equal at the precision both share (RFXENDTC 2024 vs EX last 2024-01-12, SDTMIG 3.4 4.4.2)
        pg, pe = iso_digits(got), iso_digits(expected)
        same = pg[0] & pe[0] & ~digits_after(pg, pe) & ~digits_after(pe, pg)
        rows = _pos(has & ~(got.eq(expected).fillna(False).to_numpy(dtype=bool) | same))
        if len(rows):
            hits.append(
                Hit(
                    "RFX-EX",
                    "DM",
                    col,
                    rows,
                    f"{len(rows)} subject(s) whose {col} is not the {pick} exposure date",
                    extra={f"EX {pick}": expected.iloc[rows].tolist()},
                )
            )
    return hits


def _exposure_dates(ctx: Context, sources: list[str], pick: str) -> pd.Series | None:
    """Per subject (index USUBJID), the first / last (``pick``) of the EX dates in ``sources`` by their digits
    (:func:`iso_digits`; ties in the order of the rows, ``sources`` one after the other); None without dates."""
    ex = ctx.datasets["EX"]
    cache = ctx.cache("EX")
    subject, texts = cache.text("USUBJID"), [cache.text(c) for c in sources]
    if subject is None or any(t is None for t in texts):
        return _exposure_dates_by_frame(ex, sources, pick)
    # every value is text: digits of the distinct dates (memoised), ordering by subject code then digits
    kept = [np.flatnonzero((subject[0] >= 0) & (t[0] >= 0)) for t in texts if t is not None]
    if not sum(len(k) for k in kept):
        return None
    subj = np.concatenate([subject[0][k] for k in kept])
    full = np.concatenate([ctx.iso("EX", c)[1][k] for c, k in zip(sources, kept)])
    dates = np.concatenate([ex[c].to_numpy(dtype=object)[k] for c, k in zip(sources, kept)])
    order = np.lexsort((full, subj))  # stable: equal digits keep the rows' order
    ordered = subj[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)] - 1
    at = order[starts if pick == "first" else ends]
    return pd.Series(dates[at], index=pd.Index(subject[1].to_numpy(dtype=object)[subj[at]]), dtype=object)


def _exposure_dates_by_frame(ex: pd.DataFrame, sources: list[str], pick: str) -> pd.Series | None:
    """:func:`_exposure_dates` with pandas, for columns that are not all text."""
    dates = pd.concat([ex[["USUBJID", c]].dropna().rename(columns={c: "D"}) for c in sources])
    if dates.empty:
        return None
    # order by the zero-padded digits of each date, then take the subject's first / last
    d = dates.assign(_full=iso_digits(dates["D"])[1]).sort_values(["USUBJID", "_full"], kind="stable")
    return d.groupby("USUBJID", sort=False)["D"].agg(pick)


def check_mh_before_rfstdtc(ctx: Context) -> list[Hit]:
    """CG0079: MHSTDTC before DM.RFSTDTC. Reported where it is certainly on or after it: later at the precision
    both share (capped at the day), or the same day with both dates complete to the day."""
    mh = ctx.datasets.get("MH")
    if mh is None or "MHSTDTC" not in mh.columns or not is_text(mh["MHSTDTC"]) or not _has_dm(ctx, mh, "RFSTDTC"):
        return []
    va, fa, na = ctx.iso("MH", "MHSTDTC")
    vb, fb, nb = ctx.subject_iso("MH", "RFSTDTC")
    day = 8  # digits of YYYYMMDD
    scale = np.power(10, 14 - np.minimum(np.minimum(na, nb), day)).astype(np.int64)
    a, b = fa // scale, fb // scale
    rows = _pos(va & vb & ((a > b) | ((a == b) & (na >= day) & (nb >= day))))
    if not len(rows):
        return []
    rf = _subject_column(ctx, "MH", "RFSTDTC")
    assert rf is not None
    return [
        Hit(
            "MH-START-ON-AFTER-RFSTDTC",
            "MH",
            "MHSTDTC",
            rows,
            f"{len(rows)} medical history record(s) starting on or after DM.RFSTDTC",
            extra={"DM.RFSTDTC": rf.iloc[rows].tolist()},
        )
    ]


def check_after_rfpendtc(ctx: Context) -> list[Hit]:
    """FB3406/FB3407: --DTC and --ENDTC on or before the subject's DM.RFPENDTC (shared precision)."""
    hits = []
    for name, df in ctx.datasets.items():
        if name == "DM" or ctx.standards.get(name) != SDTMIG or "USUBJID" not in df.columns:
            continue
        code = name[:2]
        cols = [c for c in (f"{code}DTC", f"{code}ENDTC") if c in df.columns and is_text(df[c])]
        if not cols:
            continue
        if not _has_dm(ctx, df, "RFPENDTC"):
            return []
        bound = ctx.subject_iso(name, "RFPENDTC")
        for col in cols:
            rows = _pos(digits_after(ctx.iso(name, col), bound))
            if len(rows):
                end = _subject_column(ctx, name, "RFPENDTC")
                assert end is not None
                hits.append(
                    Hit(
                        "DTC-AFTER-RFPENDTC",
                        name,
                        col,
                        rows,
                        f"{len(rows)} date(s) after DM.RFPENDTC",
                        extra={"DM.RFPENDTC": end.iloc[rows].tolist()},
                    )
                )
    return hits


# ---------------------------------------------------------------- study days
def check_study_day_values(ctx: Context) -> list[Hit]:
    """CG0006/CG0220/CG0222: --DY/--STDY/--ENDY equal the study day of their date and DM.RFSTDTC (complete dates)."""
    hits = []
    for name, df in ctx.datasets.items():
        if name == "DM" or ctx.standards.get(name) != SDTMIG or "USUBJID" not in df.columns:
            continue
        code = name[:2]
        pairs = [(f"{code}{d}", f"{code}{y}") for d, y in (("DTC", "DY"), ("STDTC", "STDY"), ("ENDTC", "ENDY"))]
        pairs = [(d, y) for d, y in pairs if d in df.columns and y in df.columns and is_text(df[d])]
        if not pairs:
            continue
        if not _has_dm(ctx, df, "RFSTDTC"):
            return []
        dm_text = ctx.cache("DM").text("RFSTDTC") is not None
        rf = None
        for dcol, ycol in pairs:
            if not pd.api.types.is_numeric_dtype(df[ycol]):
                continue
            got = df[ycol].astype(float)
            if dm_text and ctx.cache(name).text(dcol) is not None:  # all text: study days from the distinct dates
                want = pd.Series(_study_day_of(ctx, name, dcol), index=df.index)
            else:
                rf = _subject_column(ctx, name, "RFSTDTC") if rf is None else rf
                want = study_day(df[dcol], rf)
            rows = _pos((want.notna() & got.notna() & (want != got)).to_numpy(dtype=bool))
            if len(rows):
                rf = _subject_column(ctx, name, "RFSTDTC") if rf is None else rf
                assert rf is not None
                hits.append(
                    Hit(
                        "DY-CALC",
                        name,
                        ycol,
                        rows,
                        f"{len(rows)} {ycol} value(s) differ from the study day of {dcol}",
                        (dcol,),
                        {"expected": want.iloc[rows].tolist(), "DM.RFSTDTC": rf.iloc[rows].tolist()},
                    )
                )
    return hits


# ---------------------------------------------------------------- TS
def check_ts_fda_parameters(ctx: Context) -> list[Hit]:
    """FB1111: TS has INTMODEL, INTTYPE and the pharmacologic class with TSVAL filled (TSPARMCD PCLAS, C98768:
    FB1111 writes "PCLASS", which is not a term of the TSPARMCD codelist)."""
    ts = ctx.datasets.get("TS")
    if ts is None or not {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        return []
    filled = set(ts.loc[ts["TSVAL"].notna(), "TSPARMCD"].dropna())
    missing = [p for p in ("INTMODEL", "INTTYPE", "PCLAS") if p not in filled]
    if not missing:
        return []
    return [Hit("TS-PARAMS-FDA", "TS", "TSPARMCD", detail=f"no TSVAL for {', '.join(missing)}")]


# ---------------------------------------------------------------- FDA technical rejection criteria
def check_submission(ctx: Context) -> list[Hit]:
    """TRC 1734 (TS with an ISO 8601 SSTDTC), 1736 (DM for SDTM, ADSL for ADaM; define.xml). Folder checks only."""
    sub = ctx.submission
    if sub is None:
        return []
    hits = []
    names = set(ctx.datasets)
    sdtm = {n for n in names if ctx.standards.get(n) == SDTMIG}
    adam = names - sdtm
    if sdtm:
        ts = ctx.datasets.get("TS")
        where = "TS" if ts is not None else "(study)"
        if ts is None:
            hits.append(Hit("TRC-TS-SSTDTC", where, None, detail="no TS dataset"))
        elif not {"TSPARMCD", "TSVAL"} <= set(ts.columns):
            hits.append(Hit("TRC-TS-SSTDTC", "TS", "TSPARMCD", detail="TS has no TSPARMCD/TSVAL"))
        else:
            sst = ts.loc[ts["TSPARMCD"].eq("SSTDTC").fillna(False), "TSVAL"]
            ok = is_iso8601(sst) & dtc_to_dt(sst).notna()
            if not ok.any():
                detail = (
                    "no TSPARMCD = SSTDTC record"
                    if sst.empty
                    else f"SSTDTC is not a complete ISO 8601 date: {sst.tolist()[:3]}"
                )
                hits.append(
                    Hit("TRC-TS-SSTDTC", "TS", "TSVAL", _pos(ts["TSPARMCD"].eq("SSTDTC").fillna(False)), detail)
                )
        if "DM" not in names:
            hits.append(Hit("TRC-DM-ADSL", "(study)", None, detail="no DM dataset in an SDTM folder"))
    if adam and "ADSL" not in names:
        hits.append(Hit("TRC-DM-ADSL", "(study)", None, detail="no ADSL dataset in an ADaM folder"))
    if not sub.get("define", True):
        hits.append(Hit("TRC-DEFINE", "(study)", None, detail="no define.xml in the folder"))
    return hits


CROSS: list[Callable[[Context], list[Hit]]] = [
    check_arms_in_ta,
    check_death_dates,
    check_death_before_dose,
    check_fatal_ae,
    check_parents,
    check_rfx_ex,
    check_mh_before_rfstdtc,
    check_after_rfpendtc,
    check_study_day_values,
    check_ts_fda_parameters,
    check_submission,
]
