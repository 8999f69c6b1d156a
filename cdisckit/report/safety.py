"""Safety tables from ADSL + ADAE: TEAE overview, SOC/PT by arm (any grade / grade >= 3), serious TEAEs, adverse
events of special interest with their own grading scale, onset and duration.

The grading is what the data hold: the toxicity grade (ATOXGRN, e.g. CTCAE) when it is populated, else the
severity (ASEVN: mild 1, moderate 2, severe 3). An AESI category is graded on a study-declared scale (another
``*GRN`` variable of ADAE, e.g. an ASTCT consensus grade) when that scale is populated for its records.

>>> s = scale_of(pd.DataFrame({"ASEVN": [1.0, 3.0]}))
>>> s["name"], s["high_label"]
('severity', 'Severe')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .common import TOTAL, _cell, _na, _subjects, _text, _yes, labels_of, num

SEVERITY_LABELS = {1: "Mild", 2: "Moderate", 3: "Severe"}
#: The ADAE variables the safety tables read (with every ``*GRN`` grade, a candidate AESI scale).
AE_COLUMNS = frozenset(
    ["USUBJID", "TRTEMFL", "AESER", "AEOUT", "AESDTH", "AESIFL", "AESICAT", "ASTDY", "ADURN", "AEBODSYS", "AEDECOD"]
    + ["ATOXGRN", "ASEVN"]
)


def scale_of(ae: pd.DataFrame) -> dict:
    """The grading of the study: toxicity grade (ATOXGRN) when populated, else severity (ASEVN)."""
    if "ATOXGRN" in ae and num(ae, "ATOXGRN").notna().any():
        return {
            "col": "ATOXGRN",
            "name": "toxicity grade",
            "levels": [1, 2, 3, 4, 5],
            "high": 3,
            "high_label": "Grade &ge;3",
            "label": lambda g: f"Grade {g}",
        }
    if "ASEVN" in ae and num(ae, "ASEVN").notna().any():
        return {
            "col": "ASEVN",
            "name": "severity",
            "levels": [1, 2, 3],
            "high": 3,
            "high_label": "Severe",
            "label": lambda g: SEVERITY_LABELS.get(g, str(g)),
        }
    return {"col": None, "name": "grade", "levels": [], "high": 3, "high_label": "Grade &ge;3", "label": str}


def _grade_labels(grades: pd.Series) -> pd.Series:
    """Each grade as text ("3"), "Missing" where there is none; one conversion per distinct grade.

    >>> _grade_labels(pd.Series([3.0, None, 1.0, 3.0])).tolist()
    ['3', 'Missing', '1', '3']
    """
    v = grades.to_numpy(dtype=float, na_value=np.nan)
    out: np.ndarray = np.full(len(v), "Missing", dtype=object)
    known = ~np.isnan(v)
    levels, which = np.unique(v[known], return_inverse=True)
    out[known] = np.array([str(int(x)) for x in levels], dtype=object)[which]
    return pd.Series(out, index=grades.index)


def worst_grade_counts(
    ae: pd.DataFrame, keys: list[str], N: dict[str, int], grade_col: str, levels: list[int], high: int = 3
) -> pd.DataFrame:
    """Long table keys..., cohort, grade ('Any', levels..., 'Missing', '>=high'), n, N, pct: each subject counted
    once per row, at the worst grade of that row (vectorised: one groupby per count)."""
    cols = keys + ["cohort", "grade", "n", "N", "pct"]
    if ae.empty:
        return pd.DataFrame(columns=cols)
    by = keys + ["USUBJID", "cohort"]
    g = ae[by + [grade_col]].groupby(by, dropna=False, sort=False)[grade_col].max().reset_index()
    g["grade"] = _grade_labels(g[grade_col])
    # subjects per (keys, cohort, grade, grade >= high): one groupby over the subjects' rows; the counts by cohort
    # and in total, any grade and >= high, are sums over this small table
    by = keys + ["cohort"]
    fine = g.assign(_high=g[grade_col] >= high).groupby(by + ["grade", "_high"], dropna=False).size().rename("n")
    fine = fine.reset_index()
    parts = []
    for d in (fine, fine.assign(cohort=TOTAL)):
        parts.append(d.groupby(by, dropna=False)["n"].sum().reset_index().assign(grade="Any"))
        parts.append(d.groupby(by + ["grade"], dropna=False)["n"].sum().reset_index())
        parts.append(d[d["_high"]].groupby(by, dropna=False)["n"].sum().reset_index().assign(grade=f">={high}"))
    counts = pd.concat(parts, ignore_index=True)
    grades = (
        ["Any"] + [str(x) for x in levels] + (["Missing"] if (g["grade"] == "Missing").any() else []) + [f">={high}"]
    )
    key_rows = g[keys].drop_duplicates() if keys else pd.DataFrame(index=[0])
    grid = key_rows.merge(pd.DataFrame({"cohort": list(N)}), how="cross").merge(
        pd.DataFrame({"grade": grades}), how="cross"
    )
    out = grid.merge(counts, on=keys + ["cohort", "grade"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["N"] = out["cohort"].map(N).astype(int)
    out["pct"] = np.where(out["N"] > 0, 100.0 * out["n"] / out["N"].where(out["N"] > 0, 1), math.nan)
    return out[cols]


def soc_pt(ae: pd.DataFrame, N: dict[str, int], grade_col: str, levels: list[int], high: int = 3) -> pd.DataFrame:
    """SOC rows (AEDECOD empty) each followed by its PT rows, by subjects in total (most first), then name."""
    cols = ["AEBODSYS", "AEDECOD", "cohort", "grade", "n", "N", "pct"]
    if ae.empty:
        return pd.DataFrame(columns=cols)
    ae = ae[["USUBJID", "cohort", grade_col]].assign(
        AEBODSYS=_text(ae["AEBODSYS"]).fillna("(SOC missing)") if "AEBODSYS" in ae else "(SOC missing)",
        AEDECOD=_text(ae["AEDECOD"]).fillna("(PT missing)") if "AEDECOD" in ae else "(PT missing)",
    )
    soc = worst_grade_counts(ae, ["AEBODSYS"], N, grade_col, levels, high).assign(AEDECOD=None)
    pt = worst_grade_counts(ae, ["AEBODSYS", "AEDECOD"], N, grade_col, levels, high)
    tot_soc = soc[(soc["cohort"] == TOTAL) & (soc["grade"] == "Any")][["AEBODSYS", "n"]].rename(columns={"n": "_s"})
    tot_pt = pt[(pt["cohort"] == TOTAL) & (pt["grade"] == "Any")][["AEBODSYS", "AEDECOD", "n"]].rename(
        columns={"n": "_p"}
    )
    soc = soc.merge(tot_soc, on="AEBODSYS").assign(_p=np.inf, _pt="")
    pt = pt.merge(tot_soc, on="AEBODSYS").merge(tot_pt, on=["AEBODSYS", "AEDECOD"]).assign(_pt=lambda d: d["AEDECOD"])
    both = pd.concat([soc, pt], ignore_index=True)
    both = both.sort_values(["_s", "AEBODSYS", "_p", "_pt"], ascending=[False, True, False, True], kind="stable")
    return both[cols].reset_index(drop=True)


def _aesi_scales(aesi: pd.DataFrame, main: str | None, labels: dict) -> dict[str, tuple[str, str]]:
    """Per AESI category: (grade column, scale name) of a study-declared grade populated for its records; the scale
    is named by the ADAE variable label of its column (``labels``), else by the column name."""
    cands = [c for c in aesi.columns if c.endswith("GRN") and c not in ("ATOXGRN", main)]
    out = {}
    for cat, sub in aesi.groupby("AESICAT"):
        best = max(cands, key=lambda c: num(sub, c).notna().sum(), default=None)
        if best and num(sub, best).notna().any():
            name = (labels.get(best) or best[:-3]).removesuffix(" (N)")
            out[cat] = (best, name)
    return out


def safety(adsl, adae, cohorts, ae_labels: dict | None = None) -> dict:
    """The safety tables; ``ae_labels``: the ADAE variable labels (default: those ``adae`` carries in its attrs)."""
    if adsl is None or "USUBJID" not in adsl or "SAFFL" not in adsl:
        return _na("ADSL with SAFFL not available: safety population unknown")
    s = _subjects(adsl)
    pop = s[s["SAFFL"]]
    N = {c: int((pop["cohort"] == c).sum()) for c in cohorts if (pop["cohort"] == c).any()}
    N[TOTAL] = len(pop)
    if adae is None or "USUBJID" not in adae:
        return {**_na("ADAE not available"), "N": N}
    notes = []
    labels = labels_of(adae) if ae_labels is None else ae_labels
    ae = adae[[c for c in adae.columns if c in AE_COLUMNS or str(c).endswith("GRN")]]  # not a copy of every column
    ae.attrs = {}  # read once above: not deep-copied into every frame made from this one
    ae["USUBJID"] = _text(ae["USUBJID"])
    ae = ae.merge(pop[["USUBJID", "cohort"]], on="USUBJID", how="inner")
    if "TRTEMFL" in ae:
        teae = ae[_yes(ae, "TRTEMFL")].copy()
    else:
        teae = ae.copy()
        notes.append("TRTEMFL not in ADAE: all adverse events are counted")
    sc = scale_of(teae)
    teae["_grade"] = num(teae, sc["col"]) if sc["col"] else np.nan
    high = sc["high"]

    overview = []

    def add(label, sub):
        n = sub.groupby("cohort")["USUBJID"].nunique()
        for c in N:
            overview.append(
                {
                    "category": label,
                    "cohort": c,
                    **_cell(sub["USUBJID"].nunique() if c == TOTAL else int(n.get(c, 0)), N[c]),
                }
            )

    who = teae[["USUBJID", "cohort"]]  # what add() counts, without the other columns of each subset
    add("Any TEAE", who)
    worst = teae.groupby("USUBJID")["_grade"].max()
    for gr in sc["levels"]:
        add(f"Worst {sc['name']}: {sc['label'](gr)}", who[who["USUBJID"].isin(worst[worst == gr].index)])
    if sc["col"]:
        add(f"TEAE of {sc['high_label'].replace('&ge;', '>= ').lower()}", who[teae["_grade"] >= high])
    if "AESER" in teae:
        add("Serious TEAE", who[_yes(teae, "AESER")])
    fatal = (_text(teae["AEOUT"]).str.upper() == "FATAL") if "AEOUT" in teae else pd.Series(False, index=teae.index)
    fatal |= _yes(teae, "AESDTH")
    if sc["col"] == "ATOXGRN":
        fatal |= teae["_grade"] == 5
    add("TEAE with fatal outcome", who[fatal])
    aesi = (
        teae[_yes(teae, "AESIFL")]
        if "AESIFL" in teae
        else (teae[teae["AESICAT"].notna()] if "AESICAT" in teae else teae.iloc[:0])
    )
    aesi = aesi.assign(AESICAT=_text(aesi["AESICAT"])) if "AESICAT" in aesi else aesi
    cats = sorted(set(aesi["AESICAT"].dropna())) if "AESICAT" in aesi else []
    for cat in cats:
        add(f"AESI: {cat}", aesi[["USUBJID", "cohort"]][aesi["AESICAT"] == cat])

    out: dict[str, Any] = {
        "available": True,
        "note": "; ".join(notes),
        "N": N,
        "scale": sc,
        "overview": pd.DataFrame(overview),
        "soc_pt": soc_pt(teae, N, "_grade", sc["levels"], high),
    }
    out["serious_soc_pt"] = (
        soc_pt(teae[_yes(teae, "AESER")], N, "_grade", sc["levels"], high)
        if "AESER" in teae
        else _na("AESER not in ADAE")
    )
    if not cats:
        out["aesi"] = _na("no adverse events of special interest (AESIFL/AESICAT) in ADAE")
        return out
    scales = _aesi_scales(aesi, sc["col"], labels)
    grades, onset = [], []
    for cat in cats:
        sub = aesi[aesi["AESICAT"] == cat].copy()
        col, name = scales.get(cat, ("_grade", sc["name"]))
        sub["_g"] = num(sub, col)
        g = worst_grade_counts(
            sub,
            [],
            N,
            "_g",
            sorted({int(x) for x in sub["_g"].dropna()} | set(sc["levels"] if col == "_grade" else [1, 2, 3, 4])),
            high,
        )
        g.insert(0, "scale", name)
        g.insert(0, "category", cat)
        grades.append(g)
        first = sub.assign(_d=num(sub, "ASTDY"), _u=num(sub, "ADURN")).sort_values("_d")
        for c in N:
            f = first if c == TOTAL else first[first["cohort"] == c]
            d = f.groupby("USUBJID")["_d"].min().dropna()
            u = f["_u"].dropna()
            onset.append(
                {
                    "category": cat,
                    "cohort": c,
                    "n": int(d.size),
                    "median": float(d.median()) if d.size else math.nan,
                    "min": float(d.min()) if d.size else math.nan,
                    "max": float(d.max()) if d.size else math.nan,
                    "dur_n": int(u.size),
                    "dur_median": float(u.median()) if u.size else math.nan,
                    "dur_min": float(u.min()) if u.size else math.nan,
                    "dur_max": float(u.max()) if u.size else math.nan,
                }
            )
    out["aesi"] = {
        "available": True,
        "grades": pd.concat(grades, ignore_index=True),
        "onset": pd.DataFrame(onset) if "ASTDY" in aesi else _na("ASTDY not in ADAE"),
    }
    return out
