"""Subject elements (SE), EPOCH of any record from SE, and subject visits (SV). Vectorised over subjects.

SE: each element of the trial design has a start rule (the first or last of some dates of one dataset, optionally
filtered and moved by a number of days); a subject's elements are those of their arm (actual arm, else planned
arm, else the elements every arm starts with) whose start date exists and is not after the subject's end. An
element ends where the next one starts; the last one at the subject's end (``subject_end``, DM.RFPENDTC).

EPOCH: a record's date, partial or not, spans a range of days (``2025-03`` = 1 to 31 March). EPOCH is the epoch of
the subject's elements that range lies in wholly; when it straddles two epochs (or lies outside every element)
EPOCH is blank. The day an element starts belongs to that element.

>>> se = pd.DataFrame({"USUBJID": ["S1"] * 3, "SESTDTC": ["2025-01-02", "2025-01-20", "2025-02-10"],
...                    "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"]})
>>> derive_epoch_from_se(pd.Series(["2025-01-19", "2025-01-20T08:00", "2025-01", "2025-02", "2024"]),
...                      pd.Series(["S1"] * 5), se).tolist()
['SCREENING', 'TREATMENT', nan, nan, nan]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.conditions import frame_mask
from cdisckit.dates import date_bounds, dtc_to_dt, study_day
from cdisckit.errors import InputError


def derive_element_start(rule: dict, datasets: dict[str, pd.DataFrame], usubjid: pd.Series) -> pd.Series:
    """Start date of one element per subject (ISO 8601 text, NaN when the subject never reached it).

    >>> ex = pd.DataFrame({"USUBJID": ["A", "A", "B"], "EXCAT": ["LD", "CAR-T", "LD"],
    ...                    "EXSTDTC": ["2025-03-05T08:00", "2025-03-10", "2025-04-01"], "EXENDTC": ["2025-03-05", None, "2025-04-01"]})
    >>> subj = pd.Series(["A", "B", "C"])
    >>> derive_element_start({"first_date": "EX.EXSTDTC", "where": {"EXCAT": "CAR-T"}}, {"EX": ex}, subj).tolist()
    ['2025-03-10', nan, nan]
    >>> derive_element_start({"last_date": ["EX.EXENDTC"], "offset_days": 29, "not_if_blank": "EX.EXENDTC"},
    ...                      {"EX": ex}, subj).tolist()
    [nan, '2025-04-30', nan]
    """
    how = "first_date" if "first_date" in rule else "last_date"
    refs = rule[how] if isinstance(rule[how], list) else [rule[how]]
    dom = refs[0].split(".")[0]
    df = datasets.get(dom)
    out = pd.Series(np.nan, index=usubjid.index, dtype=object)
    if df is None or df.empty:
        return out
    if rule.get("where"):
        df = df[frame_mask(df, rule["where"], key="start.where")]
    cols = [r.split(".")[1] for r in refs if r.split(".")[1] in df.columns]
    if not cols:
        return out
    long = pd.concat([df[["USUBJID", c]].set_axis(["USUBJID", "DTC"], axis=1) for c in cols], ignore_index=True)
    long = long[long["DTC"].notna() & long["DTC"].astype(str).str.strip().ne("")]
    g = long.groupby("USUBJID")["DTC"]
    per = g.min() if how == "first_date" else g.max()
    if rule.get("offset_days"):
        d = dtc_to_dt(per) + pd.to_timedelta(int(rule["offset_days"]), unit="D")
        per = d.dt.strftime("%Y-%m-%d").where(d.notna())
    if rule.get("not_if_blank"):
        var = rule["not_if_blank"].split(".")[1]
        if var in df.columns:
            ongoing = df.loc[df[var].isna() | df[var].astype(str).str.strip().eq(""), "USUBJID"].unique()
            per = per[~per.index.isin(ongoing)]
    return usubjid.map(per).astype(object)


def _arm_sequences(design: dict) -> tuple[dict[str, list[str]], list[str]]:
    """Element sequence per ARMCD, and the elements every arm starts with (for subjects without an arm)."""
    seqs = {cd: list(a["elements"]) for cd, a in design["arms"].items()}
    common: list[str] = []
    for i, etcd in enumerate(next(iter(seqs.values()))):
        if all(len(s) > i and s[i] == etcd for s in seqs.values()):
            common.append(etcd)
        else:
            break
    return seqs, common


def derive_se(datasets: dict[str, pd.DataFrame], design: dict, *, study_id: str, reference: str = "RFSTDTC"):
    """SE of every subject of DM (see the module docstring); SESEQ in chronological order."""
    dm = datasets["DM"]
    subj = dm["USUBJID"].reset_index(drop=True)
    end_var = design.get("subject_end", "DM.RFPENDTC").split(".")[1]
    arm = pd.Series(np.nan, index=subj.index, dtype=object)
    for v in ("ARMCD", "ACTARMCD"):  # actual arm wins over planned arm
        if v in dm.columns:
            arm = dm[v].reset_index(drop=True).where(lambda s: s.notna(), arm)
    seqs, common = _arm_sequences(design)
    seqs[""] = common
    arm = arm.where(arm.isin(list(seqs)), "").fillna("")
    starts = {
        etcd: derive_element_start(e["start"], datasets, subj)
        for etcd, e in design["elements"].items()
        if e.get("start")
    }
    parts = []
    for armcd, seq in seqs.items():
        who = arm.eq(armcd)
        if not who.any():
            continue
        for order, etcd in enumerate(seq, start=1):
            if etcd not in starts:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "USUBJID": subj[who].to_numpy(),
                        "ETCD": etcd,
                        "TAETORD": float(order) if armcd or etcd in common else np.nan,
                        "SESTDTC": starts[etcd][who].to_numpy(),
                    }
                )
            )
    cols = ["STUDYID", "DOMAIN", "USUBJID", "SESEQ", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC"]
    if not parts:
        return pd.DataFrame(columns=cols)
    se = pd.concat(parts, ignore_index=True)
    se = se[se["SESTDTC"].notna()]
    subject_end = dm.set_index("USUBJID")[end_var] if end_var in dm.columns else pd.Series(dtype=object)
    se["_END"] = se["USUBJID"].map(subject_end)
    start_d, end_d = dtc_to_dt(se["SESTDTC"]), dtc_to_dt(se["_END"])
    se = se[~(end_d.notna() & start_d.notna() & (start_d > end_d))]
    se = se.sort_values(["USUBJID", "TAETORD", "SESTDTC"], kind="stable")
    prev = se.groupby("USUBJID")["SESTDTC"].shift()
    bad = prev.notna() & (dtc_to_dt(se["SESTDTC"]) < dtc_to_dt(prev))
    if bad.any():
        r = se[bad].iloc[0]
        raise InputError(
            f"subject {r['USUBJID']}: element {r['ETCD']} starts on {r['SESTDTC']}, before the element before it in "
            f"the arm (on {prev[bad].iloc[0]}); check the design's start rules and the subject's dates",
            file=design.get("file"),
            key=f"elements.{r['ETCD']}.start",
        )
    nxt = se.groupby("USUBJID")["SESTDTC"].shift(-1)
    se["SEENDTC"] = nxt.where(nxt.notna(), se["_END"])
    se["ELEMENT"] = se["ETCD"].map({k: e["element"] for k, e in design["elements"].items()})
    se["EPOCH"] = se["ETCD"].map({k: e["epoch"] for k, e in design["elements"].items()})
    se["STUDYID"], se["DOMAIN"] = study_id, "SE"
    se["SESEQ"] = (se.groupby("USUBJID").cumcount() + 1).astype("float64")
    if reference in dm.columns:
        ref = se["USUBJID"].map(dm.set_index("USUBJID")[reference])
        se["SESTDY"] = study_day(se["SESTDTC"], ref).to_numpy()
        se["SEENDY"] = study_day(se["SEENDTC"], ref).to_numpy()
    return se.drop(columns="_END").reset_index(drop=True)


def epoch_spans(se: pd.DataFrame) -> pd.DataFrame:
    """Per subject, runs of consecutive elements with the same epoch as day ranges [S, E] (E NaT = open), sorted by
    USUBJID and S: what :func:`derive_epoch_from_se` looks records up in (compute it once per SE)."""
    s = se[["USUBJID", "SESTDTC", "EPOCH"]].copy()
    s["_S"] = dtc_to_dt(s["SESTDTC"])
    s = s[s["_S"].notna()].sort_values(["USUBJID", "_S"], kind="stable")
    new_run = s["EPOCH"].ne(s.groupby("USUBJID")["EPOCH"].shift()) | s["USUBJID"].ne(s["USUBJID"].shift())
    s["_RUN"] = new_run.cumsum()
    runs = s.groupby("_RUN").agg(USUBJID=("USUBJID", "first"), EPOCH=("EPOCH", "first"), S=("_S", "min"))
    runs = runs.sort_values(["USUBJID", "S"], kind="stable")
    runs["E"] = runs.groupby("USUBJID")["S"].shift(-1) - pd.Timedelta(days=1)
    return runs.reset_index(drop=True)


#: Days (from 1970) are shifted by this before a subject's number is put above them in one int64 search key.
_DAY_SHIFT = 1 << 20


def derive_epoch_from_se(
    dtc: pd.Series, usubjid: pd.Series, se: pd.DataFrame, spans: pd.DataFrame | None = None
) -> pd.Series:
    """EPOCH of records (their --DTC and USUBJID) from the subjects' elements; see the module docstring.

    ``spans`` is :func:`epoch_spans` of ``se`` when already computed. A record's days [LO, HI] can only lie
    wholly in its subject's last span starting on or before LO (an earlier span ends before that one starts), so
    that span is found by ``numpy.searchsorted`` on (subject, start day) and the record's epoch is its epoch when
    HI is not after the span's end.
    """
    out = pd.Series(np.nan, index=dtc.index, dtype=object)
    if se is None or se.empty or dtc.isna().all():
        return out
    codes, uniq = pd.factorize(dtc, use_na_sentinel=True)
    lo_u, hi_u = date_bounds(pd.Series(np.asarray(uniq, dtype=object), dtype=object))
    spans = epoch_spans(se) if spans is None else spans
    has = np.flatnonzero(codes >= 0)
    lo = lo_u.to_numpy()[codes[has]]
    hi = hi_u.to_numpy()[codes[has]]
    span_subject, subjects = pd.factorize(spans["USUBJID"], use_na_sentinel=False)  # sorted: codes ascend
    subj_codes, subj_uniq = pd.factorize(usubjid.iloc[has], use_na_sentinel=False)  # USUBJIDs repeat: look each up once
    subject = pd.Index(subjects).get_indexer(subj_uniq)[subj_codes]
    dated = (subject >= 0) & ~np.isnat(lo) & ~np.isnat(hi)
    has, lo, hi, subject = has[dated], lo[dated], hi[dated], subject[dated]
    start = spans["S"].to_numpy(dtype="datetime64[ns]")
    end = spans["E"].to_numpy(dtype="datetime64[ns]")
    keys = span_subject * _DAY_SHIFT * 2 + (start.astype("datetime64[D]").astype(np.int64) + _DAY_SHIFT)
    wanted = subject * _DAY_SHIFT * 2 + (lo.astype("datetime64[D]").astype(np.int64) + _DAY_SHIFT)
    j = np.searchsorted(keys, wanted, side="right") - 1
    jj = np.maximum(j, 0)
    hit = (j >= 0) & (span_subject[jj] == subject) & (np.isnat(end[jj]) | (hi <= end[jj]))
    values = out.to_numpy(copy=True)
    values[has[hit]] = spans["EPOCH"].to_numpy(dtype=object)[jj[hit]]
    return pd.Series(values, index=dtc.index, dtype=object).where(lambda s: s.notna(), np.nan)


def derive_sv(
    calendar: pd.DataFrame,
    *,
    study_id: str,
    tv: pd.DataFrame,
    dm: pd.DataFrame,
    unscheduled_description: str | None = None,
    reference: str = "RFSTDTC",
) -> pd.DataFrame:
    """SV: one record per subject and visit found in the visit-based raw forms (``calendar``: USUBJID, VISITNUM,
    VISIT, DATE). SVSTDTC/SVENDTC = first/last date of the visit's records; planned visits (in TV) have SVPRESP
    and SVOCCUR ``Y`` and VISITDY; unscheduled ones SVUPDES.

    >>> cal = pd.DataFrame({"USUBJID": ["A"] * 3, "VISITNUM": [1.0, 1.0, 1.01], "VISIT": ["SCREENING"] * 2 + ["UNSCHEDULED 1.01"],
    ...                     "DATE": ["2025-01-03", "2025-01-05", "2025-02-01"]})
    >>> tv = pd.DataFrame({"VISITNUM": [1.0], "VISITDY": [-28.0]})
    >>> derive_sv(cal, study_id="S", tv=tv, dm=pd.DataFrame({"USUBJID": ["A"]}), unscheduled_description="Extra")[
    ...     ["VISITNUM", "SVPRESP", "SVSTDTC", "SVENDTC", "SVUPDES"]].values.tolist()
    [[1.0, 'Y', '2025-01-03', '2025-01-05', None], [1.01, None, '2025-02-01', '2025-02-01', 'Extra']]
    """
    cal = calendar[calendar["USUBJID"].isin(dm["USUBJID"]) & calendar["VISITNUM"].notna()]
    cal = cal[cal["DATE"].notna()]
    if cal.empty:
        return pd.DataFrame()
    sv = (
        cal.groupby(["USUBJID", "VISITNUM"], as_index=False)
        .agg(VISIT=("VISIT", "first"), SVSTDTC=("DATE", "min"), SVENDTC=("DATE", "max"))
        .sort_values(["USUBJID", "VISITNUM"], kind="stable")
    )
    planned = sv["VISITNUM"].isin(tv["VISITNUM"]) if not tv.empty else pd.Series(False, index=sv.index)
    sv["SVPRESP"] = np.where(planned, "Y", None)
    sv["SVOCCUR"] = np.where(planned, "Y", None)
    visitdy = (
        tv.drop_duplicates("VISITNUM").set_index("VISITNUM")["VISITDY"] if not tv.empty else pd.Series(dtype=float)
    )
    sv["VISITDY"] = sv["VISITNUM"].map(visitdy).astype("float64")
    sv["SVUPDES"] = np.where(planned, None, unscheduled_description)
    for c in ("SVPRESP", "SVOCCUR", "SVUPDES"):
        sv[c] = sv[c].astype(object).where(sv[c].notna(), None)
    sv.insert(0, "DOMAIN", "SV")
    sv.insert(0, "STUDYID", study_id)
    if reference in dm.columns:
        ref = sv["USUBJID"].map(dm.set_index("USUBJID")[reference])
        sv["SVSTDY"] = study_day(sv["SVSTDTC"], ref).to_numpy()
        sv["SVENDY"] = study_day(sv["SVENDTC"], ref).to_numpy()
    return sv.reset_index(drop=True)
