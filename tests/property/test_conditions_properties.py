"""Properties of the one condition language (cdisckit/conditions.py) on generated columns."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cdisckit.conditions import frame_mask

WORDS = st.sampled_from(["Yes", "yes ", " YES", "No", "no", "CAR-T", "car-t", "Car  T", "", "  ", None])
TESTS = st.one_of(
    st.sampled_from(["yes", "No", "CAR-T", "car  t"]),
    st.lists(st.sampled_from(["yes", "no", "car-t", None]), min_size=1, max_size=3),
    st.none(),
    st.builds(lambda r: {"matches": r}, st.sampled_from(["Y.*", "car-?t", "N"])),
)


@given(st.lists(WORDS, min_size=1, max_size=20), TESTS)
def test_not_is_the_complement(values, test):
    df = pd.DataFrame({"X": pd.Series(values, dtype=object)})
    hit = frame_mask(df, {"X": test})
    assert (frame_mask(df, {"X": {"not": test}}) == ~hit).all()


@given(st.lists(WORDS, min_size=1, max_size=20), TESTS)
def test_case_and_blanks_do_not_matter_and_blank_is_null(values, test):
    """Text compares trimmed, blanks collapsed, case-insensitively; an empty or blank value is null."""
    df = pd.DataFrame({"X": pd.Series(values, dtype=object)})
    canon = pd.DataFrame(
        {
            "X": pd.Series(
                [None if v is None or not v.strip() else " ".join(v.split()).upper() for v in values], dtype=object
            )
        }
    )
    assert (frame_mask(df, {"X": test}) == frame_mask(canon, {"X": test})).all()
    assert (frame_mask(df, {"X": None}) == pd.Series([v is None or not v.strip() for v in values])).all()


@given(st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=20), TESTS, TESTS)
def test_any_is_or_and_keys_are_and(rows, t1, t2):
    df = pd.DataFrame(
        {"X": pd.Series([a for a, _ in rows], dtype=object), "Y": pd.Series([b for _, b in rows], dtype=object)}
    )
    a, b = frame_mask(df, {"X": t1}), frame_mask(df, {"Y": t2})
    assert (frame_mask(df, {"any": [{"X": t1}, {"Y": t2}]}) == (a | b)).all()
    assert (frame_mask(df, {"X": t1, "Y": t2}) == (a & b)).all()
