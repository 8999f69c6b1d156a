"""--SEQ: 1..n per subject in the dataset's sort order."""

from __future__ import annotations

import pandas as pd


def derive_seq(usubjid: pd.Series) -> pd.Series:
    """Sequence number within USUBJID, in the current row order (sort the dataset by its keys first).

    >>> derive_seq(pd.Series(["A", "A", "B", "A"])).tolist()
    [1.0, 2.0, 1.0, 3.0]
    """
    return (usubjid.groupby(usubjid, sort=False).cumcount() + 1).astype("float64")


def sort_by_keys(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows ordered by the dataset keys present in ``df`` (missing values last), stable for ties.

    >>> sort_by_keys(pd.DataFrame({"USUBJID": ["B", "A", "A"], "AESTDTC": ["2025", None, "2024"]}),
    ...              ["USUBJID", "AESTDTC"])["AESTDTC"].tolist()
    ['2024', nan, '2025']
    """
    keys = [k for k in keys if k in df.columns]
    return df.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True) if keys else df
