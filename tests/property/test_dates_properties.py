"""Properties of cdisckit/dates.py on generated ISO 8601 values (SDTMIG 3.4 section 4.4.4 forms)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cdisckit.dates import dtc_to_dt, impute_dtc_dt, is_iso8601, parse_dtc, partial_after, precision, study_day

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


@st.composite
def iso_value(draw, min_precision: int = 1):
    """A valid ISO 8601 value truncated to a random precision (1 year ... 6 seconds) and its parts."""
    d = draw(DATES)
    t = draw(st.times())
    n = draw(st.integers(min_precision, 6))
    parts = [f"{d.year:04d}", f"{d.month:02d}", f"{d.day:02d}", f"{t.hour:02d}", f"{t.minute:02d}", f"{t.second:02d}"]
    text = "-".join(parts[: min(n, 3)])
    if n > 3:
        text += "T" + ":".join(parts[3:n])
    return text, n, [d.year, d.month, d.day, t.hour, t.minute, t.second][:n]


@given(st.lists(iso_value(), min_size=1, max_size=30))
def test_valid_values_are_iso8601_and_parse_back_to_their_parts(values):
    s = pd.Series([text for text, _, _ in values])
    assert is_iso8601(s).all()
    assert precision(s).tolist() == [n for _, n, _ in values]
    parsed = parse_dtc(s).to_numpy()
    for row, (_, n, parts) in zip(parsed, values):
        assert row[:n].tolist() == [float(p) for p in parts] and np.isnan(row[n:]).all()


BAD = {1: ["13", "00", "1", "x"], 2: ["32", "00", "1", "x"], 3: ["24", "1", "x"], 4: ["60", "1", "x"], 5: ["60", "x"]}


@given(st.lists(st.tuples(iso_value(min_precision=2), st.integers(1, 5), st.integers(0, 3)), min_size=1, max_size=25))
def test_an_out_of_range_component_is_not_iso8601(cases):
    broken = []
    for (text, n, _), where, pick in cases:
        parts = text.replace("T", "-").replace(":", "-").split("-")
        where = min(where, n - 1)
        parts[where] = BAD[where][pick % len(BAD[where])]
        broken.append("-".join(parts[:3]) + ("T" + ":".join(parts[3:]) if len(parts) > 3 else ""))
    assert not is_iso8601(pd.Series(broken)).any(), broken


@given(DATES)
def test_dtc_to_dt_of_a_complete_date_is_that_date_and_partial_is_nat(d):
    s = pd.Series([d.isoformat(), d.isoformat() + "T10:11", d.isoformat()[:7], d.isoformat()[:4]])
    got = dtc_to_dt(s)
    assert got.iloc[0] == got.iloc[1] == pd.Timestamp(d)
    assert got.iloc[2:].isna().all()


@given(st.lists(st.tuples(iso_value(), iso_value()), min_size=1, max_size=30))
def test_partial_after_is_a_plain_comparison_of_the_shared_prefix(pairs):
    """``a > b`` at shared precision == the components both values know, compared in order; never both ways."""
    sa, sb = pd.Series([a[0] for a, _ in pairs]), pd.Series([b[0] for _, b in pairs])
    expected = [a[2][: min(a[1], b[1])] > b[2][: min(a[1], b[1])] for a, b in pairs]
    after, before = partial_after(sa, sb), partial_after(sb, sa)
    assert after.tolist() == expected
    assert not (after & before).any()


@given(st.lists(st.tuples(DATES, DATES), min_size=1, max_size=30))
def test_study_day_is_never_zero_day_one_is_the_reference_and_antisymmetric(pairs):
    s = pd.Series([d.isoformat() for d, _ in pairs])
    r = pd.Series([ref.isoformat() for _, ref in pairs])
    day, back = study_day(s, r), study_day(r, s)
    assert (day != 0).all()
    for k, (d, ref) in enumerate(pairs):
        delta = (d - ref).days
        assert day.iloc[k] == (delta + 1 if delta >= 0 else delta)
        if d == ref:
            assert day.iloc[k] == back.iloc[k] == 1
        else:  # swapping date and reference mirrors the day once the day-1 shift is taken out
            shift = lambda x: x - 1 if x > 0 else x  # noqa: E731
            assert shift(day.iloc[k]) == -shift(back.iloc[k])


@st.composite
def partial_date(draw):
    d = draw(DATES)
    kind = draw(st.sampled_from(["year", "month", "day-missing-month", "complete"]))
    text = {
        "year": f"{d.year:04d}",
        "month": f"{d.year:04d}-{d.month:02d}",
        "day-missing-month": f"{d.year:04d}---{d.day:02d}",
        "complete": d.isoformat(),
    }[kind]
    if kind == "year" or kind == "day-missing-month":
        lo, hi = dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
    elif kind == "month":
        lo = dt.date(d.year, d.month, 1)
        hi = (pd.Timestamp(lo) + pd.offsets.MonthEnd(0)).date()
    else:
        lo = hi = d
    return text, lo, hi


def _check_imputed(got, lo, hi, how, flag, mins, maxs):
    assert lo <= got <= hi  # inside the period the partial date allows
    if lo == hi:
        assert got == lo and flag is None  # a complete date is never moved
        return
    inside_min = [m for m in mins if lo <= m <= hi]
    inside_max = [m for m in maxs if lo <= m <= hi]
    if how == "first":  # the max bounds are facts; min bounds are honoured unless a fact forbids it
        assert all(got <= m for m in inside_max)
        if all(m >= mn for m in inside_max for mn in inside_min):
            assert all(got >= m for m in inside_min)
    else:
        assert all(got >= m for m in inside_min)
        if all(m <= mx for m in inside_min for mx in inside_max):
            assert all(got <= m for m in inside_max)
    if not inside_min and not inside_max:
        assert got == (lo if how == "first" else hi)


BOUNDS = st.lists(st.one_of(st.none(), DATES), min_size=2, max_size=2)


@given(st.sampled_from(["first", "last"]), st.lists(st.tuples(partial_date(), BOUNDS, BOUNDS), min_size=1, max_size=30))
def test_imputation_stays_in_the_period_and_never_crosses_a_bound_inside_it(how, rows):
    """Two min and two max bound columns (missing allowed), one row per generated partial date."""
    column = lambda which, j: pd.Series([pd.Timestamp(r[which][j]) if r[which][j] else pd.NaT for r in rows])  # noqa: E731
    date, flag = impute_dtc_dt(
        pd.Series([r[0][0] for r in rows]),
        "M",
        how,
        min_dates=[column(1, 0), column(1, 1)],
        max_dates=[column(2, 0), column(2, 1)],
    )
    for k, ((_, lo, hi), mins, maxs) in enumerate(rows):
        mins, maxs = [m for m in mins if m], [m for m in maxs if m]
        _check_imputed(date.iloc[k].date(), lo, hi, how, flag.iloc[k], mins, maxs)


@given(st.lists(partial_date(), min_size=1, max_size=30))
def test_no_imputation_above_the_highest_level(dates):
    date, flag = impute_dtc_dt(pd.Series([t for t, _, _ in dates]), "n", "first")
    for k, (_, lo, hi) in enumerate(dates):
        assert (date.iloc[k].date() == lo) if lo == hi else pd.isna(date.iloc[k])
    assert flag.isna().all()
