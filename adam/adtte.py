"""ADTTE: generic time-to-event derivation from event and censoring sources, plus the PFS censoring rules.

>>> import pandas as pd
>>> adsl = pd.DataFrame({"STUDYID": ["S", "S"], "USUBJID": ["1", "2"], "TRTSDT": pd.to_datetime(["2025-01-01"] * 2),
...                      "DTHDT": pd.to_datetime(["2025-03-01", None]), "LSTALVDT": pd.to_datetime(["2025-03-01", "2025-06-30"])})
>>> death = TTESource("ADSL", date="DTHDT", where={"DTHDT": {"not": None}}, evntdesc="DEATH", srcdom="ADSL", srcvar="DTHDT")
>>> alive = TTESource("ADSL", date="LSTALVDT", censor=1, cnsdtdsc="LAST KNOWN ALIVE", srcdom="ADSL", srcvar="LSTALVDT")
>>> t = derive_param_tte(adsl, {"ADSL": adsl}, TTESource("ADSL", date="TRTSDT"), [death], [alive], {"PARAMCD": "OS"})
>>> t[["USUBJID", "AVAL", "CNSR"]].values.tolist()
[['1', 60.0, 0.0], ['2', 181.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisckit.conditions import filter_rows, frame_mask, substitute
from cdisckit.dates import impute_dtc_dt

from .util import is_in, lookup

ADEQUATE = ["CR", "PR", "SD", "NON-CR/NON-PD"]


@dataclass(frozen=True)
class TTESource:
    """One event or censoring source: rows of ``dataset`` meeting the declarative condition ``where``
    (``{COLUMN: value}``, see :func:`cdisckit.adam.util.condition_problem`; None = all rows), dated by ``date``.

    ``censor`` 0 = event, positive = censoring reason; EVNTDESC (event or censoring description, ADaMIG ADTTE;
    a censoring source without ``evntdesc`` uses its ``cnsdtdsc``), CNSDTDSC and SRCDOM/SRCVAR/SRCSEQ describe it
    (``srcseq`` names a column of the source, e.g. ASEQ).
    """

    dataset: str
    date: str
    where: dict | None = None
    censor: int = 0
    evntdesc: str | None = None
    cnsdtdsc: str | None = None
    srcdom: str | None = None
    srcvar: str | None = None
    srcseq: str | None = None
    desc: str | None = None  # start sources: what the time origin is (STARTDSC)

    key: str = "where"

    @classmethod
    def from_dict(cls, d: dict, key: str = "where", **fill) -> TTESource:
        """Source from a params entry; ``{p}``, ``{origin}``, ... in its texts (also inside ``where``) filled."""
        keys = {"dataset", "date", "where", "censor", "evntdesc", "cnsdtdsc", "srcdom", "srcvar", "srcseq", "desc"}
        return cls(**{k: substitute(v, fill) for k, v in d.items() if k in keys}, key=key)


def _source_rows(source: TTESource, source_datasets: dict[str, pd.DataFrame], order: int) -> pd.DataFrame:
    data = source_datasets.get(source.dataset)
    cols = ["USUBJID", "ADT", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ", "_O"]
    if data is None or data.empty or source.date not in data:
        return pd.DataFrame(columns=cols)
    used = ["USUBJID", source.date] + ([source.srcseq] if source.srcseq in data else [])
    rows = data.loc[:, list(dict.fromkeys(used))]  # the columns used, not the whole dataset, filtered
    if source.where is not None:
        rows = rows[frame_mask(data, source.where, key=source.key).to_numpy()]
    return pd.DataFrame(
        {
            "USUBJID": rows["USUBJID"].values,
            "ADT": pd.to_datetime(rows[source.date]).astype("datetime64[ns]").values,
            "CNSR": float(source.censor),
            "EVNTDESC": source.evntdesc if source.censor == 0 else (source.evntdesc or source.cnsdtdsc),
            "CNSDTDSC": source.cnsdtdsc if source.censor else None,
            "SRCDOM": source.srcdom,
            "SRCVAR": source.srcvar,
            "SRCSEQ": pd.to_numeric(rows[source.srcseq], errors="coerce").values if source.srcseq in rows else np.nan,
            "_O": order,
        }
    ).dropna(subset=["ADT"])


def derive_start_date(
    dataset_adsl: pd.DataFrame, source_datasets: dict[str, pd.DataFrame], start: TTESource
) -> pd.Series:
    """STARTDT per subject: earliest ``start.date`` among rows of the start source (ADSL column or e.g. ADRS CRSP)."""
    rows = _source_rows(start, {**source_datasets, "ADSL": dataset_adsl}, 0)
    return rows.groupby("USUBJID")["ADT"].min()


def derive_param_tte(
    dataset_adsl: pd.DataFrame,
    source_datasets: dict[str, pd.DataFrame],
    start: TTESource,
    event_conditions: list[TTESource],
    censor_conditions: list[TTESource],
    set_values_to: dict,
) -> pd.DataFrame:
    """One record per subject with a start date: the earliest event on/after STARTDT, else the latest censoring
    date on/after STARTDT (ties: the source listed first). AVAL = ADT - STARTDT + 1 (days); subjects with
    neither are censored at STARTDT (CNSR 1) only if a censor source exists, else dropped.
    """
    sources = {**source_datasets, "ADSL": dataset_adsl}
    startdt = derive_start_date(dataset_adsl, source_datasets, start)
    subj = dataset_adsl[["STUDYID", "USUBJID"]].copy()
    subj["STARTDT"] = lookup(subj["USUBJID"], startdt).astype("datetime64[ns]")
    subj = subj[subj["STARTDT"].notna()]
    ev = [_source_rows(s, sources, k) for k, s in enumerate(event_conditions)]
    ce = [_source_rows(s, sources, k) for k, s in enumerate(censor_conditions)]
    ev = pd.concat(
        [e for e in ev if not e.empty] or [pd.DataFrame(columns=ev[0].columns if ev else [])], ignore_index=True
    )
    ce = pd.concat(
        [c for c in ce if not c.empty] or [pd.DataFrame(columns=["USUBJID", "ADT", "_O"])], ignore_index=True
    )
    st = subj.set_index("USUBJID")["STARTDT"]
    picked = []
    if not ev.empty:
        ev = ev[is_in(ev["USUBJID"], st.index)]
        ev = ev[ev["ADT"] >= lookup(ev["USUBJID"], st)]
        picked.append(ev.sort_values(["USUBJID", "ADT", "_O"]).drop_duplicates("USUBJID"))
    if not ce.empty:
        ce = ce[is_in(ce["USUBJID"], st.index)]
        ce = ce[ce["ADT"] >= lookup(ce["USUBJID"], st)]
        if picked:
            ce = ce[~is_in(ce["USUBJID"], picked[0]["USUBJID"])]
        picked.append(
            ce.sort_values(["USUBJID", "ADT", "_O"], ascending=[True, False, True]).drop_duplicates("USUBJID")
        )
    rows = pd.concat(picked, ignore_index=True) if picked else pd.DataFrame(columns=["USUBJID", "ADT", "CNSR"])
    out = subj.merge(rows.drop(columns="_O", errors="ignore"), on="USUBJID", how="inner")
    out["ADT"] = pd.to_datetime(out["ADT"]).astype("datetime64[ns]")
    out["AVAL"] = (out["ADT"] - out["STARTDT"]).dt.days.astype(float) + 1
    out["CNSR"] = out["CNSR"].astype(float)
    for k, v in set_values_to.items():
        out[k] = v
    return out


def derive_last_adequate(
    dataset: pd.DataFrame, assessments: pd.DataFrame, date: str, allow_same_day: bool
) -> pd.DataFrame:
    """Per row of ``dataset``: date/ASEQ of the last adequate assessment (CR/PR/SD/NON-CR/NON-PD) on or before
    (``allow_same_day``) or strictly before the ``date`` column; LADT/LASEQ."""
    left = dataset[["USUBJID", date]].reset_index().rename(columns={date: "_K"})
    left["_K"] = pd.to_datetime(left["_K"]).astype("datetime64[ns]")
    right = assessments[assessments["AVALC"].isin(ADEQUATE)][["USUBJID", "ADT", "ASEQ"]].rename(
        columns={"ADT": "_K", "ASEQ": "LASEQ"}
    )
    right = right.assign(LADT=right["_K"]).dropna(subset=["_K"]).sort_values("_K")
    valid = left["_K"].notna()
    m = pd.merge_asof(
        left[valid].sort_values("_K"),
        right,
        on="_K",
        by="USUBJID",
        direction="backward",
        allow_exact_matches=allow_same_day,
    )
    m = m.set_index("index").reindex(dataset.index)
    return dataset.assign(LADT=pd.to_datetime(m["LADT"]).astype("datetime64[ns]"), LASEQ=m["LASEQ"].astype(float))


def count_missed_visits(
    last_day: pd.Series, event_day: pd.Series, timepoints: list[dict], default_window: int = 7
) -> pd.Series:
    """Planned assessments missed between the last adequate assessment and the event, per row.

    Days count from the origin (``timepoints`` day = ADT - origin). A timepoint is missed when its whole window
    lies strictly between the two assessments: last_day + window < day < event_day - window (window = the
    timepoint's own ``window``, else ``default_window``), so an event inside a timepoint's window is that
    timepoint's assessment.

    >>> import pandas as pd
    >>> tps = [{"day": 84, "window": 7}, {"day": 126, "window": 7}, {"day": 182, "window": 14}]
    >>> count_missed_visits(pd.Series([42.0, 42.0, 126.0]), pd.Series([180.0, 126.0, 230.0]), tps).tolist()
    [2, 1, 1]
    """
    n = pd.Series(0, index=last_day.index)
    for tp in timepoints:
        w = tp.get("window")
        w = default_window if w is None else w
        n += ((last_day + w < tp["day"]) & (tp["day"] < event_day - w)).astype(int)
    return n


def apply_censoring_rules(
    dataset: pd.DataFrame,
    assessments: pd.DataFrame,
    new_therapy: pd.Series | None,
    censor_new_therapy: bool = True,
    missed_assessments: int = 2,
    interval_days: int = 42,
    window_days: int = 7,
    start_src: tuple = ("ADSL", "TRTSDT"),
    timepoints: list[dict] | None = None,
    origin: str = "STARTDT",
) -> pd.DataFrame:
    """PFS/DoR censoring rules applied to derive_param_tte output (one row per subject).

    1. New anticancer therapy started (on/after STARTDT) before the event, or at any time for a censored subject:
       censored (CNSR 3) at the last adequate assessment on or before the therapy start (else STARTDT).
    2. Missed assessments before the event (PD or death): censored (CNSR 4) at the last adequate assessment
       before it (else STARTDT). With ``timepoints`` (the planned schedule, days from the ``origin`` column):
       when at least ``missed_assessments`` planned timepoints lie strictly between that assessment and the
       event (:func:`count_missed_visits`). Without timepoints: when the event is more than
       ``missed_assessments`` x ``interval_days`` + ``window_days`` days after it.
       ``missed_assessments`` 0 switches the rule off. ``start_src`` = (SRCDOM, SRCVAR) of STARTDT.
    """
    out = dataset.copy()
    src = ["ADT", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ"]
    for c in src:
        if c not in out:
            out[c] = None

    def censor_at(mask, rows, cnsr, desc, reason):
        at_ass = mask & rows["LADT"].notna()
        at_start = mask & rows["LADT"].isna()
        out.loc[mask, "CNSR"] = float(cnsr)
        out.loc[mask, "EVNTDESC"] = reason
        out.loc[at_ass, "CNSDTDSC"] = desc
        out.loc[at_ass, "ADT"] = rows.loc[at_ass, "LADT"]
        out.loc[at_ass, "SRCDOM"], out.loc[at_ass, "SRCVAR"] = "ADRS", "ADT"
        out.loc[at_ass, "SRCSEQ"] = rows.loc[at_ass, "LASEQ"]
        out.loc[at_start, "CNSDTDSC"] = desc.replace("LAST ADEQUATE ASSESSMENT", "TIME ORIGIN (NO ADEQUATE ASSESSMENT)")
        out.loc[at_start, "ADT"] = out.loc[at_start, "STARTDT"]
        out.loc[at_start, "SRCDOM"], out.loc[at_start, "SRCVAR"] = start_src
        out.loc[at_start, "SRCSEQ"] = np.nan

    if censor_new_therapy and new_therapy is not None and not new_therapy.empty:
        nt = lookup(out["USUBJID"], new_therapy).astype("datetime64[ns]")
        # a censored subject who started new therapy is censored for that reason too (FDA 2018: last adequate
        # assessment before the new therapy), an event after the therapy start is not counted
        hit = nt.notna() & (nt >= out["STARTDT"]) & ((nt < out["ADT"]) | (out["CNSR"] != 0))
        if hit.any():
            rows = derive_last_adequate(out.assign(_NT=nt), assessments, "_NT", allow_same_day=True)
            rows.loc[rows["LADT"] < rows["STARTDT"], ["LADT", "LASEQ"]] = [pd.NaT, np.nan]
            censor_at(hit, rows, 3, "LAST ADEQUATE ASSESSMENT BEFORE NEW ANTICANCER THERAPY", "NEW ANTICANCER THERAPY")
    if missed_assessments and missed_assessments > 0:
        rows = derive_last_adequate(out, assessments, "ADT", allow_same_day=False)
        rows.loc[rows["LADT"] < rows["STARTDT"], ["LADT", "LASEQ"]] = [pd.NaT, np.nan]
        ref = rows["LADT"].fillna(rows["STARTDT"])
        if timepoints:
            org = pd.to_datetime(out[origin]).astype("datetime64[ns]")
            missed = count_missed_visits(
                (ref - org).dt.days.astype(float), (out["ADT"] - org).dt.days.astype(float), timepoints, window_days
            )
            hit = (out["CNSR"] == 0) & org.notna() & (missed >= missed_assessments)
        else:
            gap = (out["ADT"] - ref).dt.days
            hit = (out["CNSR"] == 0) & (gap > missed_assessments * interval_days + window_days)
        if hit.any():
            censor_at(
                hit,
                rows,
                4,
                f"LAST ADEQUATE ASSESSMENT BEFORE {missed_assessments}+ MISSED ASSESSMENTS",
                f"EVENT AFTER {missed_assessments}+ MISSED ASSESSMENTS",
            )
    out["ADT"] = pd.to_datetime(out["ADT"]).astype("datetime64[ns]")
    out["CNSR"] = out["CNSR"].astype(float)
    out["AVAL"] = (out["ADT"] - out["STARTDT"]).dt.days.astype(float) + 1
    return out


def new_therapy_dates(sdtm: dict[str, pd.DataFrame], spec: dict | None, warn: Callable[[str], None]) -> pd.Series:
    """Earliest start (partial: first day of the period) of new anticancer therapy per subject."""
    if not spec:
        return pd.Series(dtype="datetime64[ns]")
    data = sdtm.get(spec["dataset"])
    if data is None or data.empty or spec["date"] not in data:
        warn(f"ADTTE: no {spec['dataset']}.{spec['date']}; new anticancer therapy is not considered")
        return pd.Series(dtype="datetime64[ns]")
    rows = filter_rows(data, spec.get("where"), key="new_therapy.where")
    d, _ = impute_dtc_dt(rows[spec["date"]], highest_imputation="M", date_imputation="first")
    return pd.DataFrame({"USUBJID": rows["USUBJID"].values, "d": d.values}).dropna().groupby("USUBJID")["d"].min()


def start_description(start: TTESource, origin_labels: dict) -> str:
    """STARTDSC: what the time origin is, e.g. ``first dose of study treatment (ADSL.TRTSDT)``.

    >>> start_description(TTESource("ADSL", date="TRTSDT"), {"TRTSDT": "first dose"})
    'first dose (ADSL.TRTSDT)'
    """
    if start.dataset == "ADSL":
        return f"{start.desc or origin_labels.get(start.date, start.date)} (ADSL.{start.date})"
    return start.desc or f"{start.dataset}.{start.date}"


def derive_adtte(
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    params: dict,
    new_therapy: pd.Series,
    warn: Callable[[str], None],
    sdtm: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Every parameter of params['tte']; per-criterion ones for each criterion present in ADRS. A parameter with
    ``only_with: RS`` runs only when that SDTM dataset has records."""
    present = [
        c
        for c in params["criteria"]
        if not adrs.empty and "PARCAT1" in adrs and (adrs["PARCAT1"] == c.get("parcat1", c["rscat"])).any()
    ]
    parts = []
    for i, t in enumerate(params["tte"]):
        need = t.get("only_with")
        if need and (sdtm is None or sdtm.get(str(need).upper()) is None or sdtm[str(need).upper()].empty):
            continue
        crits = present if t.get("per_criterion") else [None]
        for crit in crits:
            p = crit["prefix"] if crit else ""
            fill = {"p": p, "origin": params["origin"], "os_origin": params["os_origin"]}
            start = TTESource.from_dict({"dataset": "ADSL", **t["start"]}, key=f"tte[{i}].start.where", **fill)
            events = [
                TTESource.from_dict(s, key=f"tte[{i}].events[{j}].where", **fill) for j, s in enumerate(t["events"])
            ]
            censors = [
                TTESource.from_dict(s, key=f"tte[{i}].censors[{j}].where", **fill)
                for j, s in enumerate(t.get("censors", []))
            ]
            if start.dataset == "ADSL" and start.date not in adsl:
                warn(f"ADTTE {p}{t['paramcd']}: ADSL has no {start.date}; parameter skipped")
                continue
            label = t.get("param", t["paramcd"]).format(crit=crit.get("label", crit["rscat"]) if crit else "")
            values = {
                "PARAMCD": p + t["paramcd"],
                "PARAM": label,
                "PARCAT1": crit.get("parcat1", crit["rscat"]) if crit else None,
                "STARTDSC": start_description(start, params.get("origin_labels") or {}),
            }
            tte = derive_param_tte(adsl, {"ADRS": adrs}, start, events, censors, values)
            if t.get("censoring_rules") and crit is not None and not tte.empty:
                used = (adrs["PARAMCD"] == p + "OVR") & (adrs["ANL01FL"] == "Y")
                ovr = adrs.loc[used, ["USUBJID", "ADT", "ASEQ", "AVALC"]]  # what the censoring rules read
                origin = params["origin"]
                tte["_ORIGIN"] = lookup(tte["USUBJID"], adsl.set_index("USUBJID")[origin]) if origin in adsl else pd.NaT
                tte = apply_censoring_rules(
                    tte,
                    ovr,
                    new_therapy,
                    params["pfs_censor_new_therapy"],
                    params["pfs_missed_assessments"],
                    params["assessment_interval_days"],
                    params["assessment_window_days"],
                    (start.dataset, start.date),
                    timepoints=params["timepoints"],
                    origin="_ORIGIN",
                ).drop(columns="_ORIGIN")
            parts.append(tte)
    if not parts:
        return pd.DataFrame(columns=["STUDYID", "USUBJID"])
    out = pd.concat(parts, ignore_index=True)
    from .adrs import check_param_one_to_one

    check_param_one_to_one(out, "tte")
    keep = [c for c in ("SUBJID", "SITEID", "TRT01P", "TRT01PN", "TRT01A", "TRT01AN", "SAFFL", "EFFFL") if c in adsl]
    return out.merge(adsl[["USUBJID"] + keep], on="USUBJID", how="left")
