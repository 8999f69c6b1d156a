"""Shared helpers: ISO 8601 partial dates, study days, declarative filters (no expressions), spec ordering.

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

from cdisckit.errors import SpecError

_DTC = r"^(\d{4})(?:-(\d{2}|-)?)?(?:-(\d{2}|-)?)?(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?"
_LEVEL = {"n": 0, "D": 1, "M": 2, "Y": 3}


def parse_dtc(dtc: pd.Series) -> pd.DataFrame:
    """Split ISO 8601 strings (partial allowed) into float year, month, day, hour, minute, second."""
    s = pd.Series(dtc, dtype=object).where(pd.Series(dtc, dtype=object).notna(), None)
    parts = s.astype("str").str.extract(_DTC)
    parts.columns = ["year", "month", "day", "hour", "minute", "second"]
    out = parts.apply(lambda c: pd.to_numeric(c, errors="coerce"))
    out.index = pd.Series(dtc).index
    return out.astype(float)


def _ymd(year, month, day) -> pd.Series:
    ok = year.notna() & month.notna() & day.notna()
    frame = pd.DataFrame({"year": year.where(ok, 2000), "month": month.where(ok, 1), "day": day.where(ok, 1)}).astype(
        int
    )
    res = pd.to_datetime(frame, errors="coerce")
    return res.where(ok).astype("datetime64[ns]")


def dtc_to_dt(dtc: pd.Series) -> pd.Series:
    """Complete dates only (first 10 characters ``YYYY-MM-DD``); partial or invalid -> NaT."""
    s = pd.Series(dtc, dtype=object)
    txt = s.where(s.notna(), "").astype(str).str.slice(0, 10)
    return pd.to_datetime(
        txt.where(txt.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d", errors="coerce"
    ).astype("datetime64[ns]")


def dtc_to_dtm(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Datetime from a complete date (time imputed 00:00:00, flag ``H`` when hours missing, ``M`` minutes, ``S``)."""
    p = parse_dtc(dtc)
    date = _ymd(p["year"], p["month"], p["day"])
    hh, mm, ss = p["hour"].fillna(0), p["minute"].fillna(0), p["second"].fillna(0)
    dtm = date + pd.to_timedelta(hh * 3600 + mm * 60 + ss, unit="s")
    flag = pd.Series(
        np.select([p["hour"].isna(), p["minute"].isna(), p["second"].isna()], ["H", "M", "S"], None),
        index=p.index,
        dtype=object,
    )
    flag = flag.where(date.notna(), None)
    return dtm.astype("datetime64[ns]"), flag


def impute_dtc_dt(
    dtc: pd.Series,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    min_dates: pd.Series | None = None,
    max_dates: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Date (datetime64) and imputation flag (D/M/Y) from ISO strings; rule as admiral ``derive_vars_dt``.

    ``highest_imputation``: n (none), D (day), M (month and day), Y (not supported: year unknown stays missing).
    ``date_imputation``: first (1st day / Jan 1) or last (last day of month / Dec 31). ``min_dates`` (with first):
    if the partial date's possible range contains the min date, the min date is used; ``max_dates`` (with last):
    likewise the max date (e.g. death date caps an end date).
    """
    p = parse_dtc(dtc)
    level = _LEVEL[highest_imputation]
    y, m, d = p["year"], p["month"], p["day"]
    need = pd.Series(np.select([y.isna(), m.isna(), d.isna()], [3, 2, 1], 0), index=p.index)
    allowed = y.notna() & (need <= level)
    m_lo, m_hi = m.fillna(1), m.fillna(12)
    lo = _ymd(y, m_lo, d.fillna(1))
    first_of_hi = _ymd(y, m_hi, pd.Series(1.0, index=p.index))
    hi = _ymd(y, m_hi, d.fillna(first_of_hi.dt.days_in_month.astype(float)))
    if date_imputation not in ("first", "last"):
        raise ValueError(f"date_imputation must be first or last, not {date_imputation!r}")
    # first: earliest date of the period, or min_dates when it falls inside; last: latest, or max_dates
    res, bound = (lo, min_dates) if date_imputation == "first" else (hi, max_dates)
    if bound is not None:
        md = pd.Series(bound, index=p.index).astype("datetime64[ns]")
        inside = (need > 0) & md.notna() & (lo <= md) & (md <= hi)
        res = res.where(~inside, md)
    res = res.where(allowed)
    flag = pd.Series(np.select([need == 3, need == 2, need == 1], ["Y", "M", "D"], None), index=p.index, dtype=object)
    flag = flag.where(allowed & (need > 0), None)
    return res.astype("datetime64[ns]"), flag


def derive_vars_dt(
    dataset: pd.DataFrame,
    new_vars_prefix: str,
    dtc: str,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    flag_imputation: bool = True,
    min_dates: str | None = None,
    max_dates: str | None = None,
) -> pd.DataFrame:
    """Add ``<prefix>DT`` (and ``<prefix>DTF`` when flag_imputation) from the ISO column ``dtc``.

    ``min_dates``/``max_dates`` name date columns of ``dataset`` (see :func:`impute_dtc_dt`).
    """
    out = dataset.copy()
    dt, flag = impute_dtc_dt(
        out[dtc],
        highest_imputation,
        date_imputation,
        out[min_dates] if min_dates else None,
        out[max_dates] if max_dates else None,
    )
    out[f"{new_vars_prefix}DT"] = dt
    if flag_imputation:
        out[f"{new_vars_prefix}DTF"] = flag
    return out


def study_day(date: pd.Series, ref: pd.Series) -> pd.Series:
    """ADaM study day: date - ref + 1 when on/after ref, date - ref before it (no day 0); float."""
    diff = (pd.Series(date).astype("datetime64[ns]") - pd.Series(ref).astype("datetime64[ns]")).dt.days.astype(float)
    return diff + (diff >= 0)


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


# ----------------------------------------------------------------------------------------------- conditions
#: Operators of a declarative condition (the only dict keys allowed as a column's value).
_OPS = ("not", "icase")


def _is_scalar(v) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def condition_problem(cond, path: str = "where") -> tuple[str, str] | None:
    """Why ``cond`` is not a valid declarative condition, as (key path, message); None when valid.

    A condition is null (all rows) or a mapping ``{COLUMN: test}`` whose tests are ANDed; a test is a value
    (equals), a list of values (in; a null item also matches missing), null (missing), ``{not: test}`` (negation) or ``{icase: value or list}``
    (equals / in, text compared trimmed and case-insensitively).

    >>> condition_problem({"EXCAT": "CAR-T", "EXDOSE": {"not": None}}) is None
    True
    >>> condition_problem("EXCAT == 'CAR-T'")[1][:40]
    'expected a mapping {COLUMN: value}, got '
    """
    if cond is None:
        return None
    if not isinstance(cond, dict):
        return path, (
            f"expected a mapping {{COLUMN: value}}, got {type(cond).__name__} {cond!r}; conditions are "
            "declarative: {COLUMN: value}, {COLUMN: [v1, v2]}, {COLUMN: null}, {COLUMN: {not: ...}}, "
            "{COLUMN: {icase: value}}"
        )
    if not cond:
        return path, "empty condition; use null for all rows"
    for column, test in cond.items():
        if not isinstance(column, str) or not column.strip():
            return path, f"column names must be text, got {column!r}"
        bad = _test_problem(test)
        if bad:
            return f"{path}.{column}", bad
    return None


def _test_problem(test, depth: int = 0) -> str | None:
    if test is None or _is_scalar(test):
        return None
    if isinstance(test, bool):
        return f"{test!r} is a YAML boolean; quote the value (YAML reads yes/no/on/off/true/false as booleans)"
    if isinstance(test, list):
        if not test:
            return "empty list matches nothing"
        for v in test:
            if isinstance(v, bool):
                return f"{v!r} is a YAML boolean; quote the value"
            if v is not None and not _is_scalar(v):
                return f"list items must be values (text, numbers or null), got {v!r}"
        return None
    if isinstance(test, dict):
        if len(test) != 1 or next(iter(test)) not in _OPS:
            return (
                f"unknown operator {test!r}; a column's test is a value, a list, null, {{not: ...}} or {{icase: ...}}"
            )
        op, arg = next(iter(test.items()))
        if op == "not":
            return _test_problem(arg, depth + 1)
        if not (isinstance(arg, str) or (isinstance(arg, list) and arg and all(isinstance(v, str) for v in arg))):
            return "icase takes a text value or a list of text values"
        return None
    return f"unsupported value {test!r}"


def substitute(value, fill: dict):
    """Replace ``{name}`` placeholders (e.g. ``{p}`` = criterion prefix) in every text of a nested value."""
    if isinstance(value, str):
        for k, x in fill.items():
            value = value.replace("{" + k + "}", str(x))
        return value
    if isinstance(value, dict):
        return {substitute(k, fill): substitute(v, fill) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, fill) for v in value]
    return value


def _missing(s: pd.Series) -> pd.Series:
    miss = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        miss |= s.astype("str").str.strip().eq("") & s.notna()
    return miss.astype(bool)


def _isin(s: pd.Series, values: list, key: str, column: str) -> pd.Series:
    if not values:
        return pd.Series(False, index=s.index)
    if pd.api.types.is_datetime64_any_dtype(s):
        try:
            targets = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        except (ValueError, TypeError) as exc:
            raise SpecError(f"{values!r} are not dates for date column {column}", key=key, column=column) from exc
        return s.isin(list(targets)).astype(bool)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        nums = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        if nums.isna().any():
            raise SpecError(f"{values!r}: numeric column {column} compared with text", key=key, column=column)
        return s.isin(list(nums)).astype(bool)
    texts = [v for v in values if isinstance(v, str)]
    nums = [v for v in values if not isinstance(v, str)]
    hit = s.isin(texts) if texts else pd.Series(False, index=s.index)
    if nums:  # a number against a text column (e.g. IDVARVAL "1"): compare as numbers
        hit |= pd.to_numeric(s, errors="coerce").isin(nums)
    return hit.fillna(False).astype(bool)


def _test_mask(s: pd.Series, test, key: str, column: str) -> pd.Series:
    if test is None:
        return _missing(s)
    if isinstance(test, dict):
        op, arg = next(iter(test.items()))
        if op == "not":
            return ~_test_mask(s, arg, key, column)
        values = [arg] if isinstance(arg, str) else list(arg)
        return upper(s).isin([v.strip().upper() for v in values]).fillna(False).astype(bool)
    values = test if isinstance(test, list) else [test]
    hit = _isin(s, [v for v in values if v is not None], key, column)
    return (hit | _missing(s)) if any(v is None for v in values) else hit


def condition_mask(dataset: pd.DataFrame, cond: dict | None, key: str = "where", fill: dict | None = None) -> pd.Series:
    """Boolean Series: rows of ``dataset`` meeting the declarative condition ``cond`` (see :func:`condition_problem`).

    No expression is ever evaluated. A column the dataset lacks raises SpecError naming ``key`` and the column.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"PARAMCD": ["MPD", "PD", "MPD"], "AVALC": ["Y", "Y", None]})
    >>> condition_mask(d, {"PARAMCD": "{p}PD", "AVALC": {"not": None}}, fill={"p": "M"}).tolist()
    [True, False, False]
    """
    if cond is None:
        return pd.Series(True, index=dataset.index)
    if fill:
        cond = substitute(cond, fill)
    bad = condition_problem(cond, key)
    if bad:
        raise SpecError(bad[1], key=bad[0])
    mask = pd.Series(True, index=dataset.index)
    for column, test in cond.items():
        if column not in dataset.columns:
            raise SpecError(
                f"condition names column {column}, which the dataset does not have "
                f"(columns: {', '.join(map(str, dataset.columns[:40]))})",
                key=key,
                column=column,
            )
        mask &= _test_mask(dataset[column], test, f"{key}.{column}", column).to_numpy()
    return mask


def filter_rows(dataset: pd.DataFrame, cond: dict | None, key: str = "where", fill: dict | None = None) -> pd.DataFrame:
    """Rows of ``dataset`` meeting the declarative condition ``cond``; None = all rows.

    >>> import pandas as pd
    >>> ex = pd.DataFrame({"EXCAT": ["CAR-T", "LYMPHODEPLETION", None]})
    >>> len(filter_rows(ex, {"EXCAT": {"not": ["CAR-T", None]}}))
    1
    """
    if cond is None:
        return dataset
    if dataset.empty and len(dataset.columns) == 0:
        return dataset
    return dataset[condition_mask(dataset, cond, key, fill)]


def col(dataset: pd.DataFrame | None, name: str, default=None) -> pd.Series:
    """Column or a constant Series of ``default`` when absent."""
    if dataset is not None and name in dataset.columns:
        return dataset[name]
    return pd.Series(default, index=None if dataset is None else dataset.index, dtype=object)


def upper(s: pd.Series) -> pd.Series:
    return (
        pd.Series(s, dtype=object)
        .where(pd.Series(s).notna(), None)
        .astype("str")
        .str.strip()
        .str.upper()
        .where(pd.Series(s).notna())
    )


def order_columns(dataset: pd.DataFrame, name: str) -> pd.DataFrame:
    """Columns in the order of specs/adam/<name>.yaml (missing -> empty), typed per the contract, sorted by keys."""
    from cdisckit.standards import adam_dataset

    spec = adam_dataset(name)
    n = len(dataset)
    cols = {}
    for v in spec.variables:
        s = dataset[v.name] if v.name in dataset.columns else pd.Series([None] * n, index=dataset.index, dtype=object)
        if v.type == "Num":
            if (
                v.name.endswith(("DT", "DTM"))
                and not v.name.endswith(("DY",))
                and (pd.api.types.is_datetime64_any_dtype(s) or (s.isna().all() and v.name.endswith(("DT", "DTM"))))
            ):
                s = pd.to_datetime(s).astype("datetime64[ns]")
            else:
                s = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype(object).where(s.notna(), None)
        cols[v.name] = s
    out = pd.DataFrame(cols, index=dataset.index)
    keys = [k for k in spec.keys if k in out.columns]
    if keys and not out.empty:
        out = out.sort_values(keys, kind="stable", na_position="first")
    return out.reset_index(drop=True)


def warner(warn: Callable[[str], None] | None) -> Callable[[str], None]:
    if warn is not None:
        return warn
    import warnings

    return lambda msg: warnings.warn(msg, stacklevel=3)


def lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """``keys.map(mapping)`` that keeps the mapping's dtype (also when empty); mapping index must be unique."""
    mapping = mapping[~mapping.index.duplicated()]
    res = mapping.reindex(pd.Index(keys.to_numpy(dtype=object)))
    res.index = keys.index
    return res
