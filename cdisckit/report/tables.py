"""The numbers of the study report, computed from ADaM frames (no HTML, no figures).

:func:`compute_tables` returns plain dicts and long-format DataFrames (one row per cell: ``n``, ``N``,
``pct``, CI) so tests and other writers can read the figures without parsing HTML.  A section whose
datasets or parameters are missing is ``{"available": False, "note": "... not available"}``.

Conventions (stated again in the report):

* Safety: safety population (ADSL.SAFFL = "Y"), TEAEs = ADAE.TRTEMFL = "Y"; a subject is counted once per
  row at the worst CTCAE grade (ATOXGRN) of that row; denominators are the safety population per cohort.
* Efficacy: efficacy population (ADSL.EFFFL = "Y"); timepoint rates count subjects with AVALC = "Y" in the
  RSPxx / DCxx parameter (ANL01FL = "Y" records when the parameter uses the flag) over all efficacy subjects of
  the cohort (no record = not a responder); exact Clopper-Pearson 95% CI.
* Time to event: ADTTE AVAL in days, CNSR = 0 event; Kaplan-Meier with log-log pointwise 95% CI, median CI by
  Brookmeyer-Crowley (see :mod:`cdisckit.report.stats`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .stats import CI_METHOD, clopper_pearson, kaplan_meier

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
CRITERIA = [("RECIST 1.1", "", "RECIST 1.1"), ("mRECIST", "M", "MRECIST LENCIONI LIVER CANCER 2010")]
CRITERION_NAMES = {"MRECIST LENCIONI LIVER CANCER 2010": "mRECIST"}  # CT term (ONCRSCAT) -> short display name
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
    return df[col].astype(object).eq("Y")


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
            rows.append(
                pd.DataFrame(
                    {"c": _text(df["TRT01A"]).fillna(MISSING_COHORT), "n": pd.to_numeric(num, errors="coerce")}
                )
            )
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


# ----------------------------------------------------------------------------------------------- populations
def _populations(adsl: pd.DataFrame | None, cohorts: list[str]) -> pd.DataFrame | dict:
    if adsl is None or "USUBJID" not in adsl:
        return _na("ADSL not available")
    s = _subjects(adsl)
    rows = []
    for c in cohorts + [TOTAL]:
        sub = s if c == TOTAL else s[s["cohort"] == c]
        rows.append(
            {
                "cohort": c,
                "Subjects in ADSL": len(sub),
                "Enrolled (ENRLFL)": int(sub["ENRLFL"].sum()) if "ENRLFL" in adsl else None,
                "Safety (SAFFL)": int(sub["SAFFL"].sum()) if "SAFFL" in adsl else None,
                "Efficacy (EFFFL)": int(sub["EFFFL"].sum()) if "EFFFL" in adsl else None,
                "Deaths (DTHFL)": int(sub["DTHFL"].sum()) if "DTHFL" in adsl else None,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------- safety
def _grade_num(ae: pd.DataFrame, num_col: str, char_col: str) -> pd.Series:
    if num_col in ae:
        g = pd.to_numeric(ae[num_col], errors="coerce")
        if g.notna().any() or char_col not in ae:
            return g
    if char_col in ae:
        return pd.to_numeric(ae[char_col].astype(object).astype(str).str.extract(r"(\d)")[0], errors="coerce")
    return pd.Series(np.nan, index=ae.index)


def _grade_label(g: float) -> str:
    return "Missing" if pd.isna(g) else str(int(g))


def _worst_grade_counts(
    ae: pd.DataFrame, keys: list[str], N: dict[str, int], grade_col: str = "_grade"
) -> pd.DataFrame:
    """Long table: keys..., cohort, grade ('Any', '1'..'5', 'Missing', '>=3'), n, N, pct; one count per subject."""
    cols = keys + ["cohort", "grade", "n", "N", "pct"]
    if ae.empty:
        return pd.DataFrame(columns=cols)
    per_subj = ae.groupby(keys + ["USUBJID", "cohort"], dropna=False, sort=False)[grade_col].max().reset_index()
    per_subj["gl"] = per_subj[grade_col].map(_grade_label)
    rows = []
    groups = per_subj.groupby(keys, dropna=False, sort=True) if keys else [((), per_subj)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        base = dict(zip(keys, key))
        present = set(g["gl"])
        grades = (
            ["Any"]
            + sorted(present | {"1", "2", "3", "4", "5"} - {"Missing"}, key=lambda x: (len(x), x))
            + (["Missing"] if "Missing" in present else [])
            + [">=3"]
        )
        for c in list(N):
            sub = g if c == TOTAL else g[g["cohort"] == c]
            for gl in grades:
                if gl == "Any":
                    n = sub["USUBJID"].nunique()
                elif gl == ">=3":
                    n = sub.loc[sub[grade_col] >= 3, "USUBJID"].nunique()
                else:
                    n = sub.loc[sub["gl"] == gl, "USUBJID"].nunique()
                rows.append({**base, "cohort": c, "grade": gl, **_cell(n, N[c])})
    return pd.DataFrame(rows, columns=cols)


def _soc_pt(ae: pd.DataFrame, N: dict[str, int]) -> pd.DataFrame:
    """SOC rows (AEDECOD None) followed by their PT rows, sorted by total subjects (desc) then name."""
    cols = ["AEBODSYS", "AEDECOD", "cohort", "grade", "n", "N", "pct"]
    if ae.empty:
        return pd.DataFrame(columns=cols)
    ae = ae.assign(
        AEBODSYS=_text(ae["AEBODSYS"]).fillna("(SOC missing)") if "AEBODSYS" in ae else "(SOC missing)",
        AEDECOD=_text(ae["AEDECOD"]).fillna("(PT missing)") if "AEDECOD" in ae else "(PT missing)",
    )
    soc = _worst_grade_counts(ae, ["AEBODSYS"], N)
    soc["AEDECOD"] = None
    pt = _worst_grade_counts(ae, ["AEBODSYS", "AEDECOD"], N)

    def tot(d):
        return d[(d["cohort"] == TOTAL) & (d["grade"] == "Any")]

    soc_rank = tot(soc).sort_values(["n", "AEBODSYS"], ascending=[False, True])["AEBODSYS"].tolist()
    pt_tot = tot(pt)
    parts = []
    for s in soc_rank:
        parts.append(soc[soc["AEBODSYS"] == s])
        for p in pt_tot[pt_tot["AEBODSYS"] == s].sort_values(["n", "AEDECOD"], ascending=[False, True])["AEDECOD"]:
            parts.append(pt[(pt["AEBODSYS"] == s) & (pt["AEDECOD"] == p)])
    return pd.concat(parts, ignore_index=True)[cols]


def _aesi_order(cats) -> list[str]:
    first = [c for c in ("CRS", "ICANS") if c in set(cats)]
    return first + sorted(c for c in set(cats) if c not in first)


def _safety(adsl, adae, cohorts) -> dict:
    if adsl is None or "USUBJID" not in adsl or "SAFFL" not in adsl:
        return _na("ADSL with SAFFL not available: safety population unknown")
    s = _subjects(adsl)
    pop = s[s["SAFFL"]]
    N = {c: int((pop["cohort"] == c).sum()) for c in cohorts if (pop["cohort"] == c).any()}
    N[TOTAL] = len(pop)
    if adae is None or "USUBJID" not in adae:
        return {**_na("ADAE not available"), "N": N}
    notes = []
    ae = adae.drop(columns=[c for c in ("cohort",) if c in adae]).copy()
    ae["USUBJID"] = _text(ae["USUBJID"])
    ae = ae.merge(pop[["USUBJID", "cohort"]], on="USUBJID", how="inner")
    if "TRTEMFL" in ae:
        teae = ae[_yes(ae, "TRTEMFL")].copy()
    else:
        teae = ae.copy()
        notes.append("TRTEMFL not in ADAE: all adverse events are counted")
    teae["_grade"] = _grade_num(teae, "ATOXGRN", "ATOXGR")

    overview = []

    def add(label, sub):
        for c in N:
            g = sub if c == TOTAL else sub[sub["cohort"] == c]
            overview.append({"category": label, "cohort": c, **_cell(g["USUBJID"].nunique(), N[c])})

    add("Any TEAE", teae)
    worst = teae.groupby("USUBJID")["_grade"].max()
    for gr in (1, 2, 3, 4, 5):
        add(f"Worst CTCAE grade {gr}", teae[teae["USUBJID"].isin(worst[worst == gr].index)])
    add("CTCAE grade >=3 TEAE", teae[teae["_grade"] >= 3])
    if "AESER" in teae:
        add("Serious TEAE", teae[_yes(teae, "AESER")])
    add("Fatal TEAE (grade 5)", teae[teae["_grade"] == 5])
    aesi = (
        teae[_yes(teae, "AESIFL")]
        if "AESIFL" in teae
        else (teae[teae["AESICAT"].notna()] if "AESICAT" in teae else teae.iloc[:0])
    )
    if "AESICAT" in aesi:
        for cat in _aesi_order(_text(aesi["AESICAT"]).dropna()):
            add(f"AESI: {cat}", aesi[_text(aesi["AESICAT"]) == cat])

    out: dict[str, Any] = {
        "available": True,
        "note": "; ".join(notes),
        "N": N,
        "overview": pd.DataFrame(overview),
        "soc_pt": _soc_pt(teae, N),
    }
    if "AESER" in teae:
        out["serious_soc_pt"] = _soc_pt(teae[_yes(teae, "AESER")], N)
    else:
        out["serious_soc_pt"] = _na("AESER not in ADAE")
    # AESIs: worst ASTCT grade (CRS/ICANS) or CTCAE grade (others), time to onset (first ASTDY per subject)
    if "AESICAT" not in aesi or aesi.empty:
        out["aesi"] = _na("no AESI records (AESIFL/AESICAT) in ADAE")
        return out
    aesi = aesi.assign(AESICAT=_text(aesi["AESICAT"]))
    grades, onset = [], []
    ast = _grade_num(aesi, "ASTCTGRN", "ASTCTGR")
    for cat in _aesi_order(aesi["AESICAT"].dropna()):
        sub = aesi[aesi["AESICAT"] == cat].copy()
        if cat in ("CRS", "ICANS") and ast[sub.index].notna().any():
            sub["_g"], scale = ast[sub.index], "ASTCT"
        else:
            sub["_g"], scale = sub["_grade"], "CTCAE"
        g = _worst_grade_counts(sub, [], N, grade_col="_g")
        g.insert(0, "scale", scale)
        g.insert(0, "category", cat)
        grades.append(g)
        if "ASTDY" in sub:
            first = (
                sub.assign(_d=pd.to_numeric(sub["ASTDY"], errors="coerce"))
                .groupby(["USUBJID", "cohort"])["_d"]
                .min()
                .reset_index()
            )
            for c in N:
                d = (first if c == TOTAL else first[first["cohort"] == c])["_d"].dropna()
                onset.append(
                    {
                        "category": cat,
                        "cohort": c,
                        "n": int(d.size),
                        "median": float(d.median()) if d.size else math.nan,
                        "min": float(d.min()) if d.size else math.nan,
                        "max": float(d.max()) if d.size else math.nan,
                    }
                )
    out["aesi"] = {
        "available": True,
        "grades": pd.concat(grades, ignore_index=True),
        "onset": pd.DataFrame(onset) if onset else _na("ASTDY not in ADAE"),
    }
    return out


# ----------------------------------------------------------------------------------------------- efficacy
def _param_records(adrs: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    r = adrs[adrs["PARAMCD"].astype(object) == paramcd]
    if "ANL01FL" in r and _yes(r, "ANL01FL").any():
        r = r[_yes(r, "ANL01FL")]
    return r


def _rate_rows(pop: pd.DataFrame, yes_subjects: set, cols: list[str], extra: dict) -> list[dict]:
    rows = []
    for c in cols:
        sub = pop if c == OVERALL else pop[pop["cohort"] == c]
        N = len(sub)
        n = int(sub["USUBJID"].isin(yes_subjects).sum())
        lo, hi = clopper_pearson(n, N)
        rows.append({**extra, "cohort": c, **_cell(n, N), "ci_low": 100 * lo, "ci_high": 100 * hi})
    return rows


def _km_table(adtte, paramcd, pop, cols) -> dict:
    if adtte is None or "PARAMCD" not in adtte or not (adtte["PARAMCD"].astype(object) == paramcd).any():
        return _na(f"ADTTE {paramcd} not available")
    d = adtte[adtte["PARAMCD"].astype(object) == paramcd].copy()
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
    return {
        "available": True,
        "paramcd": paramcd,
        "param": label,
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


def _criterion(adrs, adtte, pop, cols, prefix) -> dict:
    out: dict[str, Any] = {}
    if adrs is None or not {"USUBJID", "PARAMCD", "AVALC"} <= set(adrs.columns):
        out["rates"] = out["bor"] = _na("ADRS not available")
    else:
        adrs = adrs.assign(USUBJID=_text(adrs["USUBJID"]), AVALC=_text(adrs["AVALC"]))
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
            out["bor"] = {
                "available": True,
                "paramcd": code,
                "note": note,
                "counts": pd.DataFrame(brows),
                "rates": pd.DataFrame(rr),
            }
    out["PFS"] = _km_table(adtte, f"{prefix}PFS", pop, cols)
    out["DOR"] = _km_table(adtte, f"{prefix}RSD", pop, cols)
    return out


def _os(adtte, pop, cols) -> dict:
    res = _km_table(adtte, "OS", pop, cols)
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
    """(display name, PARAMCD prefix, PARCAT1) of every criterion with an OVR parameter in ADRS.

    >>> criteria_in(pd.DataFrame({"PARAMCD": ["MOVR", "OVR"], "PARCAT1": ["MRECIST LENCIONI LIVER CANCER 2010",
    ...                                                                   "RECIST 1.1"]}))
    [('RECIST 1.1', '', 'RECIST 1.1'), ('mRECIST', 'M', 'MRECIST LENCIONI LIVER CANCER 2010')]
    """
    if adrs is None or not {"PARAMCD", "PARCAT1"} <= set(adrs.columns):
        return CRITERIA
    codes = adrs["PARAMCD"].astype(object).astype(str)
    ovr = adrs.loc[codes.str.endswith("OVR"), ["PARAMCD", "PARCAT1"]].drop_duplicates()
    if ovr.empty:
        return CRITERIA
    found = {(CRITERION_NAMES.get(str(p), str(p)), str(c)[:-3], str(p)) for c, p in zip(ovr["PARAMCD"], ovr["PARCAT1"])}
    return sorted(found, key=lambda t: (len(t[1]), t[1]))


def timepoints_in(adrs, prefix: str) -> list[tuple[str, str]]:
    """(code suffix, label) of the timepoint parameters ``<prefix>RSP<suffix>`` in ADRS, in time order.

    Suffixes follow docs/architecture.md: a unit letter (D, W, M, Y) and a number, e.g. W6 = Week 6.

    >>> timepoints_in(pd.DataFrame({"PARAMCD": ["RSPM6", "RSPW12", "RSP", "MRSPW6"]}), "")
    [('W12', 'Week 12'), ('M6', 'Month 6')]
    """
    if adrs is None or "PARAMCD" not in adrs.columns:
        return TIMEPOINTS
    found = adrs["PARAMCD"].astype(object).astype(str).str.extract(rf"^{prefix}RSP([DWMY])(\d+)$").dropna()
    if found.empty:
        return TIMEPOINTS
    pairs = sorted({(u, int(n)) for u, n in zip(found[0], found[1])}, key=lambda t: _UNIT_DAYS[t[0]][0] * t[1])
    return [(f"{u}{n}", f"{_UNIT_DAYS[u][1]} {n}") for u, n in pairs]


def _efficacy(adsl, adrs, adtte, cohorts) -> dict:
    pop, note = _efficacy_population(adsl, adrs, adtte)
    if pop is None:
        return _na("efficacy datasets not available")
    cols = [c for c in cohorts if (pop["cohort"] == c).any()] + [OVERALL]
    N = {c: int(len(pop) if c == OVERALL else (pop["cohort"] == c).sum()) for c in cols}
    out = {"available": True, "note": note, "N": N, "population": pop}
    out["criteria"] = criteria_in(adrs)
    for name, prefix, _parcat in out["criteria"]:
        out[name] = _criterion(adrs, adtte, pop, cols, prefix)
    out["OS"] = _os(adtte, pop, cols)
    return out


# ----------------------------------------------------------------------------------------------- figure data
def waterfall_data(adam: dict, prefix: str = "") -> pd.DataFrame:
    """Best (minimum) post-baseline PCHG per subject from ADTR SUMDIAM/MSUMDIAM, with cohort and BOR."""
    adtr, adrs, adsl = _get(adam, "ADTR"), _get(adam, "ADRS"), _get(adam, "ADSL")
    cols = ["USUBJID", "cohort", "best_pchg", "BOR"]
    code = f"{prefix}SUMDIAM"
    if adtr is None or not {"USUBJID", "PARAMCD", "PCHG"} <= set(adtr.columns):
        return pd.DataFrame(columns=cols)
    t = adtr[adtr["PARAMCD"].astype(object) == code].copy()
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
    for code in (f"{prefix}BOR", f"{prefix}CBOR"):
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
    t = adtr[adtr["PARAMCD"].astype(object) == f"{prefix}SUMDIAM"].copy()
    t["USUBJID"] = _text(t["USUBJID"])
    t["ADY"] = pd.to_numeric(t["ADY"], errors="coerce")
    t["PCHG"] = pd.to_numeric(t["PCHG"], errors="coerce")
    base = _yes(t, "ABLFL")
    t.loc[base, "PCHG"] = 0.0
    t = t[t["ADY"].notna() & t["PCHG"].notna()]
    t = t.merge(_cohort_map(adsl, adtr), on="USUBJID", how="left")
    t["cohort"] = t["cohort"].fillna(MISSING_COHORT)
    return t.sort_values(["USUBJID", "ADY"]).reset_index(drop=True)[cols]


def swimmer_data(adam: dict, prefix: str = "") -> pd.DataFrame:
    """Per treated subject: days from infusion (TRTSDT) to death or last known alive, first CR/PR, first PD."""
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
        o = adrs[adrs["PARAMCD"].astype(object) == f"{prefix}OVR"].copy()
        o["USUBJID"] = _text(o["USUBJID"])
        o["AVALC"] = _text(o["AVALC"])
        o = o.merge(pd.DataFrame({"USUBJID": out["USUBJID"], "_start": start.to_numpy()}), on="USUBJID", how="inner")
        if "ADT" in o:
            o["_day"] = (pd.to_datetime(o["ADT"]) - o["_start"]).dt.days.astype(float)
        else:
            o["_day"] = pd.to_numeric(o["ADY"], errors="coerce") - 1
        o = o[o["_day"].notna()].sort_values(["USUBJID", "_day"])
        r = o[o["AVALC"].isin(RESPONSE)].drop_duplicates("USUBJID")
        p = o[o["AVALC"] == "PD"].drop_duplicates("USUBJID")
        cr = o[o["AVALC"] == "CR"].drop_duplicates("USUBJID")
        out["cr_day"] = out["USUBJID"].map(dict(zip(cr["USUBJID"], cr["_day"]))).astype(float)
        out["resp_day"] = out["USUBJID"].map(dict(zip(r["USUBJID"], r["_day"]))).astype(float)
        out["resp"] = out["USUBJID"].map(dict(zip(r["USUBJID"], r["AVALC"])))
        out["pd_day"] = out["USUBJID"].map(dict(zip(p["USUBJID"], p["_day"]))).astype(float)
    return out.sort_values(["cohort", "end_day", "USUBJID"], ascending=[True, False, True]).reset_index(drop=True)[cols]


# ----------------------------------------------------------------------------------------------- entry point
def compute_tables(adam: dict[str, pd.DataFrame]) -> dict:
    """All numbers of the report.  Keys: meta, populations, safety, efficacy (see module docstring).

    ``efficacy["RECIST 1.1"]`` / ``efficacy["mRECIST"]`` hold ``rates`` (ORR/DCR by timepoint), ``bor``
    (confirmed BOR counts and ORR/DCR), ``PFS`` and ``DOR`` (KM summaries, medians in days, and the
    :class:`~cdisckit.report.stats.KMResult` per cohort); ``efficacy["OS"]`` adds ``landmarks`` at 183/365 days.
    """
    adsl, adae, adrs, adtte, adtr = (_get(adam, n) for n in ("ADSL", "ADAE", "ADRS", "ADTTE", "ADTR"))
    cohorts = cohort_order(adsl, adae, adrs, adtte)
    studyid = None
    for df in (adsl, adae, adrs, adtte, adtr):
        if df is not None and "STUDYID" in df and df["STUDYID"].notna().any():
            studyid = str(df["STUDYID"].dropna().iloc[0])
            break
    return {
        "meta": {
            "studyid": studyid,
            "cohorts": cohorts,
            "ci_method": CI_METHOD,
            "datasets": sorted(k for k, v in (adam or {}).items() if isinstance(v, pd.DataFrame)),
            "versions": dict(VERSIONS),
        },
        "populations": _populations(adsl, cohorts),
        "safety": _safety(adsl, adae, cohorts),
        "efficacy": _efficacy(adsl, adrs, adtte, cohorts),
    }
