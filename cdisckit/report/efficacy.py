"""Efficacy tables and figure data from ADSL, ADRS, ADTTE, ADTR (only where the study has response data).

* Rates: subjects with AVALC = "Y" over all efficacy subjects (ADSL.EFFFL = "Y") of the column (no record = not a
  responder), exact Clopper-Pearson 95% CI; columns are the cohorts (TRT01A), the dose levels (ADSL DOSE01P, when
  the study declares it) and overall.
* Time to event: ADTTE AVAL (days) from STARTDT, whose meaning (the time origin) is ADTTE STARTDSC; Kaplan-Meier
  with log-log pointwise 95% CI, median CI by Brookmeyer-Crowley (see :mod:`cdisckit.report.stats`).

>>> criteria_in(pd.DataFrame({"PARAMCD": ["MOVR", "OVR"], "PARCAT1": ["MRECIST LENCIONI LIVER CANCER 2010", "RECIST 1.1"],
...                           "PARAM": ["Overall Response by Investigator, mRECIST", "Overall Response, RECIST 1.1"]}))
[('RECIST 1.1', '', 'RECIST 1.1'), ('mRECIST', 'M', 'MRECIST LENCIONI LIVER CANCER 2010')]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .common import (
    _UNIT_DAYS,
    BOR_CATEGORIES,
    CONTROL,
    CRITERIA,
    MISSING_COHORT,
    OS_LANDMARKS,
    OVERALL,
    RESPONSE,
    TIMEPOINTS,
    _cell,
    _get,
    _na,
    _subjects,
    _text,
    _yes,
    num,
)
from .stats import clopper_pearson, kaplan_meier

_BY_CODE: list = [None, {}]  # [the ADRS frame, {PARAMCD: row positions}]: one pass over ADRS, not one per parameter


def _code_rows(adrs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row positions (ascending) of each PARAMCD of ``adrs``, from one factorisation of the column; kept for the
    last frame seen (the cache holds the frame itself, so it is never mistaken for another one).

    >>> {k: v.tolist() for k, v in _code_rows(pd.DataFrame({"PARAMCD": ["OVR", "BOR", None, "OVR"]})).items()}
    {'OVR': [0, 3], 'BOR': [1]}
    """
    if _BY_CODE[0] is not adrs:
        codes, uniques = pd.factorize(adrs["PARAMCD"])
        order = np.argsort(codes, kind="stable")  # the rows of each code in their order in ADRS (missing: -1, first)
        ends = np.cumsum(np.bincount(codes + 1, minlength=len(uniques) + 1))
        rows = {str(u): order[ends[i] : ends[i + 1]] for i, u in enumerate(uniques)}
        _BY_CODE[:] = [adrs, rows]
    return _BY_CODE[1]


def _code_frame(df: pd.DataFrame, code: str, cols: list[str]) -> pd.DataFrame:
    """The rows of ``df`` (an ADRS) with PARAMCD ``code``, in ADRS order, columns ``cols`` that it has.

    >>> _code_frame(pd.DataFrame({"PARAMCD": ["OVR", "BOR", "OVR"], "AVALC": ["PR", "CR", "SD"]}), "OVR",
    ...             ["AVALC", "ADT"])["AVALC"].tolist()
    ['PR', 'SD']
    """
    rows = _code_rows(df).get(code, np.array([], dtype=np.intp))
    keep = [c for c in cols if c in df]
    if not keep:
        return df[keep].iloc[rows]
    # column by column: the rows taken from each wanted column only (selecting the columns first copies them whole)
    return pd.DataFrame({c: df[c].iloc[rows] for c in keep})


def _param_records(adrs: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    """USUBJID and AVALC (text, missing as None) of the analysed records (ANL01FL, when ADRS flags any) of one
    parameter."""
    r = _code_frame(adrs, paramcd, ["USUBJID", "AVALC", "ANL01FL"])
    if "ANL01FL" in r and _yes(r, "ANL01FL").any():
        r = r[_yes(r, "ANL01FL")]
    return pd.DataFrame({"USUBJID": _text(r["USUBJID"]), "AVALC": _text(r["AVALC"])})


def _rate_rows(pop: pd.DataFrame, yes_subjects: set, cols: list[str], extra: dict) -> list[dict]:
    yes = pop["USUBJID"].isin(yes_subjects).to_numpy()
    cohort = pop["cohort"].to_numpy()
    rows = []
    for c in cols:
        in_col = yes if c == OVERALL else yes[cohort == c]
        N, n = len(in_col), int(in_col.sum())
        lo, hi = clopper_pearson(n, N)
        rows.append({**extra, "cohort": c, **_cell(n, N), "ci_low": 100 * lo, "ci_high": 100 * hi})
    return rows


def km_table(adtte, paramcd, pop, cols) -> dict:
    rows = adtte["PARAMCD"].eq(paramcd) if adtte is not None and "PARAMCD" in adtte else None
    if rows is None or not rows.any():
        return _na(f"ADTTE {paramcd} not available")
    used = [c for c in ("USUBJID", "AVAL", "CNSR", "PARAM", "STARTDSC") if c in adtte]
    d = adtte.loc[rows, used]  # the columns read below only, not a copy of every ADTTE column
    d["USUBJID"] = _text(d["USUBJID"])
    d = d.merge(pop[["USUBJID", "cohort"]], on="USUBJID", how="inner")
    d["AVAL"] = pd.to_numeric(d["AVAL"], errors="coerce")
    d["event"] = pd.to_numeric(d["CNSR"], errors="coerce").eq(0)
    km, rows = {}, []
    for c in cols:
        sub = d if c == OVERALL else d[d["cohort"] == c]
        k = kaplan_meier(sub["AVAL"], sub["event"])
        km[c] = k
        rows.append(
            {
                "cohort": c,
                "N": k.n,
                "events": k.events,
                "censored": k.n - k.events,
                "median": k.median,
                "median_low": k.median_low,
                "median_high": k.median_high,
            }
        )
    label = d["PARAM"].dropna().astype(str).iloc[0] if "PARAM" in d and d["PARAM"].notna().any() else paramcd
    origin = "; ".join(sorted(set(_text(d["STARTDSC"]).dropna()))) if "STARTDSC" in d else ""
    return {
        "available": True,
        "paramcd": paramcd,
        "param": label,
        "origin": origin or "STARTDT",
        "summary": pd.DataFrame(rows),
        "km": km,
        "data": d[["USUBJID", "cohort", "AVAL", "event"]].reset_index(drop=True),
    }


def _efficacy_population(adsl, adrs, adtte) -> tuple[pd.DataFrame | None, str]:
    if adsl is not None and {"USUBJID", "EFFFL"} <= set(adsl.columns):
        s = _subjects(adsl)
        return s[s["EFFFL"]][["USUBJID", "cohort"]].reset_index(drop=True), ""
    for df in (adrs, adtte):
        if df is not None and "USUBJID" in df:
            p = pd.DataFrame(
                {
                    "USUBJID": _text(df["USUBJID"]),
                    "cohort": _text(df["TRT01A"]).fillna(MISSING_COHORT) if "TRT01A" in df else MISSING_COHORT,
                }
            )
            return p.drop_duplicates("USUBJID").reset_index(
                drop=True
            ), "ADSL.EFFFL not available: all subjects in the efficacy datasets are analysed"
    return None, "efficacy population unknown"


def _criterion(adrs, adtte, pop, cols, prefix, dose_cols=()) -> dict:
    out: dict[str, Any] = {}
    if adrs is None or not {"USUBJID", "PARAMCD", "AVALC"} <= set(adrs.columns):
        out["rates"] = out["bor"] = _na("ADRS not available")
    else:
        rows, missing = [], []
        out["timepoints"] = timepoints_in(adrs, prefix)
        for endpoint, base in (("ORR", "RSP"), ("DCR", "DC")):
            for tp, label in out["timepoints"]:
                code = f"{prefix}{base}{tp}"
                r = _param_records(adrs, code)
                if r.empty:
                    missing.append(code)
                    continue
                yes = set(r.loc[r["AVALC"] == "Y", "USUBJID"])
                rows += _rate_rows(pop, yes, cols, {"endpoint": endpoint, "timepoint": label, "paramcd": code})
        out["rates"] = pd.DataFrame(rows) if rows else _na("timepoint response parameters not available")
        out["rates_missing"] = missing
        # confirmed best overall response
        code = f"{prefix}CBOR"
        r = _param_records(adrs, code)
        note = ""
        if r.empty:
            code = f"{prefix}BOR"
            r = _param_records(adrs, code)
            note = f"{prefix}CBOR not available: unconfirmed {code} shown"
        if r.empty:
            out["bor"] = _na(f"{prefix}CBOR/{prefix}BOR not available")
        else:
            r = r[r["USUBJID"].isin(pop["USUBJID"])].drop_duplicates("USUBJID", keep="last")
            val = pop.merge(r[["USUBJID", "AVALC"]], on="USUBJID", how="left")
            val["AVALC"] = val["AVALC"].fillna("Missing")
            cats = BOR_CATEGORIES + sorted(set(val["AVALC"]) - set(BOR_CATEGORIES) - {"Missing"})
            if (val["AVALC"] == "Missing").any():
                cats.append("Missing")
            brows = []
            for c in cols:
                sub = val if c == OVERALL else val[val["cohort"] == c]
                for cat in cats:
                    brows.append({"category": cat, "cohort": c, **_cell((sub["AVALC"] == cat).sum(), len(sub))})
            rr = []
            rr += _rate_rows(
                pop, set(val.loc[val["AVALC"].isin(RESPONSE), "USUBJID"]), cols, {"endpoint": "ORR (CR+PR)"}
            )
            rr += _rate_rows(
                pop,
                set(val.loc[val["AVALC"].isin(CONTROL), "USUBJID"]),
                cols,
                {"endpoint": "DCR (CR+PR+SD+NON-CR/NON-PD)"},
            )
            rd: list[dict] = []
            for d in dose_cols:
                sub = pop[pop["dose"] == d]
                for endpoint, codes in (("ORR (CR+PR)", RESPONSE), ("DCR (CR+PR+SD+NON-CR/NON-PD)", CONTROL)):
                    dose_yes = set(val.loc[val["AVALC"].isin(list(codes)), "USUBJID"])
                    rd += _rate_rows(sub.assign(cohort=d), dose_yes, [d], {"endpoint": endpoint})
            out["bor"] = {
                "available": True,
                "rates_dose": pd.DataFrame(rd),
                "paramcd": code,
                "note": note,
                "counts": pd.DataFrame(brows),
                "rates": pd.DataFrame(rr),
            }
    out["PFS"] = km_table(adtte, f"{prefix}PFS", pop, cols)
    out["DOR"] = km_table(adtte, f"{prefix}RSD", pop, cols)
    return out


def _os(adtte, pop, cols) -> dict:
    res = km_table(adtte, "OS", pop, cols)
    if not res["available"]:
        return res
    rows = []
    for c, k in res["km"].items():
        data = res["data"] if c == OVERALL else res["data"][res["data"]["cohort"] == c]
        for day, label in OS_LANDMARKS:
            s, lo, hi = k.at(day)
            rows.append(
                {
                    "cohort": c,
                    "day": day,
                    "label": label,
                    "at_risk": int((data["AVAL"] >= day).sum()),
                    "surv": s,
                    "low": lo,
                    "high": hi,
                }
            )
    res["landmarks"] = pd.DataFrame(rows)
    return res


def criteria_in(adrs) -> list[tuple[str, str, str]]:
    """(display name, PARAMCD prefix, PARCAT1) of every criterion with an OVR parameter in ADRS; the display name is
    the criterion PARAM names after its last comma (e.g. "..., mRECIST"), else PARCAT1."""
    if adrs is None or not {"PARAMCD", "PARCAT1"} <= set(adrs.columns):
        return CRITERIA
    split = _code_rows(adrs)
    rows = np.sort(np.concatenate([np.array([], dtype=np.intp)] + [r for c, r in split.items() if c.endswith("OVR")]))
    cols = ["PARAMCD", "PARCAT1"] + (["PARAM"] if "PARAM" in adrs else [])
    ovr = adrs[cols].iloc[rows].drop_duplicates(["PARAMCD", "PARCAT1"])
    if ovr.empty:
        return CRITERIA
    found = set()
    for r in ovr.itertuples(index=False):
        name = str(r.PARCAT1)
        if "PARAM" in cols and isinstance(r.PARAM, str) and "," in r.PARAM:
            name = r.PARAM.rsplit(",", 1)[1].strip()
        found.add((name, str(r.PARAMCD)[:-3], str(r.PARCAT1)))
    return sorted(found, key=lambda t: (len(t[1]), t[1]))


def timepoints_in(adrs, prefix: str) -> list[tuple[str, str]]:
    """(code suffix, label) of the timepoint parameters ``<prefix>RSP<suffix>`` in ADRS, in time order.

    Suffixes follow docs/architecture.md: a unit letter (D, W, M, Y) and a number, e.g. W6 = Week 6.

    >>> timepoints_in(pd.DataFrame({"PARAMCD": ["RSPM6", "RSPW12", "RSP", "MRSPW6"]}), "")
    [('W12', 'Week 12'), ('M6', 'Month 6')]
    """
    if adrs is None or "PARAMCD" not in adrs.columns:
        return TIMEPOINTS
    codes = pd.Series(list(_code_rows(adrs)), dtype=object)
    found = codes.str.extract(rf"^{prefix}RSP([DWMY])(\d+)$").dropna()
    if found.empty:
        return TIMEPOINTS
    pairs = sorted({(u, int(n)) for u, n in zip(found[0], found[1])}, key=lambda t: _UNIT_DAYS[t[0]][0] * t[1])
    return [(f"{u}{n}", f"{_UNIT_DAYS[u][1]} {n}") for u, n in pairs]


def dose_levels(adsl) -> pd.Series:
    """Dose level label per subject from ADSL DOSE01P (+ DOSE01U), e.g. ``250 (10^6 Therapeutic Cells)``."""
    if adsl is None or "DOSE01P" not in adsl:
        return pd.Series(dtype=object)
    v = num(adsl, "DOSE01P")
    unit = _text(adsl["DOSE01U"]).dropna() if "DOSE01U" in adsl else pd.Series(dtype=object)
    u = f" ({unit.iloc[0]})" if len(unit) else ""
    lab = v.map(lambda x: None if pd.isna(x) else f"Dose {x:g}{u}")
    return pd.Series(lab.to_numpy(), index=_text(adsl["USUBJID"]).to_numpy(), dtype=object)


def efficacy(adsl, adrs, adtte, cohorts) -> dict:
    if adrs is None or adrs.empty:
        return _na("the study has no tumour response data (ADRS)")
    pop, note = _efficacy_population(adsl, adrs, adtte)
    if pop is None:
        return _na("efficacy datasets not available")
    cols = [c for c in cohorts if (pop["cohort"] == c).any()] + [OVERALL]
    N = {c: int(len(pop) if c == OVERALL else (pop["cohort"] == c).sum()) for c in cols}
    dl = dose_levels(adsl)
    pop = pop.assign(dose=pop["USUBJID"].map(dl) if len(dl) else None)
    levels = pop["dose"].dropna()
    dose_cols = sorted(set(levels), key=lambda s: float(s.split()[1])) if len(levels) else []
    out = {
        "available": True,
        "note": note,
        "N": N,
        "population": pop,
        "dose_cols": dose_cols,
        "N_dose": {d: int((pop["dose"] == d).sum()) for d in dose_cols},
    }
    out["criteria"] = criteria_in(adrs)
    for name, prefix, _parcat in out["criteria"]:
        out[name] = _criterion(adrs, adtte, pop, cols, prefix, dose_cols)
    out["OS"] = _os(adtte, pop, cols)
    return out


def overall_survival(adsl, adtte, cohorts) -> dict:
    """OS by cohort for the efficacy population (or all subjects in ADTTE); available only with an OS parameter."""
    pop, _ = _efficacy_population(adsl, None, adtte)
    if pop is None:
        return _na("ADTTE OS not available")
    cols = [c for c in cohorts if (pop["cohort"] == c).any()] + [OVERALL]
    return _os(adtte, pop, cols)


def waterfall_data(adam: dict, prefix: str = "") -> pd.DataFrame:
    """Best (minimum) post-baseline PCHG per subject from ADTR <prefix>SUMDIAM, with cohort and confirmed BOR."""
    adtr, adrs, adsl = _get(adam, "ADTR"), _get(adam, "ADRS"), _get(adam, "ADSL")
    cols = ["USUBJID", "cohort", "best_pchg", "BOR"]
    code = f"{prefix}SUMDIAM"
    if adtr is None or not {"USUBJID", "PARAMCD", "PCHG"} <= set(adtr.columns):
        return pd.DataFrame(columns=cols)
    t = adtr[adtr["PARAMCD"].eq(code)].copy()
    t["USUBJID"] = _text(t["USUBJID"])
    t["PCHG"] = pd.to_numeric(t["PCHG"], errors="coerce")
    post = ~_yes(t, "ABLFL")
    if "ADY" in t:
        ady = pd.to_numeric(t["ADY"], errors="coerce")
        post &= ~(ady <= 1)
    t = t[post & t["PCHG"].notna()]
    best = t.groupby("USUBJID")["PCHG"].min().rename("best_pchg").reset_index()
    best = best.merge(_cohort_map(adsl, adtr), on="USUBJID", how="left")
    best["BOR"] = best["USUBJID"].map(_bor_map(adrs, prefix))
    best["BOR"] = best["BOR"].astype(object).where(best["BOR"].notna(), "Missing")
    best["cohort"] = best["cohort"].fillna(MISSING_COHORT)
    return best.sort_values(["best_pchg", "USUBJID"], ascending=[False, True]).reset_index(drop=True)[cols]


def _cohort_map(adsl, other) -> pd.DataFrame:
    for df in (adsl, other):
        if df is not None and {"USUBJID", "TRT01A"} <= set(df.columns):
            return pd.DataFrame({"USUBJID": _text(df["USUBJID"]), "cohort": _text(df["TRT01A"])}).drop_duplicates(
                "USUBJID"
            )
    return pd.DataFrame({"USUBJID": pd.Series(dtype=object), "cohort": pd.Series(dtype=object)})


def _bor_map(adrs, prefix) -> dict:
    if adrs is None or not {"USUBJID", "PARAMCD", "AVALC"} <= set(adrs.columns):
        return {}
    for code in (f"{prefix}CBOR", f"{prefix}BOR"):  # confirmed BOR, as the response tables
        r = _param_records(adrs, code)
        if not r.empty:
            return dict(zip(_text(r["USUBJID"]), _text(r["AVALC"])))
    return {}


def spider_data(adam: dict, prefix: str = "") -> pd.DataFrame:
    """PCHG by ADY per subject (baseline at 0 %), with cohort."""
    adtr, adsl = _get(adam, "ADTR"), _get(adam, "ADSL")
    cols = ["USUBJID", "cohort", "ADY", "PCHG"]
    if adtr is None or not {"USUBJID", "PARAMCD", "PCHG", "ADY"} <= set(adtr.columns):
        return pd.DataFrame(columns=cols)
    t = adtr[adtr["PARAMCD"].eq(f"{prefix}SUMDIAM")].copy()
    t["USUBJID"] = _text(t["USUBJID"])
    t["ADY"] = pd.to_numeric(t["ADY"], errors="coerce")
    t["PCHG"] = pd.to_numeric(t["PCHG"], errors="coerce")
    base = _yes(t, "ABLFL")
    t.loc[base, "PCHG"] = 0.0
    t = t[t["ADY"].notna() & t["PCHG"].notna()]
    t = t.merge(_cohort_map(adsl, adtr), on="USUBJID", how="left")
    t["cohort"] = t["cohort"].fillna(MISSING_COHORT)
    return t.sort_values(["USUBJID", "ADY"]).reset_index(drop=True)[cols]


def date_by_subject(r: pd.DataFrame) -> pd.Series:
    """ADT by USUBJID (text), the last record's where a subject has several: what ``dict(zip(USUBJID, ADT))`` maps,
    without making one Timestamp object per record.

    >>> date_by_subject(pd.DataFrame({"USUBJID": ["A", "B", "A"], "ADT": pd.to_datetime(["2024-01-02",
    ...     "2024-01-05", "2024-02-01"])})).astype(str).to_dict()
    {'B': '2024-01-05', 'A': '2024-02-01'}
    """
    dates = pd.Series(pd.to_datetime(r["ADT"]).to_numpy(), index=pd.Index(_text(r["USUBJID"]).to_numpy(), dtype=object))
    return dates[~dates.index.duplicated(keep="last")]


def swimmer_data(adam: dict, prefix: str = "") -> pd.DataFrame:
    """Per treated subject: days from the first dose (TRTSDT) to death or last known alive, first documented
    confirmed response (CRSP ADT), first CR, first progression (PD ADT), ongoing in the study."""
    adsl, adrs = _get(adam, "ADSL"), _get(adam, "ADRS")
    cols = ["USUBJID", "cohort", "end_day", "dead", "ongoing", "resp_day", "resp", "cr_day", "pd_day"]
    if adsl is None or not {"USUBJID", "TRTSDT"} <= set(adsl.columns):
        return pd.DataFrame(columns=cols)
    s = adsl[_yes(adsl, "SAFFL")] if "SAFFL" in adsl else adsl
    s = s[s["TRTSDT"].notna()]
    start = pd.to_datetime(s["TRTSDT"])
    dth = pd.to_datetime(s["DTHDT"]) if "DTHDT" in s else pd.Series(pd.NaT, index=s.index)
    lst = pd.to_datetime(s["LSTALVDT"]) if "LSTALVDT" in s else pd.Series(pd.NaT, index=s.index)
    end = dth.where(dth.notna(), lst)
    out = pd.DataFrame(
        {
            "USUBJID": _text(s["USUBJID"]),
            "cohort": _text(s["TRT01A"]).fillna(MISSING_COHORT) if "TRT01A" in s else MISSING_COHORT,
            "end_day": (end - start).dt.days.astype(float),
            "dead": dth.notna().to_numpy() | _yes(s, "DTHFL").to_numpy(),
            "ongoing": (
                _text(s["EOSSTT"]).eq("ONGOING") if "EOSSTT" in s else pd.Series(False, index=s.index)
            ).to_numpy(),
        }
    )
    out["resp_day"], out["resp"], out["cr_day"], out["pd_day"] = np.nan, None, np.nan, np.nan
    if adrs is not None and {"USUBJID", "PARAMCD", "AVALC"} <= set(adrs.columns) and ("ADT" in adrs or "ADY" in adrs):
        o = _code_frame(adrs, f"{prefix}OVR", ["USUBJID", "AVALC", "ADT", "ADY", "ANL01FL"])
        o["USUBJID"] = _text(o["USUBJID"])
        o["AVALC"] = _text(o["AVALC"])
        o = o.merge(pd.DataFrame({"USUBJID": out["USUBJID"], "_start": start.to_numpy()}), on="USUBJID", how="inner")
        if "ADT" in o:
            o["_day"] = (pd.to_datetime(o["ADT"]) - o["_start"]).dt.days.astype(float)
        else:
            o["_day"] = pd.to_numeric(o["ADY"], errors="coerce") - 1
        o = o[o["_day"].notna()].sort_values(["USUBJID", "_day"])
        if "ANL01FL" in o and _yes(o, "ANL01FL").any():
            o = o[_yes(o, "ANL01FL")]  # the assessments the analysis uses
        first = {}
        for code in ("CRSP", "RSP", "PD"):  # first documented (confirmed) response and progression, as ADRS says
            r = _code_frame(adrs, f"{prefix}{code}", ["USUBJID", "AVALC", "ADT"])
            r = r[_text(r["AVALC"]) == "Y"]
            if "ADT" in r and not r.empty:
                first[code] = date_by_subject(r)
        resp = first["CRSP"] if "CRSP" in first else first.get("RSP", {})
        st = pd.Series(start.to_numpy(), index=out.index)
        rdt = pd.to_datetime(out["USUBJID"].map(resp))
        out["resp_day"] = (rdt - st).dt.days.astype(float)
        out["resp"] = pd.Series(np.where(rdt.notna(), "CR/PR", None), index=out.index, dtype=object)
        cr = o[o["AVALC"] == "CR"].drop_duplicates("USUBJID")
        out["cr_day"] = out["USUBJID"].map(dict(zip(cr["USUBJID"], cr["_day"]))).astype(float)
        out["pd_day"] = (pd.to_datetime(out["USUBJID"].map(first.get("PD", {}))) - st).dt.days.astype(float)
    return out.sort_values(["cohort", "end_day", "USUBJID"], ascending=[True, False, True]).reset_index(drop=True)[cols]
