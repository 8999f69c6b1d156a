"""The numpy fast paths of the dates modules give exactly what their regex / pandas slow paths give.

Values are generated from the usual shapes (``YYYY`` ... ``YYYY-MM-DDThh:mm:ss``, ``DD-MMM-YYYY``) with every
component drawn from a wide range (month 00-99, years outside 1700-2200), and then broken: characters replaced
by letters, non-ASCII digits, spaces, NUL, hyphens, cut or extended. The fast path reads some of them; whatever it
reads must equal the slow path's answer for the same value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cdisckit.dates import (
    _complete_dates,
    _complete_dates_parsed,
    _components,
    _components_parsed,
    _ymd,
    _ymd_parsed,
    calendar_dates,
    date_bounds,
    digit_shapes,
    impute_dtc_dt,
    per_unique,
)
from cdisckit.sdtm.derive_dates import _fast_dates, _parse_date_text, parse_date_text

CHARS = "0123456789-T:./ xX\x00é٣２UNKZ"
ODD = st.one_of(st.sampled_from(CHARS), st.sampled_from(["UN", "UNK", "--", ".5"]))
#: Two-digit components and years, the edges of the ranges first.
TWO = st.one_of(st.sampled_from([0, 1, 2, 9, 10, 12, 13, 23, 24, 28, 29, 30, 31, 32, 59, 60, 99]), st.integers(0, 99))
YEAR = st.one_of(st.sampled_from([1699, 1700, 1900, 2000, 2024, 2100, 2200, 2201, 0, 1500]), st.integers(0, 9999))
MONTH = st.sampled_from(["JAN", "Feb", "mar", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "XYZ"])
UNKNOWN_MONTH = st.sampled_from(["UNK", "unk", "UNN", "UKN", "XXX", "---", "UN", "--", "NK"])
UNKNOWN_DAY = st.sampled_from(["UN", "un", "UK", "NK", "XX", "--", "UNK", "U"])


@st.composite
def iso_like(draw):
    """An ISO 8601 shape of two-digit components from 00 to 99 and a year from 0 to 9999, maybe broken."""
    parts = [f"{draw(YEAR):04d}"] + [f"{draw(TWO):02d}" for _ in range(5)]
    n = draw(st.integers(1, 6))
    text = "-".join(parts[: min(n, 3)]) + ("T" + ":".join(parts[3:n]) if n > 3 else "")
    return _broken(draw, text)


@st.composite
def dmy_like(draw):
    """``DD-MMM-YYYY`` with any separators of ``- / . space``, a day or unknown-day marker, a month name or
    unknown-month marker, maybe broken."""
    day = draw(st.one_of(TWO.map(lambda d: f"{d:02d}"), UNKNOWN_DAY))
    month, year = draw(st.one_of(MONTH, MONTH, UNKNOWN_MONTH)), draw(YEAR)
    sep = draw(st.sampled_from(["-", "/", ".", " ", "_"]))
    text = f"{day}{sep}{month}{draw(st.sampled_from(['-', sep]))}{year:04d}"
    if draw(st.booleans()):
        text = draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " "]))
    return _broken(draw, text)


def _broken(draw, text: str) -> str:
    how = draw(st.sampled_from(["keep", "keep", "keep", "replace", "cut", "extend"]))
    if how == "replace" and text:
        k = draw(st.integers(0, len(text) - 1))
        text = text[:k] + draw(ODD) + text[k + 1 :]
    elif how == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "extend":
        text = text + draw(ODD)
    return text


def outcome(func, *args):
    """What ``func(*args)`` gives, or the type of what it raises (the slow paths raise OutOfBoundsDatetime for
    years before 1677; so must the fast ones)."""
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - the exception's type is the outcome compared
        return type(exc)


VALUES = st.lists(
    st.one_of(iso_like(), iso_like(), dmy_like(), dmy_like(), st.text(CHARS, max_size=12)),
    min_size=1,
    max_size=60,
    unique=True,
)


EDGES = ["2025-13", "2025-00", "2025-02-29", "2024-02-29", "2100-02-29", "1699-01", "1700", "2200-12-31", "2201"]
EDGES += ["31-APR-2025", "30-APR-2025", "00-JAN-2025", "29-FEB-2100", "29 feb 2000", "07_MAR_2025", "07-MAR-1699"]
EDGES += ["UN-MAR-2025", "UN-UNK-2025", "07-UNK-2025", "31/XXX/2025", "32-UNK-2025", "00-UNK-2025", "UN-XYZ-2025"]
EDGES += ["NK.JAN.2025", "XX XXX 2025", "UK-UNN-2025", "-- MAR 2025", "UN-MAR-UNKN", "UN---2025", "UN-UKN-1699"]


@settings(max_examples=100)
@given(VALUES)
@example(EDGES + ["2025-03-07T24:60:61", "2025-03-07T10:05:09.5", "2025---07"])
def test_components_fast_path_equals_the_regex(values):
    arr = np.array(values, dtype=object)
    got, want = _components(arr), _components_parsed(arr)
    assert np.array_equal(got, want, equal_nan=True), (values, got, want)


@settings(max_examples=100)
@given(VALUES)
@example(EDGES + ["2025-03-07T10:05", "2025-03-07xyz", "2025-03-0\x00", "2025-03"])
def test_complete_dates_fast_path_equals_to_datetime(values):
    u = pd.Series(values, dtype=object)
    got, want = outcome(_complete_dates, u), outcome(_complete_dates_parsed, u)
    if isinstance(want, type):
        assert got is want, values
    else:
        assert got.dtype == want.dtype and got.equals(want), (values, got.tolist(), want.tolist())


DAY = st.one_of(st.none(), st.integers(0, 99))


@given(st.lists(st.tuples(st.integers(1690, 2210), DAY, DAY), min_size=1, max_size=40), st.booleans())
def test_ymd_fast_path_equals_to_datetime(triples, odd_year):
    if odd_year:  # one year pandas cannot hold in datetime64[ns]: both raise
        triples = [(1500, 1, 1), *triples]
    y, m, d = (pd.Series([t[i] for t in triples], dtype=float) for i in range(3))
    got, want = outcome(_ymd, y, m, d), outcome(_ymd_parsed, y, m, d)
    if isinstance(want, type):
        assert got is want and odd_year
        return
    assert got.dtype == want.dtype and got.equals(want)
    known = (y.notna() & m.notna() & d.notna() & y.between(1700, 2200)).to_numpy()
    fast = calendar_dates(*(s.to_numpy()[known].astype(np.int64) for s in (y, m, d)))
    assert np.array_equal(fast, want.to_numpy()[known], equal_nan=True)


@settings(max_examples=150)  # more than the ci profile's 25: the shapes x formats x ranges are many
@given(VALUES, st.sampled_from(["auto", "DD-MMM-YYYY", "ISO"]))
@example(EDGES, "auto")
@example(EDGES, "ISO")
@example(EDGES, "DD-MMM-YYYY")
def test_parse_date_text_fast_path_equals_the_regex(values, fmt):
    uniq = pd.Series(values, dtype=object)
    got_iso, got_bad = parse_date_text(uniq, fmt)
    want_iso, want_bad = _parse_date_text(uniq, fmt, None)
    assert got_bad.tolist() == want_bad.tolist(), values
    assert got_iso.dtype == want_iso.dtype and got_iso.equals(want_iso), (values, got_iso.tolist(), want_iso.tolist())
    up = uniq.astype("str").str.strip().str.upper().to_numpy(dtype=object)
    fast, _ = _fast_dates(up, fmt)
    assert not got_bad[fast].any()  # the fast path reads valid values only


@given(st.lists(st.one_of(iso_like(), st.sampled_from(["2024---15", "--03-05", "2024-02", "2023"])), max_size=40))
def test_date_bounds_are_the_first_and_last_imputation(values):
    s = pd.Series(values, dtype=object)
    got = outcome(date_bounds, s)
    first, last = outcome(impute_dtc_dt, s, "M", "first"), outcome(impute_dtc_dt, s, "M", "last")
    if isinstance(first, type):
        assert got is first
    else:
        assert got[0].equals(first[0]) and got[1].equals(last[0])


def test_hand_worked_values_of_the_fast_paths():
    idx, fields, count = digit_shapes(np.array(["2024-02-29T23:59:59", "2024-1-01", "٢٠٢٤", "1999"], dtype=object))
    assert idx.tolist() == [0, 3] and count.tolist() == [6, 1]
    assert fields.tolist() == [[2024, 2, 29, 23, 59, 59], [1999, 0, 0, 0, 0, 0]]
    got = calendar_dates(np.array([2023, 2024, 2100, 2000]), np.array([2, 2, 2, 2]), np.array([29, 29, 29, 29]))
    assert pd.Series(got).dt.strftime("%Y-%m-%d").tolist() == [np.nan, "2024-02-29", np.nan, "2000-02-29"]
    iso, bad = parse_date_text(pd.Series([" 07-mar-2025", "07/MAR/2025", "07-MAR/2025", "1600-01-01", "2025-13"]))
    assert iso.tolist()[:4] == ["2025-03-07", "2025-03-07", "2025-03-07", "1600-01-01"] and bad.tolist()[-1]


PER_ROW = {
    "float": (lambda u: u.str.len().astype("float64"), np.nan),
    "bool": (lambda u: u.str.startswith("20").astype(bool), False),
    "date": (_complete_dates, pd.NaT),
}


@given(st.lists(st.one_of(st.none(), iso_like()), min_size=1, max_size=30), st.sampled_from(sorted(PER_ROW)))
def test_per_unique_equals_the_function_of_every_row(values, kind):
    func, fill = PER_ROW[kind]
    s = pd.Series(values, dtype="str", index=np.arange(len(values)) * 2 + 1, name="X")
    got = outcome(per_unique, s, func)
    want = outcome(lambda: func(s.fillna("")).where(s.notna(), fill).rename(None))
    if isinstance(want, type):  # a year before 1677: both raise
        assert got is want
        return
    assert got.dtype == want.dtype and got.index.equals(s.index) and got.name is None
    assert got.equals(want), (values, got.tolist(), want.tolist())
