"""derive_iso8601 trims and looks up each distinct raw value once: the same Series as trimming and mapping every
row (values, dtype, index, name)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisckit.sdtm.derive_dates import _blank_to_none, _distinct_text, _spread, derive_iso8601

RAW = st.sampled_from(["07-MAR-2025", " 07-Mar-2025 ", "UN-UNK-2025", "2025", "", " ", "nan", None, "x"])


@settings(max_examples=60)
@given(
    st.lists(RAW, min_size=1, max_size=30),
    st.sampled_from(["str", "object"]),
    st.dictionaries(st.sampled_from(["07-MAR-2025", "07-Mar-2025", "UN-UNK-2025", "2025", "x"]), st.none() | RAW),
)
def test_spread_of_distinct_values_equals_the_map_of_every_row(values, dtype, table):
    raw = pd.Series(values, dtype=dtype, index=np.arange(len(values))[::-1] * 2, name="AESTDAT")
    lookup = pd.Series(list(table.values()), index=list(table), dtype=object)
    codes, per_value = _distinct_text(raw)
    got = _spread(codes, per_value, lookup, raw)
    want = _blank_to_none(raw).map(lookup)
    assert got.dtype == want.dtype and got.name == want.name and got.index.equals(want.index)
    assert got.equals(want), (got.tolist(), want.tolist())


def test_derive_iso8601_by_hand():
    date = pd.Series([" 07-mar-2025", "", "UN-MAR-2025", "07-MAR-2025", None], dtype="str", index=[4, 3, 2, 1, 0])
    time = pd.Series(["9:05", "10:00", "", "", "11:30"], dtype="str", index=date.index)
    got = derive_iso8601(date, time)
    assert got.index.tolist() == [4, 3, 2, 1, 0] and got.dtype == "str"
    assert got.fillna("-").tolist() == ["2025-03-07T09:05", "-", "2025-03", "2025-03-07", "-"]
    assert derive_iso8601(pd.Series(["UN-UNK-UNKN", ""], dtype="str")).dtype == "float64"  # all missing, as map gave
