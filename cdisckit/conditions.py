"""The one condition language of cdisckit: row filters in mapping files (``where:``, ``drop: when:``,
``cases: when:``) and in ADaM parameters (``trtsdt_where``, TTE source ``where``). Declarative data, never code.

A condition is ``null`` (every row), a mapping ``{NAME: test, ...}`` (every test must hold), or
``{any: [condition, ...]}`` / ``{all: [condition, ...]}``. NAME is a column: a raw column or an already-mapped
variable in a mapping file, a dataset variable in ADaM parameters. A test is one of

==============================  =====================================================================
``value``                       equals
``[v1, v2, null]``              one of (a null item also matches missing)
``null``                        missing (blank text counts as missing)
``{not: test}``                 negation
``{eq|ne|lt|le|gt|ge: x}``      comparison with a value, or with another column: ``{gt: {column: AEENDTC}}``
``{matches: regex}``            the whole (trimmed) text matches the regular expression, ignoring case
``{icase: value}``              the same as ``value`` (comparison is always case-insensitive)
==============================  =====================================================================

One rule for comparing: text is trimmed, runs of blanks count as one, case is ignored (``car-t`` matches
``CAR-T``); numbers compare as numbers; dates (datetime columns, or ISO 8601 text on both sides) compare as
dates, partial dates at the precision both sides share. A comparison with a missing value is false (so
``{not: {eq: ...}}`` is true there).

>>> df = pd.DataFrame({"EXCAT": ["CAR-T", " car-t", "LD"], "D1": ["2025-01-05", "2025-02", None],
...                    "D2": ["2025-01-04", "2025-01-31", "2025-01-01"]})
>>> frame_mask(df, {"EXCAT": "car-t"}).tolist(), frame_mask(df, {"D1": {"gt": {"column": "D2"}}}).tolist()
([True, True, False], [True, True, False])
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from .dates import dtc_to_dt, is_iso8601, partial_after
from .errors import SpecError

COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
OPERATORS = ("not", "icase", "matches") + COMPARE
COMBINE = ("any", "all")

Getter = Callable[[str], pd.Series]


def _is_scalar(v) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


_BOOL_HINT = "is a YAML boolean; quote the value (YAML reads yes/no/on/off/true/false as booleans)"


def condition_problem(cond, path: str = "where") -> tuple[str, str] | None:
    """Why ``cond`` is not a valid condition, as (key path, message); None when valid.

    >>> condition_problem({"EXCAT": "CAR-T", "EXDOSE": {"not": None}}) is None
    True
    >>> condition_problem({"AESER": True})
    ('where.AESER', 'True is a YAML boolean; quote the value (YAML reads yes/no/on/off/true/false as booleans)')
    >>> condition_problem("EXCAT == 'CAR-T'")[1][:40]
    'expected a mapping {NAME: test}, got str'
    """
    if cond is None:
        return None
    if not isinstance(cond, dict):
        return path, (
            f"expected a mapping {{NAME: test}}, got {type(cond).__name__} {cond!r}; conditions are declarative: "
            "{NAME: value}, {NAME: [v1, v2]}, {NAME: null}, {NAME: {not: ...}}, {NAME: {gt: {column: OTHER}}}, "
            "{any: [...]}"
        )
    if not cond:
        return path, "empty condition; use null for all rows"
    for name, test in cond.items():
        if name in COMBINE:
            if not isinstance(test, list) or not test:
                return f"{path}.{name}", f"{name} takes a non-empty list of conditions"
            for i, sub in enumerate(test):
                problem = condition_problem(sub, f"{path}.{name}[{i}]")
                if problem:
                    return problem
            continue
        if not isinstance(name, str) or not name.strip():
            return path, f"column names must be text, got {name!r}"
        message = _test_problem(test)
        if message:
            return f"{path}.{name}", message
    return None


def _test_problem(test) -> str | None:
    if isinstance(test, bool):
        return f"{test!r} {_BOOL_HINT}"
    if test is None or _is_scalar(test):
        return None
    if isinstance(test, list):
        if not test:
            return "empty list matches nothing"
        for v in test:
            if isinstance(v, bool):
                return f"{v!r} {_BOOL_HINT}"
            if v is not None and not _is_scalar(v):
                return f"list items must be values (text, numbers or null), got {v!r}"
        return None
    if isinstance(test, dict):
        if len(test) != 1 or next(iter(test)) not in OPERATORS:
            return f"unknown operator {test!r}; a test is a value, a list, null, or one of " + ", ".join(
                f"{{{op}: ...}}" for op in OPERATORS
            )
        op, arg = next(iter(test.items()))
        if op == "not":
            return _test_problem(arg)
        if op == "icase":
            ok = isinstance(arg, str) or (isinstance(arg, list) and arg and all(isinstance(v, str) for v in arg))
            return None if ok else "icase takes a text value or a list of text values"
        if op == "matches":
            if not isinstance(arg, str):
                return "matches takes a regular expression (text)"
            try:
                re.compile(arg)
            except re.error as exc:
                return f"not a regular expression: {exc}"
            return None
        if isinstance(arg, dict):
            if set(arg) != {"column"} or not isinstance(arg["column"], str):
                return f"{op} takes a value or {{column: NAME}}, got {arg!r}"
            return None
        if isinstance(arg, bool):
            return f"{arg!r} {_BOOL_HINT}"
        return None if _is_scalar(arg) else f"{op} takes a value or {{column: NAME}}, got {arg!r}"
    return f"unsupported test {test!r}"


def condition_columns(cond) -> list[str]:
    """Every column a (valid) condition names, tested columns and compared ``{column: ...}`` ones.

    >>> condition_columns({"A": 1, "any": [{"B": None}, {"C": {"lt": {"column": "D"}}}]})
    ['A', 'B', 'C', 'D']
    """
    out: list[str] = []
    if not isinstance(cond, dict):
        return out
    for name, test in cond.items():
        if name in COMBINE and isinstance(test, list):
            for sub in test:
                out += [c for c in condition_columns(sub) if c not in out]
            continue
        if name not in out:
            out.append(name)
        while isinstance(test, dict) and len(test) == 1:
            op, test = next(iter(test.items()))
            if op in COMPARE and isinstance(test, dict) and "column" in test:
                if test["column"] not in out:
                    out.append(test["column"])
                break
    return out


def substitute(value, fill: dict):
    """Replace ``{name}`` placeholders (e.g. ``{p}`` = criterion prefix) in every text of a nested value.

    >>> substitute({"PARAMCD": "{p}PD"}, {"p": "M"})
    {'PARAMCD': 'MPD'}
    """
    if isinstance(value, str):
        for k, x in fill.items():
            value = value.replace("{" + k + "}", str(x))
        return value
    if isinstance(value, dict):
        return {substitute(k, fill): substitute(v, fill) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, fill) for v in value]
    return value


# ------------------------------------------------------------------------------------------ evaluation
def normalise_text(s: pd.Series) -> pd.Series:
    """The comparison form of text: trimmed, blanks collapsed, upper case; blank becomes missing.

    >>> normalise_text(pd.Series([" a  b", "", None])).tolist()
    ['A B', None, None]
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    if len(uniq) == 0:
        return pd.Series(np.nan, index=s.index, dtype=object)
    keys = _comparison_keys(pd.Series(uniq)).to_numpy(dtype=object)
    out = np.where(codes >= 0, keys[np.maximum(codes, 0)], None)
    return pd.Series(out, index=s.index, dtype=object)


def _comparison_keys(u: pd.Series) -> pd.Series:
    """:func:`normalise_text` of distinct values (object, None for blank); callers spread it back to the rows."""
    keys = u.astype("str").str.split().str.join(" ").str.upper()
    return keys.astype(object).where(keys.ne(""), None)


def _key_test(s: pd.Series, test: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``test`` of the comparison keys (:func:`_comparison_keys`) of each distinct value of ``s``, spread back to
    the rows as booleans; missing values are False.

    >>> _key_test(pd.Series([" y", "N", None, "Y"]), lambda k: k.isin({"Y"})).tolist()
    [True, False, False, True]
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    per_value = test(_comparison_keys(pd.Series(uniq))).to_numpy(dtype=bool)
    return pd.Series(np.append(per_value, False)[codes], index=s.index)


def normalise_value(v) -> str:
    """A literal of a condition in comparison form.

    >>> normalise_value("  car-t ")
    'CAR-T'
    """
    return " ".join(str(v).split()).upper()


def _missing(s: pd.Series) -> pd.Series:
    miss = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        miss = miss | ~_key_test(s, lambda k: k.notna())
    return miss.astype(bool)


def _is_num_col(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _equals_any(s: pd.Series, values: list, key: str, name: str) -> pd.Series:
    if not values:
        return pd.Series(False, index=s.index)
    if pd.api.types.is_datetime64_any_dtype(s):
        try:
            targets = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        except (ValueError, TypeError) as exc:
            raise SpecError(f"{values!r} are not dates for date column {name}", key=key) from exc
        return s.isin(list(targets)).fillna(False).astype(bool)
    if _is_num_col(s):
        nums = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        if nums.isna().any():
            raise SpecError(f"{values!r}: numeric column {name} compared with text", key=key)
        return s.isin(list(nums)).fillna(False).astype(bool)
    wanted = {normalise_value(v) for v in values}
    hit = _key_test(s, lambda k: k.isin(wanted))
    nums = [v for v in values if not isinstance(v, str)]
    if nums:  # a number against a text column (e.g. IDVARVAL "1"): also compare as numbers
        hit |= pd.to_numeric(s, errors="coerce").isin(nums)
    return hit.fillna(False).astype(bool)


def _compare(op: str, a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise comparison with the one rule (dates, numbers, text); False where either side is missing."""
    present = ~_missing(a) & ~_missing(b)
    if pd.api.types.is_datetime64_any_dtype(a) or pd.api.types.is_datetime64_any_dtype(b):
        x, y = dtc_to_dt(a), dtc_to_dt(b)
        return _ordered(op, x, y, present & x.notna() & y.notna())
    if _is_num_col(a) and _is_num_col(b):
        return _ordered(op, a, b, present)
    xa, xb = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    if (xa.notna() | ~present).all() and (xb.notna() | ~present).all():
        return _ordered(op, xa, xb, present)
    if (is_iso8601(a) | ~present).all() and (is_iso8601(b) | ~present).all():
        gt = pd.Series(partial_after(a, b), index=a.index)
        lt = pd.Series(partial_after(b, a), index=a.index)
        eq = present & ~gt & ~lt
        res = {"gt": gt, "lt": lt, "eq": eq, "ne": gt | lt, "ge": gt | eq, "le": lt | eq}[op]
        return (res & present).astype(bool)
    return _ordered(op, normalise_text(a), normalise_text(b), present)


def _ordered(op: str, a: pd.Series, b: pd.Series, present: pd.Series) -> pd.Series:
    a, b = a.where(present), b.where(present)
    res = {
        "eq": lambda: a == b,
        "ne": lambda: a != b,
        "lt": lambda: a < b,
        "le": lambda: a <= b,
        "gt": lambda: a > b,
        "ge": lambda: a >= b,
    }[op]()
    return (res.fillna(False).astype(bool)) & present


def _test_mask(s: pd.Series, test, get: Getter, key: str, name: str) -> pd.Series:
    if test is None:
        return _missing(s)
    if isinstance(test, dict):
        op, arg = next(iter(test.items()))
        if op == "not":
            return ~_test_mask(s, arg, get, key, name)
        if op == "icase":
            return _test_mask(s, arg, get, key, name)
        if op == "matches":
            text = normalise_text(s)
            hit = text.astype("str").str.fullmatch(arg, flags=re.IGNORECASE)
            return (hit.fillna(False).astype(bool)) & text.notna()
        other = _get(get, arg["column"], key) if isinstance(arg, dict) else pd.Series([arg] * len(s), index=s.index)
        other.index = s.index
        if not isinstance(arg, dict) and op in ("eq", "ne"):
            hit = _equals_any(s, [arg], key, name)
            return hit if op == "eq" else ~hit & ~_missing(s)
        return _compare(op, s, other)
    values = test if isinstance(test, list) else [test]
    hit = _equals_any(s, [v for v in values if v is not None], key, name)
    return (hit | _missing(s)) if any(v is None for v in values) else hit


def _get(get: Getter, name: str, key: str) -> pd.Series:
    try:
        return get(name)
    except KeyError:
        raise SpecError(f"condition names {name!r}, which is not a column here", key=key) from None


def condition_mask(cond, get: Getter, index: pd.Index, *, key: str = "where", fill: dict | None = None) -> pd.Series:
    """Boolean Series over ``index``: the rows meeting ``cond``; ``get(NAME)`` returns a column (KeyError when
    there is no such column, reported as a SpecError naming ``key``)."""
    if cond is None:
        return pd.Series(True, index=index)
    if fill:
        cond = substitute(cond, fill)
    bad = condition_problem(cond, key)
    if bad:
        raise SpecError(bad[1], key=bad[0])
    mask = pd.Series(True, index=index)
    for name, test in cond.items():
        if name in COMBINE:
            subs = [condition_mask(c, get, index, key=f"{key}.{name}[{i}]") for i, c in enumerate(test)]
            combined = subs[0]
            for m in subs[1:]:
                combined = (combined | m) if name == "any" else (combined & m)
            mask &= combined
            continue
        s = _get(get, name, f"{key}.{name}")
        s = s if isinstance(s, pd.Series) else pd.Series(s, index=index)
        mask &= _test_mask(s.set_axis(index), test, get, f"{key}.{name}", name).to_numpy()
    return mask.astype(bool)


def frame_mask(frame: pd.DataFrame, cond, *, key: str = "where", fill: dict | None = None) -> pd.Series:
    """:func:`condition_mask` over the columns of one DataFrame; a missing column names the dataset's columns."""

    def get(name: str) -> pd.Series:
        if name not in frame.columns:
            raise SpecError(
                f"condition names column {name}, which the dataset does not have "
                f"(columns: {', '.join(map(str, frame.columns[:40]))})",
                key=key,
                column=name,
            )
        return frame[name]

    return condition_mask(cond, get, frame.index, key=key, fill=fill)


def filter_rows(frame: pd.DataFrame, cond, *, key: str = "where", fill: dict | None = None) -> pd.DataFrame:
    """Rows of ``frame`` meeting ``cond``; None = all rows.

    >>> ex = pd.DataFrame({"EXCAT": ["CAR-T", "LYMPHODEPLETION", None]})
    >>> len(filter_rows(ex, {"EXCAT": {"not": ["CAR-T", None]}}))
    1
    """
    if cond is None or (frame.empty and len(frame.columns) == 0):
        return frame
    return frame[frame_mask(frame, cond, key=key, fill=fill)]
