"""Wide-to-long for findings forms: one raw row per visit with one column per test -> one record per test.

A block's ``long: {key: VSTESTCD, value: VSORRES, columns: {SYSBP: SYS_BP, DIABP: DIA_BP}, blank: keep}``
gives each raw row one record per listed test, in the order listed: ``key`` holds the test code, ``value`` the
raw text of that test's column; every other raw column is repeated. ``blank: drop`` (default) makes no record
for an empty result, ``keep`` makes one (for --STAT NOT DONE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def derive_long_records(
    frame: pd.DataFrame, *, key: str, value: str, columns: dict, blank: str = "drop"
) -> tuple[pd.DataFrame, np.ndarray]:
    """(long frame with a fresh 0..n-1 index, raw index of each long record).

    >>> vs = pd.DataFrame({"PATNUM": ["1", "2"], "SYS_BP": ["120", ""], "DIA_BP": ["80", ""]})
    >>> long, src = derive_long_records(vs, key="VSTESTCD", value="VSORRES",
    ...                                 columns={"SYSBP": "SYS_BP", "DIABP": "DIA_BP"})
    >>> long[["PATNUM", "VSTESTCD", "VSORRES"]].values.tolist(), src.tolist()
    ([['1', 'SYSBP', '120'], ['1', 'DIABP', '80']], [0, 0])
    """
    parts = []
    for pos, (code, col) in enumerate(columns.items()):
        v = frame[col]
        keep = v.notna() & v.astype("str").str.strip().ne("") if blank == "drop" else pd.Series(True, index=frame.index)
        sub = frame.loc[keep].copy()
        sub[key] = str(code)
        sub[value] = v[keep].astype(object)
        sub["_SRC_"] = frame.index[keep.to_numpy()]
        sub["_POS_"] = pos
        parts.append(sub)
    long = pd.concat(parts, ignore_index=True).sort_values(["_SRC_", "_POS_"], kind="stable")
    src = long["_SRC_"].to_numpy(dtype=np.int64)
    return long.drop(columns=["_SRC_", "_POS_"]).reset_index(drop=True), src
