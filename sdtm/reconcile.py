"""Reconciliation: every raw row is mapped to at least one domain or listed with the reason it was not."""

from __future__ import annotations

import numpy as np
import pandas as pd


class Reconciler:
    """Collects, per raw form, which rows went to which domain and why others were dropped.

    >>> r = Reconciler()
    >>> r.register("ae", pd.Series(["1", "2"]), pd.Series(["A", "A"]))
    >>> r.mapped("ae", "AE", pd.Index([0])); r.dropped("ae", pd.Index([1]), "AETERM blank")
    >>> r.result()["unmapped"][["form", "RECORDID", "reason"]].values.tolist()
    [['ae', '2', 'AETERM blank']]
    """

    def __init__(self):
        self.forms: dict[str, pd.DataFrame] = {}
        self.used: dict[tuple[str, str], np.ndarray] = {}
        self.reasons: dict[str, pd.Series] = {}

    def register(self, form: str, records: pd.Series, subjects: pd.Series):
        """A form read: its record ids (the record column, or row numbers) and subjects, one per raw row."""
        self.forms[form] = pd.DataFrame({"RECORDID": records.to_numpy(), "SUBJECT": subjects.to_numpy()})
        self.reasons[form] = pd.Series(np.nan, index=records.index, dtype="str")

    def mapped(self, form: str, domain: str, index: pd.Index):
        arr = self.used.setdefault((form, domain), np.zeros(len(self.forms[form]), dtype=bool))
        arr[np.asarray(index, dtype=np.int64)] = True

    def dropped(self, form: str, index: pd.Index, reason: str):
        r = self.reasons[form]
        sel = r.loc[index]
        r.loc[sel[sel.isna()].index] = reason

    def result(self) -> dict:
        """``{"forms": rows read/mapped/unmapped per form, "domains": rows per (form, domain),
        "unmapped": (form, RECORDID, SUBJECT, reason) of every raw row no domain received}``."""
        rows, per_domain, unmapped = [], [], []
        for form, ids in self.forms.items():
            any_used: np.ndarray = np.zeros(len(ids), dtype=bool)
            for (f, dom), arr in self.used.items():
                if f == form:
                    any_used |= arr
                    per_domain.append({"form": form, "domain": dom, "rows": int(arr.sum())})
            miss = ~any_used
            reason = self.reasons[form].fillna("no mapping block selects this row").to_numpy()
            if miss.any():
                unmapped.append(
                    pd.DataFrame(
                        {
                            "form": form,
                            "RECORDID": ids["RECORDID"].to_numpy()[miss],
                            "SUBJECT": ids["SUBJECT"].to_numpy()[miss],
                            "reason": reason[miss],
                        }
                    )
                )
            rows.append(
                {
                    "form": form,
                    "rows_read": len(ids),
                    "rows_mapped": int(any_used.sum()),
                    "rows_unmapped": int(miss.sum()),
                }
            )
        cols = ["form", "RECORDID", "SUBJECT", "reason"]
        return {
            "forms": pd.DataFrame(rows, columns=["form", "rows_read", "rows_mapped", "rows_unmapped"]),
            "domains": pd.DataFrame(per_domain, columns=["form", "domain", "rows"]),
            "unmapped": pd.concat(unmapped, ignore_index=True) if unmapped else pd.DataFrame(columns=cols),
        }
