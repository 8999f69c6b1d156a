"""order_columns with ``consume=True`` and join_subject_vars give exactly what the copying forms give (the sort of
the whole frame, the left merge), on hand-made frames; the cases the lookup is not certain of are the merge's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisckit.adam.util import join_subject_vars, order_columns


def _adrs_like() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "USUBJID": ["S-2", "S-1", "S-2", "S-1", None],
            "STUDYID": ["S"] * 5,
            "PARAMCD": ["OVR", "BOR", "BOR", "OVR", "OVR"],
            "PARAM": ["Overall", "Best", "Best", "Overall", "Overall"],
            "PARCAT1": ["RECIST 1.1"] * 5,
            "ADT": pd.to_datetime(["2025-02-01", None, "2025-01-01", "2025-03-01", "2025-01-05"]),
            "SRCSEQ": [2.0, np.nan, 1.0, 3.0, 4.0],
            "AVALC": ["PR", "CR", None, "SD", "NE"],  # object text: typed to arrow text
            "NOTINSPEC": [1, 2, 3, 4, 5],
        },
        index=[10, 11, 12, 13, 14],
    )
    return frame.astype({"USUBJID": "str"})


@pytest.mark.parametrize("name", ["ADRS", "ADTTE", "ADSL"])
def test_order_columns_consume_gives_the_same_frame_and_empties_the_input(name):
    kept = order_columns(_adrs_like(), name)
    frame = _adrs_like()
    consumed = order_columns(frame, name, consume=True)
    pd.testing.assert_frame_equal(consumed, kept, check_exact=True)
    assert consumed.attrs == kept.attrs
    assert "NOTINSPEC" in frame and not set(frame.columns) & set(consumed.columns)  # taken: what the spec has
    assert len(frame) == 5


def test_order_columns_sorts_by_the_keys_missing_first_and_stably():
    out = order_columns(_adrs_like(), "ADRS")
    # keys STUDYID, USUBJID, PARCAT1, PARAMCD, ADT, SRCSEQ; the missing USUBJID and ADT sort first
    assert out["USUBJID"].isna().tolist() == [True, False, False, False, False]
    assert out["USUBJID"].tolist()[1:] == ["S-1", "S-1", "S-2", "S-2"]
    assert out["PARAMCD"].tolist()[1:] == ["BOR", "OVR", "BOR", "OVR"]
    assert out.index.equals(pd.RangeIndex(5))
    assert str(out["AVALC"].dtype) == "str"
    assert out["AVALC"].tolist()[0] == "NE" and out["AVALC"].iloc[[1, 2, 4]].tolist() == ["CR", "SD", "PR"]
    assert pd.isna(out["AVALC"].iloc[3])


def test_order_columns_of_rows_already_in_order_shares_nothing_with_the_input():
    frame = order_columns(_adrs_like(), "ADRS")
    again = order_columns(frame, "ADRS")
    pd.testing.assert_frame_equal(again, frame, check_exact=True)
    again.loc[0, "PARAMCD"] = "XXX"  # copy on write: the input keeps its value
    assert frame.loc[0, "PARAMCD"] != "XXX"


def _subjects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": pd.Series(["S-1", "S-2", "S-3"], dtype="str"),
            "TRT01P": pd.Series(["A", None, "B"], dtype="str"),
            "TRTSDT": pd.to_datetime(["2025-01-01", None, "2025-01-03"]),
            "AGE": [60.0, 70.0, np.nan],
            "N": [1, 2, 3],
        }
    )


def test_join_subject_vars_is_the_left_merge():
    rows = pd.DataFrame({"USUBJID": pd.Series(["S-2", "S-9", "S-1", "S-2"], dtype="str"), "AVAL": [1.0, 2.0, 3.0, 4.0]})
    rows.index = [5, 6, 7, 8]
    got = join_subject_vars(rows, _subjects())
    want = rows.merge(_subjects(), on="USUBJID", how="left")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["TRT01P"].isna().tolist() == [True, True, False, True]  # S-2 has none, S-9 is no subject
    assert str(got["N"].dtype) == str(want["N"].dtype) == "float64"  # the unmatched S-9
    assert list(rows.columns) == ["USUBJID", "AVAL"]  # the input is not changed
    every = join_subject_vars(rows[rows["USUBJID"] != "S-9"], _subjects())
    pd.testing.assert_frame_equal(every, rows[rows["USUBJID"] != "S-9"].merge(_subjects(), on="USUBJID", how="left"))


@pytest.mark.parametrize(
    "case",
    ["duplicate subjects", "missing key", "column in both", "key dtypes differ", "no rows"],
)
def test_join_subject_vars_falls_back_to_the_merge(case):
    rows = pd.DataFrame({"USUBJID": pd.Series(["S-2", "S-1"], dtype="str"), "AVAL": [1.0, 2.0]})
    subjects = _subjects()
    if case == "duplicate subjects":
        subjects = pd.concat([subjects, subjects.iloc[[0]]], ignore_index=True)
    elif case == "missing key":
        rows.loc[1, "USUBJID"] = None
    elif case == "column in both":
        rows["AGE"] = [1.0, 2.0]
    elif case == "key dtypes differ":
        rows["USUBJID"] = rows["USUBJID"].astype(object)
    else:
        rows = rows.iloc[:0]
    got = join_subject_vars(rows, subjects)
    pd.testing.assert_frame_equal(got, rows.merge(subjects, on="USUBJID", how="left"), check_exact=True)
