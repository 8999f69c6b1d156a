"""Vectorised pandas evaluation of the generated GX expectations (the default engine).

Each evaluator reproduces the pandas semantics of great-expectations 1.x for its expectation type, so
the ``native`` and ``gx`` engines report the same failing rows: map expectations skip missing values
(except ``not_be_null``), regexes *search* (ours are anchored), compound uniqueness ignores rows whose
key values are all missing, and the type check compares the dtype (or, for object columns, each value).
Row positions are 0-based positions in the frame.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..dates import str_codes
from .suites import Expectation, Suite

EMPTY = np.array([], dtype=np.int64)


@dataclass
class Outcome:
    """Result of one expectation: success flag and failing row positions (empty for table-level)."""

    success: bool
    rows: np.ndarray = field(default_factory=lambda: EMPTY)


def per_unique(values: pd.Series, func) -> np.ndarray:
    """Apply a vectorised ``func`` (Series -> bool Series) to the distinct values only; map back to rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == len(values):
        return np.asarray(func(values), dtype=bool)
    ok = np.asarray(func(pd.Series(uniques)), dtype=bool)
    return ok[codes]


class FrameCache:
    """Per-frame memo of factorised text columns: codes (-1 = missing) and the distinct values.

    Text checks run on the distinct values and are mapped back through the codes, which is what makes
    the native engine fast on long SDTM tables (dates, CT values and ids repeat a lot). The shortcut is
    used only when every distinct value is a ``str`` (mixed-type object columns are evaluated as is).
    """

    def __init__(self, df: pd.DataFrame, known: dict[str, tuple[np.ndarray, pd.Series]] | None = None):
        """``known``: column -> (codes, str uniques) already found for these very values (by the XPT reader's
        ``text_codes``), used instead of factorising the column again."""
        self.df = df
        self._memo: dict[str, tuple | None] = {}
        self._known = known or {}

    def text(self, col: str) -> tuple[np.ndarray, pd.Series] | None:
        """(codes, str uniques) of a text column whose values are all str, else None."""
        if col not in self._memo:
            known = self._known.get(col)
            usable = known is not None and len(known[0]) == len(self.df) and self.df[col].dtype == object
            self._memo[col] = known if usable else str_codes(self.df[col])
        return self._memo[col]

    def codes(self, col: str) -> np.ndarray:
        """Integer codes of any column (-1 = missing), for key uniqueness."""
        t = self.text(col)
        if t is not None:
            return t[0]
        key = "#codes:" + col
        if key not in self._memo:
            self._memo[key] = (np.asarray(pd.factorize(self.df[col], use_na_sentinel=True)[0]),)
        memo = self._memo[key]
        assert memo is not None  # "#codes:" entries are always a 1-tuple
        return memo[0]

    def notna(self, col: str) -> np.ndarray:
        t = self.text(col)
        return t[0] >= 0 if t is not None else self.df[col].notna().to_numpy()


def _rows(mask) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool)).astype(np.int64)


def _unique_test(cache: FrameCache | None, df, column, func) -> np.ndarray | None:
    """Rows (positions in ``df``) failing ``func`` (str Series -> bool ok) via the cache; None = no shortcut."""
    t = cache.text(column) if cache is not None and cache.df is df else None
    if t is None:
        return None
    codes, u = t
    if not len(u):
        return EMPTY
    bad = ~np.asarray(func(u), dtype=bool)
    if not bad.any():
        return EMPTY
    return _rows(np.append(bad, False)[codes])  # code -1 (missing) takes the appended False


def _positions(mask, index) -> np.ndarray:
    """Row positions (from ``index``, a subset of a RangeIndex) where ``mask`` is True."""
    return np.asarray(index, dtype=np.int64)[np.asarray(mask, dtype=bool)]


def _nonnull(df: pd.DataFrame, column: str) -> pd.Series:
    s = df[column]
    return s[s.notna()]


# ---------------------------------------------------------------- column map expectations
def _not_null(df, column, cache=None, **_):
    if cache is not None and cache.df is df:
        return _rows(~cache.notna(column))
    s = df[column]
    return _positions(s.isna(), s.index)


def _in_set(df, column, value_set, cache=None, **_):
    rows = _unique_test(cache, df, column, lambda u: u.isin(value_set))
    if rows is not None:
        return rows
    s = _nonnull(df, column)
    return _positions(~s.isin(value_set), s.index)


def _be_null(df, column, cache=None, **_):
    if cache is not None and cache.df is df:
        return _rows(cache.notna(column))
    s = df[column]
    return _positions(s.notna(), s.index)


def _not_in_set(df, column, value_set, cache=None, **_):
    rows = _unique_test(cache, df, column, lambda u: ~u.isin(value_set))
    if rows is not None:
        return rows
    s = _nonnull(df, column)
    return _positions(s.isin(value_set), s.index)


def searches(u: pd.Series, regex: str) -> np.ndarray:
    """``u.str.contains(regex)`` (``re.search``) of a Series of ``str``, one call of the compiled pattern a value."""
    search = re.compile(regex).search
    return np.fromiter(map(bool, map(search, u.to_numpy(dtype=object))), dtype=bool, count=len(u))


def _not_regex(df, column, regex, cache=None, **_):
    rows = _unique_test(cache, df, column, lambda u: ~searches(u, regex))
    if rows is not None:
        return rows
    s = _nonnull(df, column)
    bad = per_unique(s.astype(str), lambda u: u.str.contains(regex, regex=True))
    return _positions(bad, s.index)


def _between(df, column, min_value=None, max_value=None, cache=None, **_):
    s = pd.to_numeric(_nonnull(df, column), errors="coerce")
    bad = pd.Series(False, index=s.index)
    if min_value is not None:
        bad |= s < min_value
    if max_value is not None:
        bad |= s > max_value
    return _positions(bad, s.index)


def _pair_equal(df, column_A, column_B, ignore_row_if="both_values_are_missing", cache=None, **_):
    a, b = df[column_A].astype(object), df[column_B].astype(object)
    na, nb = a.isna(), b.isna()
    keep = ~(na & nb) if ignore_row_if == "both_values_are_missing" else ~(na | nb)
    differ = ~(a == b) | (na != nb)
    return _positions(keep & differ, a.index)


def _regex(df, column, regex, cache=None, **_):
    rows = _unique_test(cache, df, column, lambda u: searches(u, regex))
    if rows is not None:
        return rows
    s = _nonnull(df, column)
    ok = per_unique(s.astype(str), lambda u: u.str.contains(regex, regex=True))
    return _positions(~ok, s.index)


def _lengths(df, column, min_value=None, max_value=None, cache=None, **_):
    def ok(u):
        n = u.astype(str).str.len()
        good = pd.Series(True, index=u.index)
        if min_value is not None:
            good &= n >= min_value
        if max_value is not None:
            good &= n <= max_value
        return good

    rows = _unique_test(cache, df, column, ok)
    if rows is not None:
        return rows
    s = _nonnull(df, column)
    return _positions(~ok(s), s.index)


def _unique(df, column, cache=None, **_):
    s = _nonnull(df, column)
    return _positions(s.duplicated(keep=False), s.index)


def _compound_unique(df, column_list, ignore_row_if="all_values_are_missing", cache=None, **_):
    if cache is not None and cache.df is df:
        codes = [cache.codes(c) for c in column_list]
        missing = np.stack([c < 0 for c in codes])
        keep = (
            ~missing.all(axis=0)
            if ignore_row_if == "all_values_are_missing"
            else (~missing.any(axis=0) if ignore_row_if == "any_value_is_missing" else np.ones(len(df), bool))
        )
        key = _combined_codes(codes)[keep]
        dup = np.bincount(key)[key] > 1 if len(key) else np.zeros(0, bool)
        return np.flatnonzero(keep)[dup].astype(np.int64)
    sub = df[list(column_list)]
    if ignore_row_if == "all_values_are_missing":
        sub = sub[sub.notna().any(axis=1)]
    elif ignore_row_if == "any_value_is_missing":
        sub = sub[sub.notna().all(axis=1)]
    return _positions(sub.duplicated(keep=False), sub.index)


def _combined_codes(codes: list[np.ndarray]) -> np.ndarray:
    """One int64 code per row for the tuple of per-column codes (-1 = missing is a value of its own): equal
    tuples, equal codes. The mixed-radix number is renumbered only when the next column could overflow it."""
    key: np.ndarray = codes[0].astype(np.int64) + 1
    top = int(key.max(initial=0))
    for c in codes[1:]:
        radix = int(c.max(initial=-1)) + 2
        if (top + 1) * radix >= 2**62:
            key = pd.factorize(key)[0].astype(np.int64)
            top = int(key.max(initial=0))
        key = key * radix + (c.astype(np.int64) + 1)
        top = top * radix + radix - 1
    return pd.factorize(key)[0].astype(np.int64) if len(codes) > 1 else key


def _python_types(type_list) -> tuple:
    """The Python/numpy classes GX accepts for ``type_list`` in its per-value (object column) check."""
    out = []
    for t in type_list:
        try:
            out.append(np.dtype(t).type)
        except TypeError:
            for mod in (pd, pd.core.dtypes.dtypes):
                cls = getattr(mod, t, None)
                if isinstance(cls, type):
                    out.append(cls)
        native = {
            "int": (int,),
            "long": (int,),
            "float": (float,),
            "str": (str,),
            "string_types": (str,),
            "bool": (bool,),
            "bytes": (bytes,),
            "none": (type(None),),
        }.get(t.lower())
        out.extend(native or ())
    return tuple(out)


def _dtype_matches(dtype, type_list) -> bool:
    """GX's aggregate type check: the column dtype equals the numpy dtype of a listed name."""
    for t in type_list:
        try:
            if dtype == np.dtype(t):
                return True
        except TypeError:
            continue
    return False


def _type_list(df, column, type_list, cache=None, **_):
    """Object and text columns: each non-missing value must be an instance (GX's map version); other
    columns: the dtype must be listed (GX's aggregate version; failing rows are not reported)."""
    s = df[column]
    if cache is not None and cache.df is df and cache.text(column) is not None:  # all values are str
        codes = cache.text(column)[0]
        return EMPTY if builtins.str in _python_types(type_list) else _rows(codes >= 0)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        v = s[s.notna()]
        types = _python_types(type_list)
        if pd.api.types.infer_dtype(v, skipna=True) in ("string", "empty"):
            return EMPTY if builtins.str in types or v.empty else _positions(np.ones(len(v), bool), v.index)
        return _positions(~v.map(lambda x: isinstance(x, types)).astype(bool), v.index)
    return None if _dtype_matches(s.dtype, type_list) else "table-fail"


# Each returns failing row positions, None (pass) or "table-fail" (a failure without rows).
MAP_EVALUATORS: dict[str, Callable[..., np.ndarray | str | None]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_values_to_be_null": _be_null,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_not_match_regex": _not_regex,
    "expect_column_values_to_be_between": _between,
    "expect_column_pair_values_to_be_equal": _pair_equal,
    "expect_column_value_lengths_to_be_between": _lengths,
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_values_to_be_in_type_list": _type_list,
}


# ---------------------------------------------------------------- table expectations
def _table(df: pd.DataFrame, exp: Expectation) -> bool:
    kw = exp.kwargs
    if exp.type == "expect_column_to_exist":
        return kw["column"] in df.columns
    if exp.type == "expect_table_columns_to_match_set":
        same = set(df.columns) == set(kw["column_set"])
        return same or not kw.get("exact_match", True) and set(kw["column_set"]) <= set(df.columns)
    if exp.type == "expect_table_columns_to_match_ordered_list":
        return list(df.columns) == list(kw["column_list"])
    raise ValueError(f"native engine cannot evaluate {exp.type}")


_OPERATORS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def condition_mask(df: pd.DataFrame, cond: dict, cache: FrameCache | None = None) -> pd.Series:
    """Rows kept by a serialised GX row condition (comparison, nullity, and/or).

    With ``cache`` (of ``df``), an equality or nullity test of a text column looks at its codes."""
    kind = cond["type"]
    if kind == "comparison":
        by_codes = _text_comparison(df, cond, cache)
        if by_codes is not None:
            return by_codes
        col, op = df[cond["column"]["name"]], cond["operator"]
        if op in ("IN", "NOT_IN"):
            inside = col.isin(list(cond["parameter"]))
            return inside if op == "IN" else ~inside
        return getattr(col, _OPERATORS[op])(cond["parameter"]).fillna(False)
    if kind == "nullity":
        name = cond["column"]["name"]
        if cache is not None and cache.df is df:
            isna = pd.Series(~cache.notna(name), index=df.index)
        else:
            isna = df[name].isna()
        return isna if cond.get("is_null", True) else ~isna
    if kind in ("and", "or"):
        masks = [condition_mask(df, c, cache) for c in cond["conditions"]]
        out = masks[0]
        for m in masks[1:]:
            out = (out & m) if kind == "and" else (out | m)
        return out
    raise ValueError(f"native engine cannot evaluate row condition {cond}")


def _text_comparison(df: pd.DataFrame, cond: dict, cache: FrameCache | None) -> pd.Series | None:
    """``column == text`` / ``column != text`` on a text column's codes (missing values are never equal), as
    pandas compares; None when the cache cannot answer."""
    op, value = cond["operator"], cond["parameter"]
    if op not in ("==", "!=") or not isinstance(value, str) or cache is None or cache.df is not df:
        return None
    t = cache.text(cond["column"]["name"])
    if t is None:
        return None
    codes, u = t
    hit = np.flatnonzero(u.to_numpy(dtype=object) == value)
    equal = codes == hit[0] if len(hit) else np.zeros(len(codes), dtype=bool)
    return pd.Series(equal if op == "==" else ~equal, index=df.index)


# Evaluators whose verdict on a row depends on that row only: with a row condition they run on the whole frame
# (through the cache) and keep the rows of the condition.
ROW_BY_ROW = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
    }
)
_COLUMN_ARGUMENTS = ("column", "column_A", "column_B")


def _condition_rows(df: pd.DataFrame, exp: Expectation, cache: FrameCache | None) -> pd.DataFrame:
    """The rows of ``df`` an expectation's row condition keeps, with only the columns the expectation reads."""
    kw = exp.kwargs
    columns = [kw[k] for k in _COLUMN_ARGUMENTS if k in kw] + list(kw.get("column_list") or ())
    mask = condition_mask(df, kw["row_condition"], cache)
    return df[list(dict.fromkeys(columns))][mask.to_numpy(dtype=bool)]


def evaluate(df: pd.DataFrame, exp: Expectation, cache: FrameCache | None = None) -> Outcome:
    """Evaluate one expectation on a frame with a RangeIndex."""
    func = MAP_EVALUATORS.get(exp.type)
    if func is None:
        return Outcome(_table(df, exp))
    kwargs = {k: v for k, v in exp.kwargs.items() if k != "row_condition"}
    cond = exp.kwargs.get("row_condition")
    if cond and exp.type in ROW_BY_ROW and cache is not None and cache.df is df:
        keep = condition_mask(df, cond, cache).to_numpy(dtype=bool)
        rows = func(df, cache=cache, **kwargs)
        rows = rows[keep[rows]] if isinstance(rows, np.ndarray) else rows
    else:
        rows = func(_condition_rows(df, exp, cache) if cond else df, cache=cache, **kwargs)
    if rows is None:
        return Outcome(True)
    if isinstance(rows, str):
        return Outcome(False)
    return Outcome(len(rows) == 0, np.sort(rows))


def run_suite(df: pd.DataFrame, suite: Suite, cache: FrameCache | None = None) -> dict[str, Outcome]:
    """All expectations of a suite, keyed by the expectation's check key (``df`` has a RangeIndex)."""
    cache = cache if cache is not None and cache.df is df else FrameCache(df)
    return {exp.key: evaluate(df, exp, cache) for exp in suite.expectations}
