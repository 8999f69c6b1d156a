"""The vectorised helpers of cdisckit.adam.util give what the pandas calls they stand for give, on hand-worked
values: text membership, subjects with a record by their origin, numbers and grades per distinct value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.adam.util import as_text, grade_digits, is_in, lookup, numbers, subjects_dated_by


def test_is_in_matches_isin_for_text_and_falls_back_otherwise():
    s = pd.Series(["S-1", None, "S-3", "S-1"], dtype="str")
    subjects = pd.Index(["S-1", "S-2"], dtype="str")
    assert is_in(s, subjects).tolist() == [True, False, False, True]
    assert is_in(s, subjects).tolist() == s.isin(subjects).tolist()
    assert is_in(s, {"S-3"}).tolist() == [False, False, True, False]
    assert is_in(s, pd.Index([], dtype="str")).tolist() == [False] * 4
    nums = pd.Series([1.0, 2.0, np.nan])
    assert is_in(nums, [2.0]).tolist() == [False, True, False]


def test_subjects_dated_by_counts_undated_records_and_those_on_or_before_origin():
    subjects = pd.Series(["A", "B", "C", "D"], dtype="str")
    origin = pd.Series(pd.to_datetime(["2025-01-10", "2025-01-10", None, "2025-01-10"]))
    usubjid = pd.Series(["A", "B", "C", "C", "X"], dtype="str")
    date = pd.Series(pd.to_datetime(["2025-01-10", "2025-01-11", "2025-01-01", None, None]))
    # A on the origin day; B only after it; C undated (no origin needed); D no record; X not a subject
    assert subjects_dated_by(usubjid, date, subjects, origin).tolist() == [True, False, True, False]
    assert subjects_dated_by(usubjid.iloc[:0], date.iloc[:0], subjects.iloc[:0], origin.iloc[:0]).tolist() == []


def test_numbers_and_grade_digits_per_distinct_value():
    assert numbers(pd.Series(["3", "x", None, "3"], dtype="str")).tolist()[::3] == [3.0, 3.0]
    assert numbers(pd.Series(["3", "x"], dtype="str")).isna().tolist() == [False, True]
    n, text = grade_digits(pd.Series(["Grade 3", "4", None, "none", "Grade 3"], dtype="str"))
    assert n.tolist()[:2] == [3.0, 4.0] and n.iloc[2:4].isna().all() and n.iloc[4] == 3.0
    assert text.tolist() == ["3", "4", None, None, "3"]


def test_as_text_and_lookup_keep_values():
    frame = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01P": ["A", None], "TRTSDT": pd.to_datetime(["2025-01-01", None])})
    typed = as_text(frame)
    assert str(typed["TRT01P"].dtype) == "str" and typed["TRT01P"].isna().tolist() == [False, True]
    assert typed["TRTSDT"].dtype == frame["TRTSDT"].dtype
    mapping = pd.Series([10.0, 20.0], index=pd.Index(["1", "2"], dtype="str"))
    keys = pd.Series(["2", "3", "1"], dtype="str", index=[7, 8, 9])
    got = lookup(keys, mapping)
    assert got.index.tolist() == [7, 8, 9] and got.tolist()[0] == 20.0 and np.isnan(got.iloc[1]) and got.iloc[2] == 10.0
