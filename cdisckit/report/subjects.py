"""Subject-level tables from ADSL: analysis populations, disposition, demographics, exposure, deaths.

Every table is long or wide pandas data with plain numbers; :mod:`cdisckit.report.html` formats them. Columns are the
planned arm (TRT01P; the disposition of subjects never treated belongs to the arm they were assigned to) or the
actual arm (TRT01A) for the treated, plus a total.

>>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01P": ["A", "A", None], "TRT01A": ["A", None, None],
...                      "ENRLFL": ["Y", "Y", "N"], "SAFFL": ["Y", "N", "N"], "DCSREAS": [None, "WITHDRAWAL", None]})
>>> d = disposition(adsl)
>>> d.set_index("row").loc["Enrolled, not treated", ["A", "Total"]].tolist()
[1, 1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import MISSING_COHORT, TOTAL, _text, _yes, num

NOT_ASSIGNED = "Not assigned"


def arm_of(adsl: pd.DataFrame, planned: bool = True) -> pd.Series:
    """Planned (TRT01P) or actual (TRT01A) arm per subject; subjects without one: ``Not assigned`` / ``(no cohort)``."""
    col = "TRT01P" if planned else "TRT01A"
    empty = NOT_ASSIGNED if planned else MISSING_COHORT
    return _text(adsl[col]).fillna(empty) if col in adsl else pd.Series(empty, index=adsl.index, dtype=object)


def arm_order(adsl: pd.DataFrame, planned: bool = True) -> list[str]:
    """Arms ordered by TRT01PN/TRT01AN, then label; the empty arm last."""
    arm = arm_of(adsl, planned)
    n = num(adsl, "TRT01PN" if planned else "TRT01AN")
    t = pd.DataFrame({"a": arm, "n": n}).groupby("a", sort=False)["n"].min().fillna(np.inf).reset_index()
    t["last"] = t["a"].isin([NOT_ASSIGNED, MISSING_COHORT])
    return t.sort_values(["last", "n", "a"], kind="stable")["a"].tolist()


def _count_table(groups: pd.Series, rows: list[tuple[str, pd.Series]], order: list[str]) -> pd.DataFrame:
    """Subjects per (row label, arm) for boolean row masks; plus Total."""
    out = []
    for label, mask in rows:
        counts = groups[mask.to_numpy()].value_counts()
        out.append({"row": label, **{a: int(counts.get(a, 0)) for a in order}, TOTAL: int(mask.sum())})
    return pd.DataFrame(out, columns=["row", *order, TOTAL])


def disposition(adsl: pd.DataFrame) -> pd.DataFrame:
    """Subjects screened, screen failures, enrolled, treated, enrolled but not treated (each reason), and end of
    study status (completed, discontinued by reason, ongoing), by planned arm."""
    arm = arm_of(adsl, True)
    order = arm_order(adsl, True)
    enrl, saf = _yes(adsl, "ENRLFL"), _yes(adsl, "SAFFL")
    reason = _text(adsl["DCSREAS"]) if "DCSREAS" in adsl else pd.Series(None, index=adsl.index, dtype=object)
    spec = _text(adsl["DCSREASP"]) if "DCSREASP" in adsl else pd.Series(None, index=adsl.index, dtype=object)
    why = spec.fillna(reason).fillna("reason not recorded")
    rows: list[tuple[str, pd.Series]] = [
        ("Subjects in ADSL (screened)", pd.Series(True, index=adsl.index)),
        ("Screen failures (not enrolled)", ~enrl),
        ("Enrolled", enrl),
        ("Treated (safety population)", saf),
        ("Enrolled, not treated", enrl & ~saf),
    ]
    for w in sorted(set(why[enrl & ~saf])):
        rows.append((f"  not treated: {w}", enrl & ~saf & (why == w)))
    status = _text(adsl["EOSSTT"]) if "EOSSTT" in adsl else pd.Series(None, index=adsl.index, dtype=object)
    rows.append(("Completed the study", enrl & (status == "COMPLETED")))
    rows.append(("Discontinued the study", enrl & (status == "DISCONTINUED")))
    for r in sorted(set(reason[enrl & (status == "DISCONTINUED")].dropna())):
        rows.append((f"  {r.lower()}", enrl & (status == "DISCONTINUED") & (reason == r)))
    rows.append(("Ongoing in the study", enrl & (status == "ONGOING")))
    return _count_table(arm, rows, order)


def populations(adsl: pd.DataFrame) -> pd.DataFrame:
    """Analysis populations by planned arm: enrolled, safety (SAFFL), efficacy (EFFFL), deaths."""
    arm, order = arm_of(adsl, True), arm_order(adsl, True)
    rows = [("Subjects in ADSL", pd.Series(True, index=adsl.index))]
    for fl, label in (("ENRLFL", "Enrolled (ENRLFL)"), ("SAFFL", "Safety (SAFFL)"), ("EFFFL", "Efficacy (EFFFL)")):
        if fl in adsl:
            rows.append((label, _yes(adsl, fl)))
    return _count_table(arm, rows, order)


def _summary(values: pd.Series) -> dict:
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return {"n": 0, "mean": np.nan, "sd": np.nan, "median": np.nan, "min": np.nan, "max": np.nan}
    return {
        "n": int(v.size),
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
        "median": float(v.median()),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def demographics(adsl: pd.DataFrame, arms: list[str]) -> dict:
    """Treated subjects by actual arm: age summary, and n per category of AGEGR1, SEX, RACE, ETHNIC."""
    s = adsl[_yes(adsl, "SAFFL")] if "SAFFL" in adsl else adsl
    arm = arm_of(s, False)
    cols = [a for a in arms if (arm == a).any()] + [TOTAL]
    age = (
        {c: _summary(s.loc[(arm == c).to_numpy() if c != TOTAL else slice(None), "AGE"]) for c in cols}
        if "AGE" in s
        else {}
    )
    cats = []
    for var, label in (("AGEGR1", "Age group"), ("SEX", "Sex"), ("RACE", "Race"), ("ETHNIC", "Ethnicity")):
        if var not in s:
            continue
        v = _text(s[var]).fillna("Missing")
        for value in sorted(set(v), key=lambda x: (x == "Missing", x)):
            row = {"variable": label, "value": value}
            for c in cols:
                sub = v if c == TOTAL else v[(arm == c).to_numpy()]
                row[c] = (int((sub == value).sum()), len(sub))
            cats.append(row)
    return {
        "columns": cols,
        "N": {c: int(len(s) if c == TOTAL else (arm == c).sum()) for c in cols},
        "age": age,
        "categories": cats,
    }


def exposure(adsl: pd.DataFrame, arms: list[str]) -> dict:
    """Treated subjects by actual arm: treatment duration (TRTDURD, days) and actual dose (DOSE01A, DOSE01U)."""
    s = adsl[_yes(adsl, "SAFFL")] if "SAFFL" in adsl else adsl
    arm = arm_of(s, False)
    cols = [a for a in arms if (arm == a).any()] + [TOTAL]
    out: dict = {"columns": cols, "rows": []}
    for var, label in (("TRTDURD", "Treatment duration (days, TRTDURD)"), ("DOSE01A", "Actual dose (DOSE01A)")):
        if var in s and num(s, var).notna().any():
            unit = ""
            if var == "DOSE01A" and "DOSE01U" in s and s["DOSE01U"].notna().any():
                unit = f", {_text(s['DOSE01U']).dropna().iloc[0]}"
            out["rows"].append(
                {
                    "label": label.replace(")", f"{unit})") if unit else label,
                    **{c: _summary(s[var] if c == TOTAL else s.loc[(arm == c).to_numpy(), var]) for c in cols},
                }
            )
    return out


def deaths(adsl: pd.DataFrame, arms: list[str]) -> dict:
    """Deaths (DTHFL) by actual arm and by cause (DTHCAUS), among all subjects in ADSL."""
    arm = arm_of(adsl, False)
    dead = _yes(adsl, "DTHFL") | (adsl["DTHDT"].notna() if "DTHDT" in adsl else False)
    cols = [a for a in arms if (arm == a).any()] + [TOTAL]
    cause = (
        _text(adsl["DTHCAUS"]).fillna("cause not recorded")
        if "DTHCAUS" in adsl
        else pd.Series("cause not recorded", index=adsl.index)
    )
    rows = [("Deaths", dead)] + [(f"  {c.lower()}", dead & (cause == c)) for c in sorted(set(cause[dead]))]
    if "DTHDT" in adsl and "TRTSDT" in adsl:
        days = (pd.to_datetime(adsl["DTHDT"]) - pd.to_datetime(adsl["TRTSDT"])).dt.days
        rows.append(("Deaths within 30 days of the first dose", dead & (days <= 30)))
    table = _count_table(arm, rows, [c for c in cols if c != TOTAL])
    N = {c: int(len(adsl) if c == TOTAL else (arm == c).sum()) for c in cols}
    return {"table": table, "N": N, "n_dead": int(dead.sum())}
