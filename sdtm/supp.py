"""SUPPxx: sponsor values with no standard variable, one record per parent record and QNAM."""

from __future__ import annotations

import pandas as pd

from cdisckit.standards import sdtm_dataset

from .derive_seq import sort_by_keys
from .derive_timing import format_visitnum

SUPP_PREFIX = "_SUPP_"


def derive_supp(parent: pd.DataFrame, *, domain: str, qualifiers: dict) -> pd.DataFrame:
    """SUPP records from the parent's ``_SUPP_<QNAM>`` columns; IDVAR = --SEQ (none for DM), QORIG default CRF.

    >>> p = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AESEQ": [1.0], "_SUPP_AESI": ["Y"]})
    >>> derive_supp(p, domain="AE", qualifiers={"AESI": {"label": "Adverse Event of Special Interest"}})[
    ...     ["RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QVAL", "QORIG"]].values.tolist()
    [['AE', 'AESEQ', '1', 'AESI', 'Y', 'CRF']]
    """
    seq = f"{domain}SEQ"
    parts = []
    for qnam, q in qualifiers.items():
        col = SUPP_PREFIX + qnam
        if col not in parent.columns:
            continue
        val = parent[col]
        if val.dtype.kind in "fi":
            val = format_visitnum(val)
        keep = val.notna()
        if not keep.any():
            continue
        sub = parent.loc[keep]
        parts.append(
            pd.DataFrame(
                {
                    "STUDYID": sub["STUDYID"].to_numpy(),
                    "RDOMAIN": domain,
                    "USUBJID": sub["USUBJID"].to_numpy(),
                    "IDVAR": seq if seq in parent.columns else None,
                    "IDVARVAL": format_visitnum(sub[seq]).to_numpy() if seq in parent.columns else None,
                    "QNAM": qnam,
                    "QLABEL": str(q["label"]),
                    "QVAL": val[keep].to_numpy(),
                    "QORIG": q.get("qorig", "CRF"),
                    "QEVAL": q.get("qeval"),
                }
            )
        )
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return sort_by_keys(out, list(sdtm_dataset("SUPP" + domain).keys))
