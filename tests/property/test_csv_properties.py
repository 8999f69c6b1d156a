"""The raw CSV reader (cdisckit/csvfile.py): any table written as CSV, with quotes, commas and line breaks
in its values, reads back to the same cells; a damaged file fails with a located error, never silently."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdisckit.csvfile import read_csv_text
from cdisckit.errors import InputError

CELL = st.text(alphabet=st.sampled_from(list('ab Z9,"\n\r;é–\t')), max_size=8)
NAMES = st.lists(st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True), min_size=1, max_size=5, unique=True)


@st.composite
def table(draw):
    names = draw(NAMES)
    rows = draw(st.lists(st.lists(CELL, min_size=len(names), max_size=len(names)), max_size=8))
    rows = [r for r in rows if any(c.strip() for c in r)]  # a row of blanks is not a record (it is skipped)
    return names, rows


def _write(names, rows, *, crlf: bool, bom: bool) -> Path:
    buf = io.StringIO(newline="")
    # Python's writer leaves a lone CR unquoted under LF line ends (ambiguous CSV no export writes): quote all then
    lone_cr = not crlf and any("\r" in c for r in rows for c in r)
    quoting = csv.QUOTE_ALL if lone_cr else csv.QUOTE_MINIMAL
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n", quoting=quoting).writerows([names, *rows])
    path = Path(tempfile.mkdtemp()) / "form.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


@given(table(), st.booleans(), st.booleans())
def test_written_table_reads_back_cell_for_cell(t, crlf, bom):
    names, rows = t
    df = read_csv_text(_write(names, rows, crlf=crlf, bom=bom))
    assert list(df.columns) == names
    assert df.values.tolist() == rows


@given(table(), st.data())
def test_a_cut_file_reads_back_a_prefix_or_fails_with_a_line(t, data):
    """Cut anywhere: the reader names the line, or the rows read are the first rows written, except that a cut
    inside the last value of the last row (undetectable: the shorter row is still valid CSV) shortens that
    value. It never returns blank fields for the missing part or a row the writer did not write."""
    names, rows = t
    path = _write(names, rows, crlf=False, bom=False)
    raw = path.read_bytes()
    cut = data.draw(st.integers(len(",".join(names)) + 1, max(len(raw), len(",".join(names)) + 1)))
    path.write_bytes(raw[:cut])
    try:
        df = read_csv_text(path)
    except InputError as exc:
        assert exc.line is not None and exc.file == str(path)
        return
    got = df.values.tolist()
    assert got[:-1] == rows[: max(len(got) - 1, 0)]  # a cut right after the header reads no row
    if got:
        last, full = got[-1], rows[len(got) - 1]
        assert last[:-1] == full[:-1] and full[-1].startswith(last[-1].rstrip("\r"))


@pytest.mark.parametrize("extra", [",x", ""])
def test_a_field_count_mismatch_is_located(tmp_path, extra):
    p = tmp_path / "f.csv"
    p.write_text("A,B\n1,2\n3" + ("" if extra == "" else ",4" + extra) + "\n")
    with pytest.raises(InputError) as e:
        read_csv_text(p)
    assert e.value.line == 3
