"""ISO 8601 dates from EDC text (``07-Mar-2025``, ``UN-MAR-2025``, ``UN-UNK-2025``, ``2025-03``) — never imputed.

Work is done once per distinct value (dates repeat a lot), fully vectorised.
"""

from __future__ import annotations

import pandas as pd

from cdisckit.errors import InputError

MONTHS = {
    m: f"{i:02d}"
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_EDC = r"^(?P<d>\d{1,2}|UN|UK)-(?P<m>[A-Z]{3})-(?P<y>\d{4})$"
_ISO = r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?$"
_TIME = r"^(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?$"


def _blank_to_none(s: pd.Series) -> pd.Series:
    s = s.astype("str").str.strip()
    return s.where(s.ne("") & s.ne("nan") & s.notna())


def _fail(values: pd.Series, bad: pd.Series, *, file, column, rows, what):
    first = bad[bad].index[0]
    row = rows.loc[first] if rows is not None else first + 1
    raise InputError(
        f"{what} {values.loc[first]!r} is not a date/time the mapping understands "
        "(DD-MMM-YYYY with UN/UNK for unknown parts, YYYY-MM, YYYY; times HH:MM)",
        file=file,
        row=row,
        column=column,
    )


def parse_date_text(uniq: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Distinct raw date strings -> (ISO 8601 string or NaN, bad-value mask). Helper of :func:`derive_iso8601`.

    >>> iso, bad = parse_date_text(pd.Series(["07-Mar-2025", "UN-MAR-2025", "UN-UNK-2025", "2025-03", "31-FEB-2025"]))
    >>> iso.tolist()[:4], bad.tolist()
    (['2025-03-07', '2025-03', '2025', '2025-03'], [False, False, False, False, True])
    """
    up = uniq.astype("str").str.strip().str.upper()
    edc = up.str.extract(_EDC)
    iso = up.str.extract(_ISO)
    is_edc = edc["y"].notna()
    is_iso = iso["y"].notna() & ~is_edc
    year = edc["y"].where(is_edc, iso["y"])
    mon_edc = edc["m"].map(MONTHS)
    month_unknown = edc["m"].isin(["UNK", "UNN", "UKN"])
    month = mon_edc.where(is_edc, iso["m"])
    day_raw = edc["d"].where(is_edc, iso["d"])
    day_unknown = day_raw.isin(["UN", "UK"])
    day = day_raw.where(~day_unknown).str.zfill(2)
    bad = ~(is_edc | is_iso) | (is_edc & mon_edc.isna() & ~month_unknown)
    month_ok = month.notna()
    day_ok = day.notna()
    # day known but month unknown -> ISO 8601 "YYYY---DD"
    out = year.copy()
    out = out.where(~month_ok, year + "-" + month)
    out = out.where(~(month_ok & day_ok), year + "-" + month + "-" + day)
    out = out.where(~(~month_ok & day_ok), year + "---" + day)
    complete = month_ok & day_ok
    parsed = pd.to_datetime(out.where(complete), format="%Y-%m-%d", errors="coerce")
    bad |= complete & parsed.isna()
    bad |= month_ok & ~month.fillna("01").astype(int).between(1, 12)
    return out.where(~bad), bad


def derive_iso8601(
    date: pd.Series, time: pd.Series | None = None, *, file=None, column=None, rows=None, time_column=None
) -> pd.Series:
    """ISO 8601 ``--DTC`` from a raw date column and an optional ``HH:MM`` time column.

    Partial dates stay partial (``UN-MAR-2025`` -> ``2025-03``, ``UN-UNK-2025`` -> ``2025``); a time is
    only appended to a complete date. Unparseable values raise InputError (file, row = RECORDID, column).

    >>> derive_iso8601(pd.Series(["07-Mar-2025", "UN-UNK-2025", ""]), pd.Series(["9:05", "10:00", ""])).tolist()
    ['2025-03-07T09:05', '2025', nan]
    """
    d = _blank_to_none(date)
    uniq = pd.Series(d.dropna().unique())
    iso_u, bad_u = parse_date_text(uniq)
    if bad_u.any():
        bad_vals = set(uniq[bad_u])
        _fail(d, d.isin(bad_vals), file=file, column=column, rows=rows, what="date")
    lookup = pd.Series(iso_u.values, index=uniq.values)
    out = d.map(lookup) if len(uniq) else d
    if time is not None:
        t = _blank_to_none(time)
        tu = pd.Series(t.dropna().unique())
        parts = tu.str.extract(_TIME)
        ok = parts["h"].notna()
        h = pd.to_numeric(parts["h"], errors="coerce")
        mi = pd.to_numeric(parts["mi"], errors="coerce")
        ok &= h.between(0, 23) & mi.between(0, 59)
        if (~ok).any():
            _fail(t, t.isin(set(tu[~ok])), file=file, column=time_column, rows=rows, what="time")
        norm = parts["h"].str.zfill(2) + ":" + parts["mi"]
        norm = norm.where(parts["s"].isna(), norm + ":" + parts["s"])
        tnorm = t.map(pd.Series(norm.values, index=tu.values)) if len(tu) else t
        full = out.str.len().eq(10) & tnorm.notna()
        out = out.where(~full, out + "T" + tnorm)
    return out
