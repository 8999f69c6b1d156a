"""Quicker ways the report takes to the same result: each against the slower way it replaced."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisckit.report import efficacy as E
from cdisckit.report import figures as F


# ------------------------------------------------------------------------------------------ ADRS rows by PARAMCD
@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.sampled_from(["OVR", "BOR", "CBOR", None]), st.sampled_from(["CR", "PR", None])), max_size=40
    ),
    st.booleans(),
)
def test_code_frame_equals_selecting_columns_then_rows(records, duplicate_index):
    """The rows of one PARAMCD taken column by column equal ``df[cols].iloc[rows]``: values, dtypes, index."""
    df = pd.DataFrame(
        {
            "PARAMCD": pd.Series([c for c, _ in records], dtype=object),
            "AVALC": pd.array([a for _, a in records], dtype="string"),
            "AVAL": np.arange(len(records), dtype=float),
        }
    )
    if duplicate_index:
        df.index = [i // 2 for i in range(len(df))]
    E._BY_CODE[:] = [None, {}]
    for code in ("OVR", "BOR", "CBOR", "XX"):
        rows = E._code_rows(df).get(code, np.array([], dtype=np.intp))
        cols = ["AVALC", "AVAL", "NOTTHERE"]
        want = df[["AVALC", "AVAL"]].iloc[rows]
        pd.testing.assert_frame_equal(E._code_frame(df, code, cols), want)


def test_code_frame_by_hand():
    df = pd.DataFrame({"PARAMCD": ["OVR", "BOR", "OVR"], "USUBJID": ["A", "B", "C"], "AVALC": ["PR", "CR", "SD"]})
    got = E._code_frame(df, "OVR", ["USUBJID", "AVALC", "ADT"])
    assert got.to_dict("list") == {"USUBJID": ["A", "C"], "AVALC": ["PR", "SD"]} and got.index.tolist() == [0, 2]
    assert E._code_frame(df, "OVR", ["ADT"]).shape == (2, 0)  # none of the columns: the rows, no column


# ------------------------------------------------------------------------------------------ safety: columns read
def test_safety_reads_only_its_columns(adam, monkeypatch):
    """The safety tables from the ADAE columns they read (AE_COLUMNS and the *GRN grades) equal those from every
    ADAE column (as before), on an ADAE with extra columns, one of them a stray 'cohort' (never read)."""
    from cdisckit.report import safety as S

    adsl, adae = adam["ADSL"], adam["ADAE"]
    cohorts = ["DL1", "LEN"]
    wide = adae.assign(cohort="not this one", EXTRA=1.0, AETERM=adae["AEDECOD"])
    wide.attrs = dict(adae.attrs)
    narrow = S.safety(adsl, wide, cohorts)
    monkeypatch.setattr(S, "AE_COLUMNS", frozenset(wide.columns) - {"cohort"})
    every = S.safety(adsl, wide, cohorts)
    for key in ("overview", "soc_pt", "serious_soc_pt"):
        pd.testing.assert_frame_equal(narrow[key], every[key])
    for key in ("grades", "onset"):
        pd.testing.assert_frame_equal(narrow["aesi"][key], every["aesi"][key])
    assert narrow["overview"]["n"].sum() > 0 and len(narrow["aesi"]["onset"]) > 0


# ------------------------------------------------------------------------------------------ figures: same pixels
def test_rects_and_rgba_by_hand():
    r = F._rects([0, 2], [1, 1], [0, 0], [3, -1])
    assert isinstance(r, np.ndarray) and r.shape == (2, 4, 2)
    assert r[0].tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 3.0], [0.0, 3.0]]
    assert F._rgba(["#1b7837", "#ffffff"]).tolist() == [[0x1B / 255, 0x78 / 255, 0x37 / 255, 1.0], [1.0] * 4]
    assert F._rgba([]).shape == (0, 4)


def _png(collection_factory) -> bytes:
    import matplotlib

    with matplotlib.rc_context(F.RC):
        fig, ax = F._new_figure(3.0, 2.0)
        ax.add_collection(collection_factory())
        ax.set_xlim(0, 10)
        ax.set_ylim(-5, 5)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


@pytest.mark.parametrize("alpha", [None, 0.15])
def test_polycollection_from_arrays_draws_the_same_png(alpha):
    """Bars from one (n, 4, 2) array and an RGBA array give the PNG bytes of bars from a list of (4, 2) arrays and a
    list of colour names (what the report drew before)."""
    from matplotlib.collections import LineCollection, PolyCollection

    rng = np.random.default_rng(7)
    n = 300
    x, h = np.arange(n) / n * 10, rng.normal(0, 3, n)
    names = [["#1b7837", "#d73027", "#969696"][i % 3] for i in range(n)]
    rects = F._rects(x, np.full(n, 10 / n), np.zeros(n), h)
    old = _png(lambda: PolyCollection(list(rects), facecolors=names, edgecolors="none", alpha=alpha))
    new = _png(lambda: PolyCollection(rects, facecolors=F._rgba(names), edgecolors="none", alpha=alpha))
    assert old == new
    segs = [np.c_[np.arange(5) + i % 7, rng.normal(0, 2, 5)] for i in range(50)]
    old = _png(lambda: LineCollection(segs, colors=names[:50], linewidths=0.5, alpha=alpha))
    new = _png(lambda: LineCollection(segs, colors=F._rgba(names[:50]), linewidths=0.5, alpha=alpha))
    assert old == new
