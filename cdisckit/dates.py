"""ISO 8601 dates as SDTM and ADaM use them: validation, components, comparison at shared precision, complete
dates, study days and admiral-style imputation. The one dates module: SDTM mapping, ADaM derivations and the
checks all import from here. Raw EDC text (``07-Mar-2025``, ``03/07/2025``) becomes ISO 8601 in
:mod:`cdisckit.sdtm.derive_dates`, which builds on this module.

Work is done once per distinct value (dates repeat a lot) and fully vectorised.

SDTMIG 3.4 section 4.4.4 representations, all accepted: ``2003-12-15T13:14:17``, ``2003-12-15T13:14``,
``2003-12-15T13``, ``2003-12-15``, ``2003-12``, ``2003``, and with a missing middle component written as a
hyphen: ``2003---15`` (day known, month not), ``--12-15`` (year unknown), ``2003-12-15T-:15`` (hour unknown).

>>> is_iso8601(pd.Series(["2003---15", "2003-12-15T-:15", "2003-13", "15-DEC-2003", None])).tolist()
[True, True, False, False, False]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

# A year, month, day, hour, minute, second; each may be "-" (unknown) when a later one is known.
_YEAR = r"(?:\d{4}|-)"
_MON = r"(?:0[1-9]|1[0-2]|-)"
_DAY = r"(?:0[1-9]|[12]\d|3[01]|-)"
_HOUR = r"(?:[01]\d|2[0-3]|-)"
_MIN = r"(?:[0-5]\d|-)"
_SEC = r"(?:[0-5]\d(?:\.\d+)?)"
#: Anchored regex of an SDTM --DTC value (GX searches rather than matches: keep the anchors).
#: A value must end in a digit: an unknown component is written only before a known one.
ISO8601_REGEX = (
    rf"^(?=.*\d$)(?:{_YEAR}(?:-{_MON}(?:-{_DAY}(?:T{_HOUR}(?::{_MIN}(?::{_SEC})?)?)?)?)?"
    rf"|-----T{_HOUR}(?::{_MIN}(?::{_SEC})?)?)$"
)
_SPLIT = (
    r"^(?P<year>\d{4}|-)?(?:-(?P<month>\d{2}|-)?)?(?:-(?P<day>\d{2}|-)?)?"
    r"(?:T(?P<hour>\d{2}|-)?(?::(?P<minute>\d{2}|-)?)?(?::(?P<second>\d{2}(?:\.\d+)?))?)?$"
)
COMPONENTS = ("year", "month", "day", "hour", "minute", "second")
_LEVEL = {"n": 0, "D": 1, "M": 2, "Y": 3}


def per_unique(s: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorised ``func`` to the distinct non-missing values of ``s`` only, then spread the results back.

    >>> per_unique(pd.Series(["a", "b", "a", None]), lambda u: u.str.upper()).tolist()
    ['A', 'B', 'A', nan]
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    res = func(pd.Series(uniq))
    if isinstance(res.dtype, np.dtype) and res.dtype.kind in "Mfb":  # numpy values: spread by a numpy take
        fill = np.array([{"b": False, "f": np.nan, "M": np.datetime64("NaT")}[res.dtype.kind]], dtype=res.dtype)
        values: np.ndarray = np.append(res.to_numpy(), fill)
        return pd.Series(values[np.where(codes >= 0, codes, len(uniq))], index=s.index)
    missing = pd.Series([np.nan], dtype=res.dtype if res.dtype.kind in "Mb" else "object")
    if res.dtype.kind == "b":
        missing = pd.Series([False])
    out = pd.concat([res.reset_index(drop=True), missing], ignore_index=True)
    spread = out.take(np.where(codes >= 0, codes, len(uniq))).set_axis(s.index)
    if res.dtype.kind in "Mfb":
        return spread.astype(res.dtype)
    return spread.astype("str")


def _text(s) -> pd.Series:
    s = s if isinstance(s, pd.Series) else pd.Series(s, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%dT%H:%M:%S").str.replace("T00:00:00", "", regex=False).where(s.notna())
    if isinstance(s.dtype, pd.StringDtype):  # already text, missing = NaN: no copy into Python objects
        return s
    return s.astype(object).where(s.notna(), None)


def is_iso8601(dtc: pd.Series) -> pd.Series:
    """True where the value is a valid (partial) ISO 8601 date/datetime as SDTM allows; missing is False."""
    t = _text(dtc)
    return per_unique(t, lambda u: u.astype("str").str.fullmatch(ISO8601_REGEX).fillna(False).astype(bool))


def parse_dtc(dtc: pd.Series) -> pd.DataFrame:
    """ISO 8601 strings (partial allowed) -> float columns year, month, day, hour, minute, second (NaN unknown).

    Each distinct value is parsed once (:func:`_components`).

    >>> parse_dtc(pd.Series(["2025-03-07T10:05", "2025---07", None])).iloc[:, :4].values.tolist()
    [[2025.0, 3.0, 7.0, 10.0], [2025.0, nan, 7.0, nan], [nan, nan, nan, nan]]
    """
    t = _text(dtc)
    codes, uniq = pd.factorize(t, use_na_sentinel=True)
    num = np.vstack([_components(np.asarray(uniq, dtype=object)), np.full((1, 6), np.nan)])
    return pd.DataFrame(num[np.where(codes >= 0, codes, len(uniq))], index=t.index, columns=list(COMPONENTS))


def _components(values: np.ndarray) -> np.ndarray:
    """The six components (float, NaN unknown; n x 6) of an object array of distinct values, as ``_SPLIT`` reads
    them. Values of ``str`` in the all-digit shapes of :func:`digit_shapes` are read from their code points, the
    others through the regex (``_components_parsed``); both give the same numbers for the all-digit shapes."""
    out = np.full((len(values), 6), np.nan)
    if not len(values):
        return out
    fast: np.ndarray = np.zeros(len(values), dtype=bool)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        idx, fields, count = digit_shapes(values)
        out[idx] = np.where(np.arange(6)[None, :] < count[:, None], fields, np.nan)
        fast[idx] = True
    rest = np.flatnonzero(~fast)
    if len(rest):
        out[rest] = _components_parsed(values[rest])
    return out


def _components_parsed(values: np.ndarray) -> np.ndarray:
    """:func:`_components` of any values through the ``_SPLIT`` regex (partial with "-", fractions, odd text)."""
    parts = pd.Series(values, dtype="str").str.extract(_SPLIT)
    num = pd.DataFrame({c: pd.to_numeric(parts[c], errors="coerce") for c in COMPONENTS}).astype(float)
    return num.to_numpy(dtype=float)


def precision(dtc: pd.Series) -> pd.Series:
    """Number of leading known components (0 missing, 1 year ... 6 seconds); ``2025---07`` has 1.

    >>> precision(pd.Series(["2025", "2025-03-07", "2025---07", "2025-03-07T10:05", None])).tolist()
    [1, 3, 1, 5, 0]
    """
    p = parse_dtc(dtc)
    known = p.notna().to_numpy()
    leading = np.cumprod(known, axis=1).sum(axis=1)
    return pd.Series(leading, index=p.index, dtype="int64")


def dtc_to_dt(dtc) -> pd.Series:
    """Complete calendar date (datetime64, midnight) of ISO 8601 strings; NaT when partial, missing or invalid.

    Datetime64 input is returned as its date.

    >>> dtc_to_dt(pd.Series(["2025-03-07T10:00", "2025-03", None, "2025-02-30"])).dt.strftime("%d%b%Y").tolist()
    ['07Mar2025', nan, nan, nan]
    """
    s = dtc if isinstance(dtc, pd.Series) else pd.Series(dtc, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.normalize().astype("datetime64[ns]")
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        s = s.astype(object).where(s.notna(), None)  # text and object columns are factorised as they are
    return per_unique(s, _complete_dates)


def _complete_dates(u: pd.Series) -> pd.Series:
    """:func:`dtc_to_dt` of distinct values, from the code points of their first ten characters when they are
    ``str``: an all-digit ``YYYY-MM-DD`` with a year from 1700 to 2200 is read with numpy's calendar
    (``calendar_dates``), any other ASCII start is no complete date (NaT); the others (non-ASCII, other years)
    go to ``pd.to_datetime`` (``_complete_dates_parsed``)."""
    values = u.to_numpy(dtype=object)
    out: np.ndarray = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    fast: np.ndarray = np.zeros(len(values), dtype=bool)
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":
        c = np.array(values.tolist(), dtype="<U10").view(np.uint32).reshape(len(values), 10)  # cut to 10
        d = c.astype(np.int64) - ord("0")
        digits = ((d[:, [0, 1, 2, 3, 5, 6, 8, 9]] >= 0) & (d[:, [0, 1, 2, 3, 5, 6, 8, 9]] <= 9)).all(axis=1)
        year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
        date = (
            digits & (c[:, 4] == ord("-")) & (c[:, 7] == ord("-")) & (year >= FAST_YEARS[0]) & (year <= FAST_YEARS[1])
        )
        out[date] = calendar_dates(year[date], d[date, 5] * 10 + d[date, 6], d[date, 8] * 10 + d[date, 9])
        ascii_head = (c < 128).all(axis=1)
        fast = date | (ascii_head & ~(digits & (c[:, 4] == ord("-")) & (c[:, 7] == ord("-"))))
    rest = np.flatnonzero(~fast)
    if len(rest):
        out[rest] = _complete_dates_parsed(pd.Series(values[rest], dtype=object)).to_numpy()
    return pd.Series(out, index=u.index)


def _complete_dates_parsed(u: pd.Series) -> pd.Series:
    """:func:`_complete_dates` by ``pd.to_datetime`` (any value)."""
    u = u.astype("str")
    head = u.str.slice(0, 10)
    head = head.where(head.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False))
    return pd.to_datetime(head, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")


def dtc_to_dtm(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Datetime from a complete date: missing time parts imputed 0, flag ``H`` (hours missing), ``M``, ``S``.

    >>> dtm, flag = dtc_to_dtm(pd.Series(["2025-03-07T10:05", "2025-03-07"]))
    >>> dtm.dt.strftime("%H:%M").tolist(), flag.tolist()
    (['10:05', '00:00'], ['S', 'H'])
    """
    p = parse_dtc(dtc)
    date = dtc_to_dt(dtc)
    hh, mm, ss = p["hour"].fillna(0), p["minute"].fillna(0), p["second"].fillna(0)
    dtm = date + pd.to_timedelta(hh * 3600 + mm * 60 + ss, unit="s")
    flag = pd.Series(
        np.select([p["hour"].isna(), p["minute"].isna(), p["second"].isna()], ["H", "M", "S"], None),
        index=p.index,
        dtype=object,
    )
    return dtm.astype("datetime64[ns]"), flag.where(date.notna(), None)


def iso_digits(dtc: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (valid ISO 8601, leading known components as a YYYYMMDDHHMMSS int64 zero padded, number of
    significant digits 4/6/8/10/12/14). Feed two of these to :func:`digits_after`. Each distinct value is
    parsed once.

    >>> v, f, n = iso_digits(pd.Series(["2024-03-05T10:20", "2024---09", None]))
    >>> v.tolist(), f.tolist(), n.tolist()
    ([True, True, False], [20240305102000, 20240000000000, 0], [12, 4, 0])
    """
    if pd.api.types.is_datetime64_any_dtype(dtc):
        return _iso_digits_parsed(dtc)
    return iso_digits_by_value(dtc)


def str_codes(s: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """(codes, distinct values as an object Series) of a text column whose values are all ``str``, else None."""
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return None
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    if pd.api.types.infer_dtype(u, skipna=True) not in ("string", "empty"):
        return None
    return np.asarray(codes), u


def iso_digits_by_value(
    s: pd.Series, text: tuple[np.ndarray, pd.Series] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`iso_digits` of ``s`` computed once per distinct value and spread back by the codes.

    ``text`` is the column's ``(codes, str uniques)`` when already known (the checks' ``FrameCache.text``). Columns that
    are not all ``str`` are parsed as they are. A missing value is (invalid, 0, 0 digits), as
    the parser gives it.

    >>> v, f, n = iso_digits_by_value(pd.Series(["2024-03", None, "2024-03", "x"], dtype=object))
    >>> v.tolist(), f.tolist(), n.tolist()
    ([True, False, True, False], [20240300000000, 0, 20240300000000, 0], [6, 0, 6, 0])
    """
    if text is None:
        text = str_codes(s)
        if text is None:
            return _iso_digits_parsed(s)
    codes, u = text
    take = np.where(codes >= 0, codes, len(u))
    v, f, n = _iso_digits_of_str(u.to_numpy(dtype=object))
    return (
        np.append(v, False)[take],
        np.append(f, 0).astype(f.dtype)[take],
        np.append(n, 0).astype(n.dtype)[take],
    )


#: The shapes of complete-component ISO 8601 values, by length: YYYY, YYYY-MM, YYYY-MM-DD, ...THH, ...THH:MM,
#: ...THH:MM:SS; the separator at each position (0 = a digit).
_ISO_LENGTHS = (4, 7, 10, 13, 16, 19)
_ISO_SEPARATORS = np.array([0, 0, 0, 0, ord("-"), 0, 0, ord("-"), 0, 0, ord("T"), 0, 0, ord(":"), 0, 0, ord(":"), 0, 0])
#: (first, last) position of year, month, day, hour, minute, second and the largest value ISO8601_REGEX allows.
_ISO_FIELDS = ((0, 4, 9999), (5, 7, 12), (8, 10, 31), (11, 13, 23), (14, 16, 59), (17, 19, 59))


def digit_shapes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The complete-component ISO 8601 shapes of ASCII digits among an object array of ``str``.

    Returns the positions of the values in one of the ``_ISO_LENGTHS`` shapes (``YYYY`` ... ``YYYY-MM-DDTHH:MM:SS``,
    digits 0-9 and the separators exactly), their components (int64, n x 6, 0 where absent) and how many
    components each has (1 to 6). Ranges are not checked.

    >>> idx, fields, count = digit_shapes(np.array(["2024-03-05T10:20", "2024---09", "2024-13"], dtype=object))
    >>> idx.tolist(), fields.tolist(), count.tolist()
    ([0, 2], [[2024, 3, 5, 10, 20, 0], [2024, 13, 0, 0, 0, 0]], [5, 2])
    """
    n = len(values)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    idx = np.flatnonzero(np.isin(lengths, _ISO_LENGTHS))
    width = len(_ISO_SEPARATORS)
    chars = np.array(values[idx].tolist(), dtype=f"<U{width}").view(np.uint32).reshape(len(idx), width)
    digits = chars - np.uint32(ord("0"))  # 0-9 for a digit; anything else wraps round to a larger number
    ln = lengths[idx]
    ok: np.ndarray = np.ones(len(idx), dtype=bool)
    for k, sep in enumerate(_ISO_SEPARATORS):  # column by column: a digit or the separator, or past the end
        ok &= (ln <= k) | ((digits[:, k] <= 9) if sep == 0 else (chars[:, k] == sep))
    idx, digits, ln = idx[ok], digits[ok], ln[ok]
    fields: np.ndarray = np.zeros((len(idx), 6), dtype=np.int64)
    for i, (a, b, _) in enumerate(_ISO_FIELDS):
        present = ln >= b
        part: np.ndarray = np.zeros(int(present.sum()), dtype=np.int64)
        for k in range(a, b):
            part = part * 10 + digits[present, k]
        fields[present, i] = part
    return idx, fields, (ln - 4) // 3 + 1  # 4 -> 1, 7 -> 2, ... 19 -> 6


def _iso_digits_of_str(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`iso_digits` of an object array of ``str``, vectorised with numpy for the usual shapes.

    Values in the all-digit shapes of :func:`digit_shapes` have every component known, the number of digits
    follows from the shape, and the value is valid when month, day, hour, minute and second are in
    ISO8601_REGEX's ranges (month and day from 1). Any other value (partial with "-", fractional seconds,
    text) goes through the regex parser (``_iso_digits_parsed``).
    """
    n = len(values)
    valid: np.ndarray = np.zeros(n, dtype=bool)
    full: np.ndarray = np.zeros(n, dtype=np.int64)
    ndig: np.ndarray = np.zeros(n, dtype=np.int64)
    if not n:
        return valid, full, ndig
    idx, fields, count = digit_shapes(values)
    number: np.ndarray = np.zeros(len(idx), dtype=np.int64)
    ok: np.ndarray = np.ones(len(idx), dtype=bool)
    for i, (a, b, top) in enumerate(_ISO_FIELDS):
        part = fields[:, i]
        if i:
            present = count > i
            low = 1 if i in (1, 2) else 0
            ok &= ~present | ((part >= low) & (part <= top))
        number = number * 10 ** (b - a) + part
    valid[idx], full[idx], ndig[idx] = ok, number, (count - 1) * 2 + 4
    fast: np.ndarray = np.zeros(n, dtype=bool)
    fast[idx] = True
    rest = np.flatnonzero(~fast)
    if len(rest):
        v, f, d = _iso_digits_parsed(pd.Series(values[rest], dtype=object))
        valid[rest], full[rest], ndig[rest] = v, f, d
    return valid, full, ndig


def _iso_digits_parsed(dtc: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`iso_digits` through :func:`parse_dtc` (any value: partial with hyphens, fractions, datetimes)."""
    t = _text(dtc)
    p = parse_dtc(t)
    valid = is_iso8601(t).to_numpy(dtype=bool)
    lead = precision(t).to_numpy()
    widths = np.array([4, 2, 2, 2, 2, 2])
    vals = p.fillna(0).to_numpy().astype(np.int64)
    vals[:, 5] = np.floor(p["second"].fillna(0).to_numpy()).astype(np.int64)
    full: np.ndarray = np.zeros(len(p), dtype=np.int64)
    for i, w in enumerate(widths):
        keep = lead > i
        full = full * 10**w + np.where(keep, vals[:, i], 0)
    ndig = np.array([0, 4, 6, 8, 10, 12, 14])[lead]
    return valid & (lead > 0), full, ndig


def partial_after(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise ``a > b`` for ISO 8601 strings compared only at the leading precision both share.

    >>> partial_after(pd.Series(["2024-03", "2024-03-05", "2024", "2024---09"]),
    ...               pd.Series(["2024-02-28", "2024-03-04", None, "2023-12-01"]))
    array([ True,  True, False,  True])
    """
    return digits_after(iso_digits(a), iso_digits(b))


def digits_after(pa, pb) -> np.ndarray:
    """``a > b`` at the precision both share, from :func:`iso_digits` of each side (False when either is invalid)."""
    va, fa, na = pa
    vb, fb, nb = pb
    valid = va & vb
    scale = np.where(valid, 10 ** (14 - np.minimum(na, nb)), 1)
    return valid & (fa // scale > fb // scale)


def study_day(date, ref) -> pd.Series:
    """Study day of ``date`` relative to ``ref`` (day 1 = ref, the day before is -1: there is no day 0).

    Takes datetime64 Series or ISO 8601 strings (complete dates only; partial gives NaN). SDTMIG --DY and ADaM
    ADY use the same arithmetic.

    >>> study_day(pd.Series(["2025-03-10", "2025-03-09", "2025-03-01T08:00", "2025-03"]),
    ...           pd.Series(["2025-03-10"] * 4)).tolist()
    [1.0, -1.0, -9.0, nan]
    """
    d = dtc_to_dt(date)
    r = dtc_to_dt(ref if isinstance(ref, pd.Series) else pd.Series(ref, index=d.index))
    r.index = d.index
    diff = (d - r).dt.days.astype("float64")
    return diff.where(diff < 0, diff + 1)


def _as_bounds(bounds, index) -> list[pd.Series]:
    if bounds is None:
        return []
    if isinstance(bounds, pd.Series | pd.DatetimeIndex) or not isinstance(bounds, Sequence):
        bounds = [bounds]
    out = []
    for b in bounds:
        if b is None:
            continue
        s = b if isinstance(b, pd.Series) else pd.Series(b, index=index)
        out.append(dtc_to_dt(s).set_axis(index))
    return out


#: Years whose dates are computed with numpy (``calendar_dates``); others by pandas as before (which also raises
#: OutOfBoundsDatetime for years outside datetime64[ns]).
FAST_YEARS = (1700, 2200)


def _ymd(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Dates (datetime64[ns]) of float year, month, day Series; NaT where one is missing or the date does not exist.

    >>> _ymd(pd.Series([2024.0, 2023, 2024, None]), pd.Series([2.0, 2, 13, 1]), pd.Series([29.0, 29, 1, 1])).tolist()
    [Timestamp('2024-02-29 00:00:00'), NaT, NaT, NaT]
    """
    ok = (year.notna() & month.notna() & day.notna()).to_numpy()
    y = year.to_numpy(dtype=float, na_value=np.nan)
    fast = ok & (y >= FAST_YEARS[0]) & (y <= FAST_YEARS[1])
    out: np.ndarray = np.full(len(y), np.datetime64("NaT"), dtype="datetime64[ns]")
    if fast.any():
        m = month.to_numpy(dtype=float, na_value=np.nan)[fast]
        d = day.to_numpy(dtype=float, na_value=np.nan)[fast]
        out[fast] = calendar_dates(y[fast].astype(np.int64), m.astype(np.int64), d.astype(np.int64))
    rest = ok & ~fast
    if rest.any():
        out[rest] = _ymd_parsed(year[rest], month[rest], day[rest]).to_numpy()
    return pd.Series(out, index=year.index)


def calendar_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Dates (datetime64[ns]) of int64 year, month, day arrays with numpy's calendar; NaT where month is not 1-12
    or day not 1 to the month's length.

    >>> calendar_dates(np.array([2024, 2023, 2024]), np.array([2, 2, 0]), np.array([29, 29, 1])).astype(str).tolist()
    ['2024-02-29T00:00:00.000000000', 'NaT', 'NaT']
    """
    ok = (m >= 1) & (m <= 12)
    month = ((y - 1970) * 12 + np.where(ok, m, 1) - 1).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= (d >= 1) & (d <= length)
    out = (first + np.where(ok, d, 1) - 1).astype("datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def _ymd_parsed(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """:func:`_ymd` by ``pd.to_datetime`` (any year)."""
    ok = year.notna() & month.notna() & day.notna()
    frame = pd.DataFrame({"year": year.where(ok, 2000), "month": month.where(ok, 1), "day": day.where(ok, 1)})
    res = pd.to_datetime(frame.astype(int), errors="coerce")
    return res.where(ok).astype("datetime64[ns]")


def date_bounds(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last day (datetime64[ns]) a (partial) ISO 8601 date may be: ``2024-02`` spans 2024-02-01 to
    2024-02-29, ``2024---15`` (month unknown) the whole year; NaT when the year is unknown or the date does not
    exist. The dates :func:`impute_dtc_dt` gives with ``M``, ``first`` and ``last`` and no bounds, from one parse.

    >>> lo, hi = date_bounds(pd.Series(["2024-02", "2024---15", "2024-03-05T10:00", "--03-05", None]))
    >>> lo.dt.strftime("%Y-%m-%d").tolist(), hi.dt.strftime("%Y-%m-%d").tolist()
    (['2024-02-01', '2024-01-01', '2024-03-05', nan, nan], ['2024-02-29', '2024-12-31', '2024-03-05', nan, nan])
    """
    return _period(parse_dtc(dtc))


def _period(p: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """First and last day of the period :func:`parse_dtc` components allow (a day without its month is ignored)."""
    y, m, d = p["year"], p["month"], p["day"]
    lo = _ymd(y, m.fillna(1), d.where(m.notna()).fillna(1))
    first_of_hi = _ymd(y, m.fillna(12), pd.Series(1.0, index=p.index))
    hi = _ymd(y, m.fillna(12), d.where(m.notna()).fillna(first_of_hi.dt.days_in_month.astype(float)))
    return lo, hi


def impute_dtc_dt(
    dtc: pd.Series,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    min_dates=None,
    max_dates=None,
) -> tuple[pd.Series, pd.Series]:
    """Date (datetime64) and imputation flag (``D``/``M``/``Y``) from ISO 8601 strings, as admiral's
    ``derive_vars_dt`` does it.

    ``highest_imputation``: ``n`` none, ``D`` day, ``M`` month and day (a missing year is never imputed).
    ``date_imputation``: ``first`` (first day of the missing period) or ``last`` (last day).
    ``min_dates`` / ``max_dates``: a date Series (or a list of them; datetime64 or ISO 8601, partial ones are
    ignored). Only bounds inside the range of dates the partial value allows count, and the imputed date never
    passes one. Bounds on the side of the imputation are the rule's preference, bounds on the other side are
    facts: for ``first`` the max dates narrow the range before the min dates are applied, for ``last`` the other
    way round. So an AE onset ``2024-02`` ending on 2024-02-11 is imputed to 2024-02-01 even though treatment
    started on 2024-02-23 (it cannot have started then), and to 2024-02-23 when it ended on 2024-02-25.

    >>> d, f = impute_dtc_dt(pd.Series(["2024-02", "2024-02", "2023"]), "M", "first",
    ...                      min_dates=pd.Series(pd.to_datetime(["2024-02-23"] * 3)),
    ...                      max_dates=[pd.Series(["2024-02-11", "2024-02-25", None])])
    >>> d.dt.strftime("%Y-%m-%d").tolist(), f.tolist()
    (['2024-02-01', '2024-02-23', '2023-01-01'], ['D', 'D', 'M'])
    """
    if date_imputation not in ("first", "last"):
        raise ValueError(f"date_imputation must be first or last, not {date_imputation!r}")
    if highest_imputation not in _LEVEL:
        raise ValueError(f"highest_imputation must be one of n, D, M, Y, not {highest_imputation!r}")
    p = parse_dtc(dtc)
    y, m, d = p["year"], p["month"], p["day"]
    # a missing month with a known day ("2024---15") imputes the month and the day (the day alone is meaningless)
    need = pd.Series(np.select([y.isna(), m.isna(), d.isna()], [3, 2, 1], 0), index=p.index)
    allowed = y.notna() & (need <= _LEVEL[highest_imputation])
    lo, hi = _period(p)
    partial = need > 0
    mins, maxs = _as_bounds(min_dates, p.index), _as_bounds(max_dates, p.index)

    def narrow(lo: pd.Series, hi: pd.Series, bounds: list[pd.Series], side: str) -> tuple[pd.Series, pd.Series]:
        for b in bounds:
            inside = partial & b.notna() & (lo <= b) & (b <= hi)
            if side == "min":
                lo = lo.where(~(inside & (b > lo)), b)
            else:
                hi = hi.where(~(inside & (b < hi)), b)
        return lo, hi

    if date_imputation == "first":
        lo, hi = narrow(lo, hi, maxs, "max")
        lo, hi = narrow(lo, hi, mins, "min")
        res = lo
    else:
        lo, hi = narrow(lo, hi, mins, "min")
        lo, hi = narrow(lo, hi, maxs, "max")
        res = hi
    res = res.where(allowed)
    flag = pd.Series(np.select([need == 3, need == 2, need == 1], ["Y", "M", "D"], None), index=p.index, dtype=object)
    return res.astype("datetime64[ns]"), flag.where(allowed & partial, None)
