"""Shared ADaM helpers: imputed analysis dates and study days (arithmetic in :mod:`cdisckit.dates`), column
access, spec ordering. Conditions are :mod:`cdisckit.conditions`.

>>> import pandas as pd
>>> d = derive_vars_dt(pd.DataFrame({"AESTDTC": ["2025-03", "2025-03-07"]}), new_vars_prefix="AST", dtc="AESTDTC",
...                    highest_imputation="M", date_imputation="first")
>>> d["ASTDT"].dt.strftime("%Y-%m-%d").tolist(), d["ASTDTF"].tolist()
(['2025-03-01', '2025-03-07'], ['D', None])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisckit.dates import impute_dtc_dt, per_unique, study_day


def derive_vars_dt(
    dataset: pd.DataFrame,
    new_vars_prefix: str,
    dtc: str,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    flag_imputation: bool = True,
    min_dates: str | list[str] | None = None,
    max_dates: str | list[str] | None = None,
) -> pd.DataFrame:
    """Add ``<prefix>DT`` (and ``<prefix>DTF`` when flag_imputation) from the ISO column ``dtc``.

    ``min_dates``/``max_dates`` name columns of ``dataset`` (datetime64, or ISO 8601 text whose complete dates
    count) that the imputed date must not pass (see :func:`cdisckit.dates.impute_dtc_dt`); absent columns are
    ignored.
    """
    out = dataset.copy()

    def cols(names):
        names = [names] if isinstance(names, str) else list(names or [])
        return [out[n] for n in names if n in out.columns]

    dt, flag = impute_dtc_dt(out[dtc], highest_imputation, date_imputation, cols(min_dates), cols(max_dates))
    out[f"{new_vars_prefix}DT"] = dt
    if flag_imputation:
        out[f"{new_vars_prefix}DTF"] = flag
    return out


def derive_vars_dy(dataset: pd.DataFrame, reference_date: str, source_vars: dict[str, str]) -> pd.DataFrame:
    """Add study days: ``source_vars`` maps new name -> date column, e.g. ``{"ASTDY": "ASTDT"}``.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"TRTSDT": pd.to_datetime(["2025-01-10"] * 3), "ADT": pd.to_datetime(["2025-01-09", "2025-01-10", "2025-01-11"])})
    >>> derive_vars_dy(d, "TRTSDT", {"ADY": "ADT"})["ADY"].tolist()
    [-1.0, 1.0, 2.0]
    """
    out = dataset.copy()
    for new, col in source_vars.items():
        out[new] = study_day(out[col], out[reference_date])
    return out


def col(dataset: pd.DataFrame | None, name: str, default=None) -> pd.Series:
    """Column or a constant Series of ``default`` when absent."""
    if dataset is not None and name in dataset.columns:
        return dataset[name]
    return pd.Series(default, index=None if dataset is None else dataset.index, dtype=object)


def upper(s: pd.Series) -> pd.Series:
    """Trimmed upper-case text; missing stays missing.

    >>> upper(pd.Series([" cr ", None])).tolist()
    ['CR', nan]
    """
    s = pd.Series(s)
    return s.astype("str").str.strip().str.upper().where(s.notna())


def order_columns(dataset: pd.DataFrame, name: str, spec=None, *, consume: bool = False) -> pd.DataFrame:
    """Columns in the order of the dataset's spec (``spec``, else specs/adam/<name>.yaml), typed per the contract,
    sorted by the keys. A spec variable the derivation did not produce is left out, unless the standard requires
    it (core Req: added empty); columns outside the spec are dropped.

    ``consume``: ``dataset`` is the caller's own working frame, emptied column by column as each column is typed
    and put in order (a large dataset is then not held twice: the input and its sorted copy).

    >>> d = pd.DataFrame({"USUBJID": ["2", "1"], "AVAL": [2.0, 1.0], "X": [0, 0]})
    >>> o = order_columns(d, "ADTR", consume=True)
    >>> list(o.columns), o["USUBJID"].tolist(), o["AVAL"].tolist(), list(d.columns)  # + the Req variables, empty
    (['STUDYID', 'USUBJID', 'TRT01P', 'PARAMCD', 'PARAM', 'AVAL'], ['1', '2'], [1.0, 2.0], ['X'])
    """
    from cdisckit.standards import adam_dataset

    spec = spec or adam_dataset(name)
    names = [v.name for v in spec.variables if v.name in dataset.columns or v.core == "Req"]
    typed = {v.name: v for v in spec.variables}
    keys = [k for k in spec.keys if k in names]
    pos = None  # row positions in key order; None: the rows are in order already
    if keys and len(dataset):
        key_frame = pd.DataFrame({k: _typed(dataset, typed[k]).reset_index(drop=True) for k in keys})
        order = key_frame.sort_values(keys, kind="stable", na_position="first").index.to_numpy()
        pos = None if (order == np.arange(len(order))).all() else order
    cols = {}
    for c in names:
        s = _typed(dataset, typed[c])
        cols[c] = (s.take(pos) if pos is not None else s).reset_index(drop=True)
        if consume and c in dataset.columns:
            del dataset[c], s
    out = pd.DataFrame(cols, index=pd.RangeIndex(len(dataset.index)))
    out.attrs["label"] = spec.label
    out.attrs["column_labels"] = {v.name: v.label for v in spec.variables if v.name in out.columns}
    return out


def _typed(dataset: pd.DataFrame, v) -> pd.Series:
    """Column ``v.name`` of ``dataset`` typed per the contract (an absent one empty): dates datetime64, other
    numbers float64, text arrow-backed."""
    n = len(dataset)
    s = dataset[v.name] if v.name in dataset.columns else pd.Series([None] * n, index=dataset.index, dtype=object)
    if v.type == "Num":
        if (
            v.name.endswith(("DT", "DTM"))
            and not v.name.endswith(("DY",))
            and (pd.api.types.is_datetime64_any_dtype(s) or (s.isna().all() and v.name.endswith(("DT", "DTM"))))
        ):
            return pd.to_datetime(s).astype("datetime64[ns]")
        return pd.to_numeric(s, errors="coerce").astype("float64")
    return s.astype("str")  # arrow-backed text (a fraction of the memory of Python strings)


def warner(warn: Callable[[str], None] | None) -> Callable[[str], None]:
    if warn is not None:
        return warn
    import warnings

    return lambda msg: warnings.warn(msg, stacklevel=3)


def is_in(s: pd.Series, values) -> pd.Series:
    """``s.isin(values)``; text against text in one ``pyarrow.compute.is_in`` (pandas' text ``isin`` first makes a
    pyarrow scalar of every one of ``values`` in Python: slow for a list of subjects).

    >>> is_in(pd.Series(["a", "b", None], dtype="str"), pd.Index(["b", "c"], dtype="str")).tolist()
    [False, True, False]
    """
    if isinstance(values, set | frozenset | dict):
        values = list(values)
    v = values if isinstance(values, pd.Series | pd.Index) else pd.Index(values)
    if _arrow_text(s) and _arrow_text(v) and len(v):
        arr = pa.array(s.array)
        hit = pc.is_in(arr, value_set=pa.array(v.array).cast(arr.type))
        return pd.Series(hit.to_numpy(zero_copy_only=False), index=s.index, name=s.name)
    return s.isin(values)


def _arrow_text(s) -> bool:
    return isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"


def subjects_dated_by(usubjid: pd.Series, date: pd.Series, subjects: pd.Series, origin: pd.Series) -> pd.Series:
    """Per subject of ``subjects`` (with its ``origin`` date): one of the records (``usubjid``, ``date``) is undated
    or dated on/before the origin.

    >>> s = pd.Series(["1", "2", "3"])
    >>> subjects_dated_by(pd.Series(["1", "2", "2", "4"]), pd.Series(pd.to_datetime(["2025-01-11", "2025-01-12", None, None])),
    ...                   s, pd.Series(pd.to_datetime(["2025-01-10"] * 3))).tolist()
    [False, True, False]
    """
    first = ~subjects.duplicated().to_numpy()
    ids = subjects[first]
    pos = pd.Index(ids).get_indexer(usubjid)
    start = np.append(origin[first].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))[pos]
    d = date.to_numpy(dtype="datetime64[ns]")
    ok = (pos >= 0) & (np.isnat(d) | (d <= start))
    return is_in(subjects, ids.iloc[np.unique(pos[ok])])


def numbers(s: pd.Series) -> pd.Series:
    """``pd.to_numeric(s, errors="coerce")`` as float; text is converted once per distinct value.

    >>> numbers(pd.Series(["1", "x", None, "1"], dtype="str")).tolist()
    [1.0, nan, nan, 1.0]
    """
    if isinstance(s.dtype, pd.StringDtype):
        return per_unique(s, lambda u: pd.to_numeric(u, errors="coerce").astype(float)).rename(s.name)
    return pd.to_numeric(s, errors="coerce").astype(float)


def grade_digits(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The digits in grade text as a number and as text (``Grade 2`` -> 2.0, ``"2"``; None when there are none),
    worked out once per distinct value.

    >>> n, t = grade_digits(pd.Series(["Grade 2", None, "3", "Grade 2"]))
    >>> n.tolist(), t.tolist()
    ([2.0, nan, 3.0, 2.0], ['2', None, '3', '2'])
    """
    text = s if isinstance(s.dtype, pd.StringDtype) else pd.Series(s, dtype=object).astype("str")
    codes, uniq = pd.factorize(text, use_na_sentinel=True)
    num = pd.to_numeric(pd.Series(uniq, dtype="str").str.extract(r"(\d+)")[0], errors="coerce").astype(float)
    label = [None if pd.isna(v) else f"{int(v)}" for v in num]
    pick = np.where(codes >= 0, codes, len(uniq))
    return (
        pd.Series(np.append(num.to_numpy(), np.nan)[pick], index=s.index),
        pd.Series(np.array(label + [None], dtype=object)[pick], index=s.index, dtype=object),
    )


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its object columns as arrow-backed text: subject-level columns about to be joined onto many
    rows are converted once per subject, not once per row by :func:`order_columns`.

    >>> as_text(pd.DataFrame({"A": ["x", None], "B": [1.0, 2.0]})).dtypes.astype(str).tolist()
    ['str', 'float64']
    """
    return frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})


def join_subject_vars(frame: pd.DataFrame, subjects: pd.DataFrame, on: str = "USUBJID") -> pd.DataFrame:
    """``frame.merge(subjects, on=on, how="left")`` without copying ``frame``'s columns: the columns of
    ``subjects`` (one row per ``on`` value) are looked up for each row and added. Where that is not certain to be
    the merge's result (``subjects`` not unique on ``on``, missing keys, key dtypes that differ, a column in both)
    it is the merge.

    >>> f = pd.DataFrame({"USUBJID": ["2", "1", "3"], "AVAL": [1.0, 2.0, 3.0]})
    >>> join_subject_vars(f, pd.DataFrame({"USUBJID": ["1", "2"], "AGE": [60.0, 70.0]}))["AGE"].tolist()
    [70.0, 60.0, nan]
    """
    extra = [c for c in subjects.columns if c != on]
    key, ids = frame[on], subjects[on]
    if (
        frame.empty
        or key.dtype != ids.dtype
        or set(extra) & set(frame.columns)
        or ids.duplicated().any()
        or key.isna().any()
        or ids.isna().any()
    ):
        return frame.merge(subjects, on=on, how="left")
    looked_up = subjects.set_index(on)[extra].reindex(pd.Index(key))
    out = frame.reset_index(drop=True)
    for c in extra:
        out[c] = looked_up[c].set_axis(out.index)
    return out


def lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """``keys.map(mapping)`` that keeps the mapping's dtype (also when empty); mapping index must be unique."""
    mapping = mapping[~mapping.index.duplicated()]
    res = mapping.reindex(pd.Index(keys))
    res.index = keys.index
    return res
