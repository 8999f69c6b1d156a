"""The XPT reader's copying of variables (groups, blocks of rows) and its frame built on per-dtype blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisckit.formats import xpt_read
from cdisckit.formats.xpt import write_xpt
from cdisckit.formats.xpt_read import _column_cells, _numeric, read_xpt


def test_column_cells_in_groups_and_blocks_of_rows_are_the_variables_bytes(monkeypatch):
    rows = np.frombuffer(b"AB1xyzCD2uvwEF3rst", dtype=np.uint8)
    widths = np.array([2, 1, 3])
    want = [[b"AB", b"CD", b"EF"], [b"1", b"2", b"3"], [b"xyz", b"uvw", b"rst"]]
    for group_bytes in (1 << 25, 6, 1):  # one group; two; one variable at a time
        monkeypatch.setattr(xpt_read, "_GROUP_BYTES", group_bytes)
        cells = list(_column_cells(rows, 3, 6, widths))
        assert [[bytes(r) for r in c] for c in cells] == want
        assert all(c.flags["C_CONTIGUOUS"] and c.dtype == np.uint8 for c in cells)


def test_short_numerics_are_the_leading_bytes_of_a_double():
    # IBM doubles: 1.0 = 41 10 00.., 0.5 = 40 80 00.., 100.0 = 42 64 00..; 4 bytes hold them exactly
    full = np.array([[0x41, 0x10, 0, 0, 0, 0, 0, 0], [0x40, 0x80, 0, 0, 0, 0, 0, 0], [0x42, 0x64, 0, 0, 0, 0, 0, 0]])
    full = full.astype(np.uint8)
    assert _numeric(full, "", "x.xpt", "V").tolist() == [1.0, 0.5, 100.0]
    assert _numeric(np.ascontiguousarray(full[:, :4]), "", "x.xpt", "V").tolist() == [1.0, 0.5, 100.0]


def test_frame_of_many_variables_in_several_groups_equals_one_group(tmp_path, monkeypatch):
    df = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", None, "S-1"],
            "AGE": [50.0, np.nan, 61.0, 50.0],
            "SEX": ["F", "M", "M", None],
            "BRTHDT": pd.to_datetime(["1970-01-02", None, "1960-05-05", "1970-01-02"]).astype("datetime64[ns]"),
        }
    )
    path = write_xpt(df, tmp_path / "dm.xpt", None, name="DM")
    one = read_xpt(path)
    monkeypatch.setattr(xpt_read, "_GROUP_BYTES", 8)
    several = read_xpt(path)
    pd.testing.assert_frame_equal(one, several)
    assert one["SEX"].tolist() == ["F", "M", "M", None] and one["AGE"].isna().tolist() == [False, True, False, False]
    assert [str(b.dtype) for b in one._mgr.blocks] == [str(b.dtype) for b in pd.DataFrame(dict(one))._mgr.blocks]


def test_empty_dataset_and_dataset_without_text(tmp_path):
    empty = read_xpt(write_xpt(pd.DataFrame({"A": pd.Series([], dtype=object)}), tmp_path / "e.xpt", None, name="E"))
    assert list(empty.columns) == ["A"] and len(empty) == 0 and empty["A"].dtype == object
    numbers = read_xpt(write_xpt(pd.DataFrame({"X": [1.5, 2.0]}), tmp_path / "n.xpt", None, name="N"))
    assert numbers["X"].tolist() == [1.5, 2.0] and list(numbers.dtypes) == [np.float64]
