"""ISO 8601 ``--DTC`` values from raw EDC date and time text, parsed by a declared format — never imputed.

The raw-text side of :mod:`cdisckit.dates`: a study declares per column how its dates are written (study.yaml
``forms: {ae: {dates: {IT.AESTDAT: MM/DD/YYYY}}}`` or ``{date: COL, format: ...}`` in an assignment) and every
value becomes valid ISO 8601 with SDTMIG 3.4 section 4.4.4's rules for missing components: trailing unknown
components are left off (``UN/UNK/2019`` -> ``2019``), an unknown component before a known one is a hyphen
(``20/UNK/2019`` read as ``DD/MMM/YYYY`` -> ``2019---20``). Nothing is imputed.

Format tokens: ``YYYY`` (4-digit year), ``YY`` (2-digit year, needs a ``pivot``), ``MMM`` (month name ``Jan``),
``MM`` (month number), ``DD`` (day), and for a date and time in one column ``HH`` (hour), ``MI`` (minute),
``SS`` (second). Other characters are separators; a separator in the format matches any one of ``- / . space``.
Unknown parts are written ``UN``, ``UK``, ``UNK``, ``NK``, ``XX`` or hyphens. A value that is only a 4-digit year
is accepted under any format (EDC systems export a year-only partial date so). ``auto`` (no declaration) reads
``DD-MMM-YYYY`` and ISO 8601 (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``).

Work is done once per distinct value (dates repeat a lot), fully vectorised.

>>> derive_iso8601(pd.Series(["01/16/2014", "UN/UN/2019", "2013", ""]), fmt="MM/DD/YYYY").tolist()
['2014-01-16', '2019', '2013', nan]
>>> derive_iso8601(pd.Series(["20 UNK 2019", "UN JAN 2019"]), fmt="DD-MMM-YYYY").tolist()
['2019---20', '2019-01']
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from cdisckit.dates import FAST_YEARS, calendar_dates, digit_shapes
from cdisckit.errors import InputError

MONTHS = {
    m: f"{i:02d}"
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_UNK2 = r"UN|UK|NK|XX|--|UNK"
_UNK_MON = r"UNK|UNN|UKN|UN|UK|NK|XXX|XX|---|--"
_UNK_YEAR = r"UNKN|UNK|NK|XXXX|----"
_TOKENS = {
    "YYYY": rf"(?P<y>\d{{4}}|{_UNK_YEAR})",
    "YY": rf"(?P<yy>\d{{2}}|{_UNK2})",
    "MMM": rf"(?P<mon>[A-Z]{{3}}|{_UNK_MON})",
    "MM": rf"(?P<m>\d{{1,2}}|{_UNK2})",
    "DD": rf"(?P<d>\d{{1,2}}|{_UNK2})",
    "HH": rf"(?P<H>\d{{1,2}}|{_UNK2})",
    "MI": rf"(?P<M>\d{{2}}|{_UNK2})",
    "SS": r"(?P<S>\d{2}(?:\.\d+)?)",
}
_TOKEN_RE = re.compile(r"YYYY|YY|MMM|MM|DD|HH|MI|SS")
_SEP = r"[-/. ]"
_ISO = r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?$"
_TIME = rf"^(?P<H>\d{{1,2}}|{_UNK2})(?::(?P<M>\d{{2}}|{_UNK2})(?::(?P<S>\d{{2}}))?)?$"
#: Formats a study may declare (docs/mapping-spec.md); any combination of the tokens works, these are examples.
KNOWN_FORMATS = ("auto", "ISO", "MM/DD/YYYY", "MM-DD-YYYY", "DD-MMM-YYYY", "DDMMMYYYY", "DD/MM/YYYY", "MM/DD/YY")


def format_problem(fmt, pivot=None) -> str | None:
    """Why a declared date format cannot be used (None when it can).

    >>> format_problem("MM/DD/YYYY"), format_problem("MM/DD/YY"), format_problem("DD.MON.YYYY") is not None
    (None, 'a two-digit year (YY) needs a pivot year: {format: MM/DD/YY, pivot: 1950}', True)
    """
    if not isinstance(fmt, str) or not fmt.strip():
        return "a date format is text such as MM/DD/YYYY, DD-MMM-YYYY, ISO or auto"
    if fmt in ("auto", "ISO"):
        return None
    tokens = _TOKEN_RE.findall(fmt)
    rest = _TOKEN_RE.sub("", fmt)
    if re.search(r"[A-Za-z0-9]", rest):
        return f"format {fmt!r} has letters that are not YYYY, YY, MMM, MM, DD, HH, MI, SS"
    if len(set(tokens)) != len(tokens) or not ({"YYYY", "YY"} & set(tokens)):
        return f"format {fmt!r} needs one year (YYYY or YY) and each part at most once"
    if "MMM" in tokens and "MM" in tokens:
        return f"format {fmt!r} has both a month name (MMM) and a month number (MM)"
    if "YY" in tokens and pivot is None:
        return f"a two-digit year (YY) needs a pivot year: {{format: {fmt}, pivot: 1950}}"
    if pivot is not None and (not isinstance(pivot, int) or isinstance(pivot, bool) or not 1000 <= pivot <= 9999):
        return "pivot is the first year of the 100-year window of two-digit years, e.g. 1950 (50 -> 1950, 49 -> 2049)"
    return None


@cache
def _pattern(fmt: str) -> str:
    out, pos = "^", 0
    for m in _TOKEN_RE.finditer(fmt):
        out += _seps(fmt[pos : m.start()])
        out += _TOKENS[m.group()]
        pos = m.end()
    return out + _seps(fmt[pos:]) + "$"


def _seps(text: str) -> str:
    return "".join(_SEP if c in "-/. " else re.escape(c) for c in text)


def _zfill2(s: pd.Series) -> pd.Series:
    return s.astype(object).map(lambda v: str(v).zfill(2), na_action="ignore")


_UNKNOWN = {"UN", "UK", "NK", "XX", "UNK", "UNN", "UKN", "XXX", "UNKN", "XXXX", "-", "--", "---", "----"}


def _unknown(s: pd.Series) -> pd.Series:
    """Unknown-part markers (``UN``, ``UNK``, ``NK``, ``XX``, hyphens)."""
    return s.isin(_UNKNOWN)


def _assemble(parts: list[pd.Series]) -> pd.Series:
    """ISO 8601 from year, month, day, hour, minute, second (text or NaN = unknown): trailing unknowns left off,
    an unknown component before a known one written as a hyphen (SDTMIG 3.4 section 4.4.4)."""
    seps = ["", "-", "-", "T", ":", ":"]
    known = [p.notna() for p in parts]
    last = pd.Series(-1, index=parts[0].index)
    for i, k in enumerate(known):
        last = last.where(~k, i)
    out = pd.Series("", index=parts[0].index, dtype=object)
    for i, p in enumerate(parts):
        piece = seps[i] + p.astype(object).where(known[i], "-")
        out = out.where(last < i, out + piece)
    return out.where(last >= 0)


def parse_date_text(uniq: pd.Series, fmt: str = "auto", pivot: int | None = None) -> tuple[pd.Series, pd.Series]:
    """Distinct raw date strings -> (ISO 8601 string or NaN, bad-value mask). Helper of :func:`derive_iso8601`.

    Valid complete values in the usual shapes (``DD-MMM-YYYY``, ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` of ASCII
    digits, years 1700 to 2200) are read with numpy (:func:`_fast_dates`), the others by the format's regex
    (``_parse_date_text``); both give the same text.

    >>> iso, bad = parse_date_text(pd.Series(["07-Mar-2025", "UN-MAR-2025", "UN-UNK-2025", "2025-03", "31-FEB-2025"]))
    >>> iso.tolist()[:4], bad.tolist()
    (['2025-03-07', '2025-03', '2025', '2025-03'], [False, False, False, False, True])
    >>> parse_date_text(pd.Series(["03/07/25", "12/31/49", "01/01/50"]), "MM/DD/YY", pivot=1950)[0].tolist()
    ['2025-03-07', '2049-12-31', '1950-01-01']
    """
    if fmt not in _FAST_FORMATS or not len(uniq):
        return _parse_date_text(uniq, fmt, pivot)
    up = uniq.astype("str").str.strip().str.upper().to_numpy(dtype=object)
    fast, iso = _fast_dates(up, fmt)
    if not fast.any():
        return _parse_date_text(uniq, fmt, pivot)
    out = pd.Series(iso, index=uniq.index, dtype=object)
    bad = pd.Series(False, index=uniq.index)
    if not fast.all():
        rest_iso, rest_bad = _parse_date_text(uniq[~fast], fmt, pivot)
        out[~fast], bad[~fast] = rest_iso.to_numpy(dtype=object), rest_bad.to_numpy(dtype=bool)
    return out, bad


#: Formats with a numpy path for their usual values (:func:`_fast_dates`).
_FAST_FORMATS = ("auto", "DD-MMM-YYYY", "ISO")


def _key3(c: np.ndarray) -> np.ndarray:
    """Three code points per row (int64 columns) as one int64, to compare with :func:`_keys` of words."""
    return (c[:, 0] << 42) | (c[:, 1] << 21) | c[:, 2]


def _keys(words) -> np.ndarray:
    return _key3(np.array([[ord(ch) for ch in w.ljust(3, "\0")] for w in words], dtype=np.int64))


_MONTH_KEYS = _keys(MONTHS)  # JAN ... DEC
_UNKNOWN_MONTH_KEYS = _keys(["UNK", "UNN", "UKN", "XXX"])
_UNKNOWN_DAY_KEYS = _keys(["UN", "UK", "NK", "XX"])


def _fast_dates(up: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """(which values are read here, their ISO 8601 text) of stripped upper-case ``str`` values: those of
    :func:`_fast_dmy` (formats auto and DD-MMM-YYYY) and valid all-digit ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``
    of years 1700 to 2200 (formats auto and ISO). Every other value is left to the regex parser, which also
    reports the bad ones.

    >>> _fast_dates(np.array(["07-MAR-2025", "2025-03", "31-FEB-2025", "7-MAR-2025", "1600"], dtype=object), "auto")
    (array([ True,  True, False, False, False]), array(['2025-03-07', '2025-03', None, None, None], dtype=object))
    """
    fast: np.ndarray = np.zeros(len(up), dtype=bool)
    iso: np.ndarray = np.full(len(up), None, dtype=object)
    if fmt in ("auto", "DD-MMM-YYYY"):
        idx, text = _fast_dmy(up)
        iso[idx], fast[idx] = text, True
    if fmt in ("auto", "ISO"):
        idx, fields, count = digit_shapes(up)
        year, month, day = fields[:, 0], fields[:, 1], fields[:, 2]
        ok = (count <= 3) & (year >= FAST_YEARS[0]) & (year <= FAST_YEARS[1])
        ok &= (count < 2) | ((month >= 1) & (month <= 12))
        ok &= (count < 3) | ~np.isnat(calendar_dates(year, np.where(ok, month, 1), np.where(count == 3, day, 1)))
        iso[idx[ok]] = up[idx[ok]]
        fast[idx[ok]] = True
    return fast, iso


def _fast_dmy(up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, ISO 8601 text) of the valid ``DD-MMM-YYYY`` values among stripped upper-case ``str`` values:
    a two-digit day or ``UN``/``UK``/``NK``/``XX``, a month name or ``UNK``/``UNN``/``UKN``/``XXX``, a four-digit
    year from 1700 to 2200, any of ``- / . space`` between them. ``07-MAR-2025`` -> ``2025-03-07`` (a date that
    exists), ``UN-MAR-2025`` -> ``2025-03``, ``UN-UNK-2025`` -> ``2025``, ``07-UNK-2025`` -> ``2025---07``.

    >>> _fast_dmy(np.array(["UN-MAR-2025", "07/UNK/2025", "UN UNK 2025", "32-UNK-2025", "29-FEB-2025"], dtype=object))
    (array([0, 1, 2]), array(['2025-03', '2025---07', '2025'], dtype=object))
    """
    idx = np.flatnonzero(np.fromiter(map(len, up), dtype=np.int64, count=len(up)) == 11)
    c = np.array(up[idx].tolist(), dtype="<U11").view(np.uint32).reshape(len(idx), 11).astype(np.int64)
    d = c - ord("0")
    digit = (d >= 0) & (d <= 9)
    sep = np.isin(c, [ord(x) for x in "-/. "])
    day_known = digit[:, 0] & digit[:, 1]
    day_key, month_key = _key3(np.column_stack([c[:, 0:2], np.zeros(len(c), np.int64)])), _key3(c[:, 3:6])
    named = np.isin(month_key, _MONTH_KEYS)
    month = np.argmax(month_key[:, None] == _MONTH_KEYS[None, :], axis=1) + 1
    year = d[:, 7] * 1000 + d[:, 8] * 100 + d[:, 9] * 10 + d[:, 10]
    day = d[:, 0] * 10 + d[:, 1]
    ok = (day_known | np.isin(day_key, _UNKNOWN_DAY_KEYS)) & (named | np.isin(month_key, _UNKNOWN_MONTH_KEYS))
    ok &= digit[:, 7:11].all(axis=1) & sep[:, 2] & sep[:, 6] & (year >= FAST_YEARS[0]) & (year <= FAST_YEARS[1])
    complete, day_only = day_known & named, day_known & ~named
    exists = ~np.isnat(calendar_dates(np.where(ok, year, 2000), np.where(named, month, 1), np.where(ok, day, 1)))
    ok &= np.where(complete, exists, True) & np.where(day_only, (day >= 1) & (day <= 31), True)
    text: np.ndarray = np.zeros((len(idx), 10), dtype=np.uint32)  # trailing NULs end the text
    text[:, 0:4] = c[:, 7:11]
    text[named, 4], text[named, 5], text[named, 6] = (
        ord("-"),
        month[named] // 10 + ord("0"),
        month[named] % 10 + ord("0"),
    )
    text[complete, 7], text[complete, 8:10] = ord("-"), c[complete, 0:2]
    text[day_only, 4:7], text[day_only, 7:9] = ord("-"), c[day_only, 0:2]
    return idx[ok], text[ok].view("<U10").ravel().astype(object)


def _parse_date_text(uniq: pd.Series, fmt: str, pivot: int | None) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_date_text` by the format's regex (any value)."""
    up = uniq.astype("str").str.strip().str.upper().reset_index(drop=True)
    if fmt == "auto":
        a, bad_a = _parse_date_text(up, "DD-MMM-YYYY", None)
        b, bad_b = _parse_date_text(up, "ISO", None)
        return a.where(~bad_a, b).set_axis(uniq.index), (bad_a & bad_b).set_axis(uniq.index)
    cols = ["y", "yy", "mon", "m", "d", "H", "M", "S"]
    if fmt == "ISO":
        g = up.str.extract(_ISO)
    else:
        g = up.str.extract(_pattern(fmt))
        year_only = g.isna().all(axis=1) & up.str.fullmatch(r"\d{4}")
        g.loc[year_only, "y"] = up[year_only]
    g = g.reindex(columns=cols).astype(object)
    matched = g.notna().any(axis=1)
    year = g["y"].where(~_unknown(g["y"]))
    if g["yy"].notna().any():
        yy = pd.to_numeric(g["yy"].where(~_unknown(g["yy"])), errors="coerce")
        base = int(pivot or 1950)
        full = np.where(yy >= base % 100, base - base % 100 + yy, base - base % 100 + 100 + yy)
        year = year.fillna(
            pd.Series(full, index=g.index).where(yy.notna()).map(lambda v: f"{int(v):04d}", na_action="ignore")
        )
    mon_name = g["mon"].where(~_unknown(g["mon"]))
    month = mon_name.map(MONTHS).where(mon_name.notna(), g["m"].where(~_unknown(g["m"])))
    bad = ~matched | (mon_name.notna() & month.isna())
    month = _zfill2(month)
    day = _zfill2(g["d"].where(~_unknown(g["d"])))
    hour = _zfill2(g["H"].where(~_unknown(g["H"])))
    minute = g["M"].where(~_unknown(g["M"]))
    second = g["S"]
    year, month, day, hour, minute, second = (p.astype(object) for p in (year, month, day, hour, minute, second))
    mnum = pd.to_numeric(month, errors="coerce")
    bad |= month.notna() & ~mnum.between(1, 12)
    bad |= day.notna() & ~pd.to_numeric(day, errors="coerce").between(1, 31)
    bad |= hour.notna() & ~pd.to_numeric(hour, errors="coerce").between(0, 23)
    bad |= minute.notna() & ~pd.to_numeric(minute, errors="coerce").between(0, 59)
    bad |= second.notna() & ~(pd.to_numeric(second, errors="coerce") < 60)
    complete = year.notna() & month.notna() & day.notna()
    parsed = pd.to_datetime((year + "-" + month + "-" + day).where(complete & ~bad), format="%Y-%m-%d", errors="coerce")
    bad |= complete & ~bad & parsed.isna()
    # a time is kept on a complete date only (a time without its date says nothing about the day)
    hour, minute, second = (p.where(complete) for p in (hour, minute, second))
    out = _assemble([year, month, day, hour, minute, second])
    return out.where(~bad).set_axis(uniq.index), bad.set_axis(uniq.index)


def _blank_to_none(s: pd.Series) -> pd.Series:
    s = s.astype("str").str.strip()
    return s.where(s.ne("") & s.ne("nan") & s.notna())


def _distinct_text(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(code of each row, its distinct values trimmed with blank as NaN): :func:`_blank_to_none` done once per
    distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, _blank_to_none(pd.Series(uniques))


def _spread(codes: np.ndarray, per_value: pd.Series, lookup: pd.Series, like: pd.Series) -> pd.Series:
    """``per_value.map(lookup)`` spread back to the rows of ``like`` by ``codes`` (-1: a missing value): the Series
    mapping every row would give. The distinct keys (and NaN when a row is missing) are mapped as one Series, so
    the result holds the objects the rows' map would and is typed as it (``str``; float64 when all are missing)."""
    missing = codes < 0
    if missing.any():
        per_value = pd.concat([per_value, pd.Series([np.nan], dtype=per_value.dtype)], ignore_index=True)
    mapped = per_value.map(lookup)
    values: np.ndarray = mapped.to_numpy(dtype=object)
    return pd.Series(
        values[np.where(missing, len(values) - 1, codes)], index=like.index, name=like.name, dtype=mapped.dtype
    )


def _fail(values: pd.Series, bad: pd.Series, *, file, column, rows, what, expected):
    first = bad[bad].index[0]
    row = rows.loc[first] if rows is not None else first + 1
    raise InputError(
        f"{what} {values.loc[first]!r} is not a {what} written as {expected}",
        file=file,
        row=row,
        column=column,
    )


def _expected(fmt: str) -> str:
    if fmt == "auto":
        return "DD-MMM-YYYY (UN/UNK for unknown parts), YYYY-MM-DD, YYYY-MM or YYYY (declare the column's format)"
    return f"{fmt} (UN/UNK for unknown parts), as study.yaml declares"


def derive_iso8601(
    date: pd.Series,
    time: pd.Series | None = None,
    *,
    file=None,
    column=None,
    rows=None,
    time_column=None,
    fmt: str | None = "auto",
    pivot: int | None = None,
) -> pd.Series:
    """ISO 8601 ``--DTC`` from a raw date column (format ``fmt``) and an optional ``HH:MM[:SS]`` time column.

    Partial dates stay partial (``UN-MAR-2025`` -> ``2025-03``, ``UN-UNK-2025`` -> ``2025``); a time is only
    appended to a complete date. Unparseable values raise InputError (file, row = RECORDID, column).

    >>> derive_iso8601(pd.Series(["07-Mar-2025", "UN-UNK-2025", ""]), pd.Series(["9:05", "10:00", ""])).tolist()
    ['2025-03-07T09:05', '2025', nan]
    >>> derive_iso8601(pd.Series(["07-02-2014"]), pd.Series(["11:45"]), fmt="MM-DD-YYYY").tolist()
    ['2014-07-02T11:45']
    """
    fmt = fmt or "auto"
    codes, d_u = _distinct_text(date)
    uniq = pd.Series(d_u.dropna().unique())
    iso_u, bad_u = parse_date_text(uniq, fmt, pivot)
    if bad_u.any():
        d, bad_vals = _blank_to_none(date), set(uniq[bad_u])
        _fail(d, d.isin(bad_vals), file=file, column=column, rows=rows, what="date", expected=_expected(fmt))
    lookup = pd.Series(iso_u.values, index=uniq.values)
    out = _spread(codes, d_u, lookup, date) if len(uniq) else _blank_to_none(date)
    if time is not None:
        t_codes, t_u = _distinct_text(time)
        tu = pd.Series(t_u.dropna().unique(), dtype=object)
        parts = tu.astype("str").str.upper().str.extract(_TIME)
        h = pd.to_numeric(parts["H"], errors="coerce")
        mi = pd.to_numeric(parts["M"], errors="coerce")
        ok = parts["H"].notna() & (h.between(0, 23) | _unknown(parts["H"]))
        ok &= parts["M"].isna() | mi.between(0, 59) | _unknown(parts["M"])
        ok &= parts["S"].isna() | (pd.to_numeric(parts["S"], errors="coerce") < 60)
        if (~ok).any():
            t = _blank_to_none(time)
            _fail(t, t.isin(set(tu[~ok])), file=file, column=time_column, rows=rows, what="time", expected="HH:MM")
        hh = _zfill2(parts["H"].where(~_unknown(parts["H"])))
        mm = parts["M"].where(~_unknown(parts["M"]))
        blank = pd.Series(np.nan, index=parts.index, dtype=object)
        norm = _assemble([blank.fillna("0000"), blank.fillna("01"), blank.fillna("01"), hh, mm, parts["S"]])
        norm = norm.str.slice(11)  # the part after "0000-01-01T"
        tnorm = (
            _spread(t_codes, t_u, pd.Series(norm.values, index=tu.values), time) if len(tu) else _blank_to_none(time)
        )
        full = out.str.len().eq(10) & tnorm.notna() & tnorm.ne("")
        out = out.where(~full, out + "T" + tnorm)
    return out
