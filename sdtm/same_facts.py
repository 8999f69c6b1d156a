"""The same fact collected on two or more forms (the date of death on the death form and on the disposition form):
compared per subject, a disagreement is a warning naming every form, row and column, so the data manager can
query the site. The warnings go to the run summary (run.json) and the reviewer's guide; output is not blocked.

study.yaml::

    same_facts:
      - fact: date of death
        forms:
          - {form: dd, date: DTHDAT}
          - {form: ds, date: DSDAT, where: {DSSTATUS: Death}}

Two dates disagree when they differ at the precision both have (``2025-10-30`` vs ``2025-10-31``); a date that is
less precise than the other but agrees with it (``UN-OCT-2025`` vs ``31-OCT-2025``) is reported too, since the
site knew the full date.

>>> a = pd.DataFrame({"SUBJECT": ["1", "2", "3"], "RECORDID": ["1", "2", "3"], "DTC": ["2025-10", "2025-10-30", "2025-01-02"]})
>>> b = pd.DataFrame({"SUBJECT": ["1", "2", "3"], "RECORDID": ["7", "8", "9"], "DTC": ["2025-10-31", "2025-10-31", "2025-01-02"]})
>>> compare_dates(a, b)["KIND"].tolist()
['less precise', 'conflict']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.conditions import condition_problem
from cdisckit.dates import iso_digits
from cdisckit.specio import spec_error

FACT_KEYS = {"fact", "forms"}
FORM_KEYS = {"form", "date", "where"}


def validate_same_facts(facts, forms: dict) -> list:
    """Check the ``same_facts:`` list of study.yaml (SpecError with file, line and key)."""
    if facts is None:
        return []
    if not isinstance(facts, list):
        raise spec_error("same_facts must be a list", facts, None, "same_facts")
    for i, f in enumerate(facts):
        p = f"same_facts[{i}]"
        if not isinstance(f, dict) or set(f) - FACT_KEYS or "fact" not in f or "forms" not in f:
            raise spec_error("each same fact needs 'fact' and 'forms' (and nothing else)", f, None, p)
        if not isinstance(f["forms"], list) or len(f["forms"]) < 2:
            raise spec_error("a same fact is compared across at least two forms", f, "forms", f"{p}.forms")
        for j, item in enumerate(f["forms"]):
            q = f"{p}.forms[{j}]"
            if not isinstance(item, dict) or set(item) - FORM_KEYS or "form" not in item or "date" not in item:
                raise spec_error("give {form: ..., date: COLUMN} (and an optional where)", item, None, q)
            if item["form"] not in forms:
                raise spec_error(f"unknown form {item['form']!r}", item, "form", f"{q}.form")
            cols = forms[item["form"]]["columns"]
            if cols is not None and item["date"] not in cols:
                raise spec_error(
                    f"unknown raw column {item['date']!r} of form {item['form']}", item, "date", f"{q}.date"
                )
            if "where" in item:
                problem = condition_problem(item["where"], f"{q}.where")
                if problem:
                    raise spec_error(problem[1], item, "where", problem[0])
    return facts


def compare_dates(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Subjects whose ISO 8601 ``DTC`` differs between two forms (frames of SUBJECT, RECORDID, DTC; the first row
    of a subject counts): KIND ``conflict`` (differ at the shared precision) or ``less precise`` (agree, but one
    side has fewer components)."""
    a = a.dropna(subset=["DTC"]).drop_duplicates("SUBJECT")
    b = b.dropna(subset=["DTC"]).drop_duplicates("SUBJECT")
    for f in (a, b):
        if "RAW" not in f.columns:
            f["RAW"] = f["DTC"]
    m = a.merge(b, on="SUBJECT", suffixes=("_A", "_B"))
    if m.empty:
        return m.assign(KIND=pd.Series(dtype=object))
    va, fa, na = iso_digits(m["DTC_A"])
    vb, fb, nb = iso_digits(m["DTC_B"])
    scale = 10 ** (14 - np.minimum(na, nb))
    differ = va & vb & (fa // scale != fb // scale)
    coarser = va & vb & ~differ & (na != nb)
    m["KIND"] = np.select([differ, coarser], ["conflict", "less precise"], "")
    return m[m["KIND"] != ""].reset_index(drop=True)


def check_same_facts(facts: list, dates) -> list[dict]:
    """Warnings for every subject whose forms disagree on a same fact. ``dates(item)`` returns, for one form entry
    of a fact, a frame of SUBJECT, RECORDID, DTC (ISO 8601), RAW (the value as entered) and the form's file name
    (``frame.attrs["file"]``)."""
    warnings = []
    for fact in facts:
        items = fact["forms"]
        first = dates(items[0])
        for other in items[1:]:
            second = dates(other)
            for r in compare_dates(first, second).itertuples(index=False):
                a = f"{first.attrs['file']}, row {r.RECORDID_A}, column {items[0]['date']}: {r.RAW_A!r}"
                b = f"{second.attrs['file']}, row {r.RECORDID_B}, column {other['date']}: {r.RAW_B!r}"
                verb = "disagrees with" if r.KIND == "conflict" else "is less precise than"
                warnings.append(
                    {
                        "fact": str(fact["fact"]),
                        "subject": str(r.SUBJECT),
                        "kind": str(r.KIND),
                        "forms": [
                            {
                                "file": first.attrs["file"],
                                "row": str(r.RECORDID_A),
                                "column": items[0]["date"],
                                "value": str(r.RAW_A),
                            },
                            {
                                "file": second.attrs["file"],
                                "row": str(r.RECORDID_B),
                                "column": other["date"],
                                "value": str(r.RAW_B),
                            },
                        ],
                        "message": f"{fact['fact']} of subject {r.SUBJECT}: {a} {verb} {b}",
                    }
                )
    return warnings
