"""The pyarrow fast path of the raw CSV reader (``cdisckit.csvfile.read_plain_csv``) against the csv-module reader,
the reference: on every generated text, well-formed or not, the fast path either declines (None) or gives the very
header, cells (dtype included) and record lines the strict reader gives; and ``read_csv_text`` returns the same
frame or raises the same error (message, file, line, row, column) with the fast path on and off."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisckit import csvfile
from cdisckit.errors import InputError

# the characters that decide CSV structure, and the whitespace str.strip knows beyond ASCII space
NASTY = list('ab Z9,,"\n\r\t;é–') + [
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u3000",
    "\ufeff",
]
CELL = st.lists(st.sampled_from(NASTY), max_size=6).map("".join)
PLAIN_CELL = st.text(alphabet=st.sampled_from(list("ab Z9,-;é") + ['"', "\x1c", "\xa0", "\u3000"]), max_size=6)
NAMES = st.lists(st.sampled_from(["A", "B", " C", "SUBJECT", "REC", "", "A "]), min_size=1, max_size=5)


def _strict(text: str, path: Path):
    try:
        return csvfile._read_strict(text, path, None)
    except InputError as exc:
        return exc


def _same(fast, strict) -> None:
    assert not isinstance(strict, InputError), f"fast path accepted what the strict reader rejects: {strict}"
    header, df, lines = fast
    s_header, s_df, s_lines = strict
    assert header == s_header
    assert list(df.columns) == list(s_df.columns) and df.columns.dtype == s_df.columns.dtype
    assert list(df.dtypes) == list(s_df.dtypes)
    assert df.to_numpy(dtype=object).tolist() == s_df.to_numpy(dtype=object).tolist()
    assert lines.dtype == s_lines.dtype and lines.tolist() == s_lines.tolist()


def _check(text: str) -> bool:
    """Fast and strict agree on ``text``; True when the fast path answered."""
    path = Path("form.csv")
    fast = csvfile.read_plain_csv(text)
    if fast is None:
        return False
    _same(fast, _strict(text, path))
    return True


def _written(names, rows, *, crlf: bool, quote_all: bool) -> str:
    buf = io.StringIO(newline="")
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n", quoting=quoting).writerows([names, *rows])
    return buf.getvalue()


@st.composite
def tables(draw, cell=CELL):
    names = draw(NAMES)
    rows = draw(st.lists(st.lists(cell, min_size=len(names), max_size=len(names)), max_size=6))
    return names, rows


@settings(max_examples=200)
@given(tables(), st.booleans(), st.booleans())
def test_written_tables_read_the_same(t, crlf, quote_all):
    names, rows = t
    _check(_written(names, rows, crlf=crlf, quote_all=quote_all))


@settings(max_examples=200)
@given(tables(PLAIN_CELL), st.booleans(), st.booleans(), st.booleans())
def test_plain_tables_take_the_fast_path_and_read_the_same(t, crlf, quote_all, last_newline):
    names, rows = t
    text = _written(names, rows, crlf=crlf, quote_all=quote_all)
    if not last_newline:
        text = text.removesuffix("\r\n" if crlf else "\n")
    answered = _check(text)
    header = [c.strip() for c in names]
    valid_header = any(header) and len({c for c in header if c}) == sum(1 for c in header if c)
    if rows and valid_header and any(c.strip() for c in names):
        assert answered  # a plainly well-formed file is read by the fast path


@settings(max_examples=300)
@given(st.lists(st.sampled_from(NASTY + ["A,B\n", "1,2\n", '"x,y"']), max_size=30).map("".join))
def test_any_text_reads_the_same_or_falls_back(text):
    _check(text)


@settings(max_examples=200)
@given(tables(), st.booleans(), st.data())
def test_damaged_tables_read_the_same_or_fall_back(t, crlf, data):
    """A written table with characters inserted, deleted or replaced anywhere (quotes, commas, line ends)."""
    names, rows = t
    text = _written(names, rows, crlf=crlf, quote_all=False)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        how = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        ch = data.draw(st.sampled_from(NASTY))
        text = text[:i] + (ch if how != "delete" else "") + text[i + (how != "insert") :]
    _check(text)


def _outcome(path: Path, record):
    try:
        df = csvfile.read_csv_text(path, record=record)
    except InputError as exc:
        return ("error", str(exc), exc.file, exc.line, exc.row, exc.column)
    return ("frame", list(df.columns), df.to_numpy(dtype=object).tolist(), list(df.dtypes), df.attrs["lines"].tolist())


@settings(max_examples=100)
@given(tables(PLAIN_CELL), st.booleans(), st.data())
def test_read_csv_text_same_result_or_error_with_and_without_fast_path(tmp_path_factory, t, bom, data):
    names, rows = t
    text = _written(names, rows, crlf=data.draw(st.booleans()), quote_all=False)
    if data.draw(st.booleans()) and rows:  # a duplicated record id, or a value in an unnamed column
        text += text.split("\n", 2)[1] + "\n"
    path = tmp_path_factory.mktemp("csv") / "form.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    record = data.draw(st.sampled_from([None, *[c.strip() for c in names if c.strip()]]))
    fast = _outcome(path, record)
    original = csvfile.read_plain_csv
    csvfile.read_plain_csv = lambda text: None  # type: ignore[assignment]
    try:
        strict = _outcome(path, record)
    finally:
        csvfile.read_plain_csv = original
    assert fast == strict


@pytest.mark.parametrize(
    "text",
    [
        'A,B\n1,"x\ny"\n',  # a line break in a value
        "A,B\n1,2\n\n3,4\n",  # a blank line
        "A,B\n1,2\r3,4\n",  # a lone CR
        "A,B\n1,2\n3\n",  # a short row
        "A,B\n1,2,3\n",  # a long row
        'A,B\n1,x"y\n',  # a quote inside an unquoted value
        'A,B\n1,"x"y\n',  # text after a closing quote
        'A,B\n1,"x\n',  # a quote never closed
        "A,A\n1,2\n",  # a duplicate column
        "A,B\n",  # no record
        " ,\n1,2\n",  # no column named
        "A,B\n1,2\n \r\n",  # a line of a space
    ],
)
def test_what_is_not_plain_goes_to_the_strict_reader(text):
    assert csvfile.read_plain_csv(text) is None


def test_the_fast_path_reads_the_forms_of_a_synthetic_export(tmp_path):
    from cdisckit.pipeline import bundled_study_dir
    from cdisckit.synth import write_raw_export

    files = write_raw_export(bundled_study_dir() / "synth.yaml", tmp_path, 100, 31)
    assert any('"' in f.read_text() for f in files)
    assert files
    for f in files:
        text = csvfile.decode(f.read_bytes(), f)
        assert _check(text), f.name  # quotes included (AE terms with commas): still the fast path


def test_blank_records_of_whitespace_are_dropped_as_the_strict_reader_drops_them():
    text = "A\nx\n \u3000\n\x1c\ny\n"
    header, df, lines = csvfile.read_plain_csv(text)
    assert df["A"].tolist() == ["x", "y"] and lines.tolist() == [2, 5]
    _check(text)
    assert isinstance(lines, np.ndarray) and isinstance(df, pd.DataFrame)
