"""Strict CSV reading: every cell as text, or an InputError naming file, line, row and column.

Raw EDC forms (``sdtm/forms.py``) and CSV SDTM datasets (``cdisckit.io``) are read here. What a real export holds
and what becomes of it:

- a UTF-8 byte-order mark (Excel's "CSV UTF-8") is dropped; CRLF or LF line ends; quoted commas, quotes and line
  breaks inside a value are kept as they are;
- blank lines and rows of empty fields (``,,,,`` as Excel leaves after the data) are not records and are skipped;
- a row with more or fewer fields than the header (a last line cut short, an unquoted comma) is an error, and so
  is an unterminated quote; the message names the line, the record id when the row has one, and the column;
- an empty (0-byte) file, a file that is not text (NUL bytes, an Excel workbook renamed .csv), a byte that is not
  in the file's encoding (with the line, column and byte, and a hint when the file looks like Windows-1252),
  duplicate or unnamed header columns are errors;
- ``NA``, ``NULL`` and the like are text like any other value: nothing is turned into missing behind your back.

>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "ae.csv"
>>> _ = p.write_bytes(b'\\xef\\xbb\\xbfSUBJECT,RECORDID,AETERM\\r\\n01,1,"Nausea, mild"\\r\\n01,2,Rash\\r\\n')
>>> read_csv_text(p).values.tolist()
[['01', '1', 'Nausea, mild'], ['01', '2', 'Rash']]
>>> _ = p.write_text("SUBJECT,RECORDID,AETERM\\n01,1,Nausea\\n01,2\\n")
>>> read_csv_text(p, record="RECORDID")
Traceback (most recent call last):
...
cdisckit.errors.InputError: ...ae.csv, line 3, row 2, column AETERM: the row has 2 fields but the header has 3 (a line cut short?)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

csv.field_size_limit(2**31 - 1)  # a long value is reported by the 200-byte check with its column, not here

_HINT_ENCODING = "declare the file's encoding for the form in study.yaml (`encoding: cp1252`) or save it as UTF-8"


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The bytes of ``path``; a folder, a missing or unreadable file is an InputError naming it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"is a folder, not a {what}", file=str(path))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", file=str(path)) from None


def _line_col(data: bytes, pos: int) -> tuple[int, int]:
    """1-based line, and 1-based field number within that line, of byte ``pos`` (quotes ignored)."""
    start = data.rfind(b"\n", 0, pos) + 1
    return data.count(b"\n", 0, pos) + 1, data[start:pos].count(b",") + 1


def _column_name(data: bytes, field: int) -> str:
    header = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r").split(",")
    return header[field - 1].strip().strip('"') if field <= len(header) else f"#{field}"


def decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Text of a CSV file: NUL bytes, a workbook, or bytes outside the encoding are InputErrors with line/column."""
    where = str(path)
    if not data.strip():
        raise InputError("the file is empty (0 bytes): expected a header line naming the columns", file=where, line=1)
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError("is an Excel workbook (or another binary file), not CSV text: save it as CSV", file=where)
    nul = data.find(b"\x00")
    if nul >= 0:
        line, field = _line_col(data, nul)
        raise InputError(
            "is not a text file (a NUL byte): is it a CSV export?",
            file=where,
            line=line,
            column=_column_name(data, field),
        )
    enc = encoding or "utf-8"
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        line, field = _line_col(data, exc.start)
        bad = data[exc.start]
        hint = ""
        if enc.replace("-", "").lower() in ("utf8", "utf8sig"):
            try:
                ch = data[exc.start : exc.start + 1].decode("cp1252")
                hint = f"; it looks like Windows-1252 (cp1252, {ch!r}), as Excel saves CSV: {_HINT_ENCODING}"
            except UnicodeDecodeError:
                hint = f"; {_HINT_ENCODING}"
        raise InputError(
            f"byte 0x{bad:02x} is not valid {enc} text{hint}",
            file=where,
            line=line,
            column=_column_name(data, field),
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", file=where) from None
    return text.removeprefix("\ufeff")


def _parse(text: str, path: Path) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        start = 1
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error:
            pass
        what = "a quoted value is never closed" if "end of data" in str(exc) else f"malformed quoting ({exc})"
        raise InputError(f"{what}: the row starting here is not valid CSV", file=str(path), line=start) from None


def _lines(rows: list[list[str]], text: str) -> np.ndarray:
    """First physical line (1-based) of each parsed row: one line per row plus its quoted line breaks."""
    if text.count("\n") + (not text.endswith("\n")) == len(rows):  # no line break inside a value
        return np.arange(1, len(rows) + 1)
    breaks = np.fromiter((sum(f.count("\n") for f in r) if r else 0 for r in rows), dtype=np.int64, count=len(rows))
    return np.concatenate([[1], 2 + np.cumsum(breaks)[:-1] + np.arange(len(rows) - 1)])[: len(rows)]


_TEXT = pd.Series(dtype="str").dtype


def read_plain_csv(text: str) -> tuple[list[str], pd.DataFrame, np.ndarray] | None:
    """(trimmed header, text frame of the records, line of each record) of a plainly well-formed CSV text,
    parsed by pyarrow; None when the text is not plainly well-formed, so that the csv module decides it.

    Plain: one record per line (every ``\\r`` ends a line as ``\\r\\n``, no quoted value spans a line break, every
    quote opens or closes a whole quoted field with ``""`` for a quote inside it), no blank line, at least one
    record, a valid header, and pyarrow finds the header's number of fields on every line. On such a text
    pyarrow and the csv module read the same cells, and record ``i`` is on line ``i + 2``.

    >>> read_plain_csv('A,B\\n1,"x, y"\\n')[1].values.tolist()
    [['1', 'x, y']]
    >>> read_plain_csv('A,B\\n1,"x\\ny"\\n') is None  # a line break inside a value: the csv module reads it
    True
    """
    first = text[: text.find("\n")] if "\n" in text else text
    if getattr(_TEXT, "storage", None) != "pyarrow" or not first.strip():
        return None
    data = text.encode("utf-8")
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    cr = np.flatnonzero(buf == 13)
    n_lines = len(ends) + (not data.endswith(b"\n"))
    if (
        n_lines < 2
        or (cr + 1 >= len(buf)).any()
        or (buf[np.minimum(cr + 1, len(buf) - 1)] != 10).any()  # a lone CR
        or (np.diff(ends) == 1).any()  # an empty line
        or ((np.diff(ends) == 2) & (buf[ends[1:] - 1] == 13)).any()  # a line holding CR only
        or not _quotes_plain(buf, ends)
    ):
        return None
    try:
        header = [c.strip() for c in next(csv.reader([first.removesuffix("\r")], strict=True))]
        _check_header(header, Path("?"))
    except (csv.Error, InputError, StopIteration):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != n_lines - 1:
        return None
    df = table.combine_chunks().to_pandas(types_mapper={pa.large_string(): _TEXT}.get)
    df.columns = pd.Index(header)
    # a record is blank when its fields joined are whitespace only: certain for none of the lines holding an
    # ASCII character other than space, comma or quote; the others (rare) are checked as the csv module's rows are
    starts = np.concatenate([[0], ends + 1])[:n_lines]
    ascii_text = (buf > 32) & (buf < 128) & (buf != ord(",")) & (buf != ord('"'))  # not whitespace for str.strip
    content = np.logical_or.reduceat(ascii_text, starts)[1:]
    empty: np.ndarray = np.zeros(len(df), dtype=bool)
    maybe = np.flatnonzero(~content)
    if len(maybe):
        rows = df.iloc[maybe].to_numpy(dtype=object)
        empty[maybe] = [not "".join(r).strip() for r in rows]
    lines: np.ndarray = np.arange(2, len(df) + 2, dtype=np.int64)
    if empty.any():
        df, lines = df[~empty], lines[~empty]
    return header, df, lines


def _quotes_plain(buf: np.ndarray, ends: np.ndarray) -> bool:
    """Every quote of the bytes opens or closes a quoted field within one line (``""`` inside it)."""
    q = np.flatnonzero(buf == ord('"'))
    if not len(q):
        return True
    if len(q) % 2:
        return False
    line = np.asarray(np.searchsorted(ends, q))  # the line each quote is on
    o, c = q[0::2], q[1::2]
    if (line[0::2] != line[1::2]).any():
        return False
    before = np.where(o > 0, buf[np.maximum(o - 1, 0)], ord(","))
    after = np.where(c + 1 < len(buf), buf[np.minimum(c + 1, len(buf) - 1)], ord("\n"))
    after_cr = (after == ord("\r")) & (buf[np.minimum(c + 2, len(buf) - 1)] == ord("\n"))
    prev_close: np.ndarray = np.concatenate([[-2], c[:-1]])
    next_open: np.ndarray = np.append(o[1:], -2)
    opens = np.isin(before, (ord(","), ord("\n"))) | (o - 1 == prev_close)
    closes = np.isin(after, (ord(","), ord("\n"))) | after_cr | (c + 1 == next_open)
    return bool(opens.all() and closes.all())


def read_csv_text(path: Path, *, encoding: str | None = None, record: str | None = None) -> pd.DataFrame:
    """A CSV file as a frame of text (header names trimmed, ``""`` for empty fields), index 0..n-1.

    ``record``: the record-id column, named in messages and checked for duplicates. ``df.attrs["lines"]`` holds
    each row's CSV line. Raises InputError (file, line, row, column) for anything listed in the module docstring.

    A file that is plainly well-formed (see :func:`read_plain_csv`) is parsed by pyarrow; any other file, and every
    file with an error, by the csv module (the reference: both give the same frame wherever the fast one answers).
    """
    path = Path(path)
    text = decode(read_bytes(path), path, encoding)
    fast = read_plain_csv(text)
    header, df, row_lines = fast if fast is not None else _read_strict(text, path, record)
    named = []
    for j, c in enumerate(header):  # an unnamed column must be empty (Excel's trailing comma); it is dropped
        filled: Any = np.flatnonzero(df.iloc[:, j].str.strip().ne("").to_numpy()) if not c else []
        if len(filled):
            raise InputError(
                f"column {j + 1} has values but no name in the header", file=str(path), line=int(row_lines[filled[0]])
            )
        if c:
            named.append(j)
    df = df.iloc[:, named]
    df = df.reset_index(drop=True)
    df.attrs["lines"] = row_lines
    if record and record in df.columns:
        check_unique_records(df, record, path, row_lines)
    return df


def _read_strict(text: str, path: Path, record: str | None) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """(trimmed header, text frame of the records, line of each record) through the csv module."""
    rows = _parse(text, path)
    lines = _lines(rows, text)
    header = [c.strip() for c in rows[0]] if rows else []
    n = len(header)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    blank = lengths == 0
    for i in np.flatnonzero(lengths == 1):  # a line of spaces
        blank[i] = not rows[i][0].strip()
    if blank[0] if len(rows) else True:
        raise InputError("the first line is blank: expected a header line naming the columns", file=str(path), line=1)
    keep = np.flatnonzero(~blank)[1:]
    bad = keep[lengths[keep] != n]
    if bad.size:
        r = rows[int(bad[0])]
        rid = r[header.index(record)].strip() if record in header and header.index(record) < len(r) else None
        if len(r) < n:
            column, why = header[len(r)], f"the row has {len(r)} fields but the header has {n} (a line cut short?)"
        else:
            column = None
            why = (
                f"the row has {len(r)} fields but the header has {n}: a value with a comma that is not in quotes, "
                f"or a line break inside a value?"
            )
        raise InputError(why, file=str(path), line=int(lines[int(bad[0])]), row=rid or None, column=column)
    _check_header(header, path)
    # rows whose every field is blank (Excel's left-overs) are not records: a row is blank when its fields joined
    # are whitespace only; checked on the parsed rows, before the frame is built
    body = [rows[i] for i in keep]
    empty = np.fromiter((not "".join(r).strip() for r in body), dtype=bool, count=len(body))
    row_lines = lines[keep][~empty]
    if empty.any():
        body = [r for r, e in zip(body, empty) if not e]
    df = pd.DataFrame(body, columns=pd.Index(header), dtype=object) if body else pd.DataFrame(columns=header)
    return header, df.astype("str"), row_lines


def read_csv_header(path: Path, *, encoding: str | None = None) -> list[str]:
    """The trimmed column names of a CSV file, reading only its first line (same errors as :func:`read_csv_text`).

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "dm.csv"
    >>> _ = p.write_text(" SUBJECT ,RECORDID\\n01,1\\n")
    >>> read_csv_header(p)
    ['SUBJECT', 'RECORDID']
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            while b"\n" not in head and (more := fh.read(1 << 16)):
                head += more
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    first = head.split(b"\n", 1)[0] + b"\n"
    if not head.strip():
        decode(head, path, encoding)  # the empty-file error
    rows = _parse(decode(first, path, encoding), path)
    header = [c.strip() for c in rows[0]] if rows and rows[0] else []
    if not header or not any(header):
        raise InputError("the first line is blank: expected a header line naming the columns", file=str(path), line=1)
    _check_header(header, path)
    return header


def _check_header(header: list[str], path: Path) -> None:
    named = [c for c in header if c]
    seen: dict[str, int] = {}
    for i, c in enumerate(header, start=1):
        if c and c in seen:
            raise InputError(
                f"column {c!r} appears twice in the header (columns {seen[c]} and {i}, names compared after trimming)",
                file=str(path),
                line=1,
                column=c,
            )
        seen.setdefault(c, i)
    if not named:
        raise InputError("the header line names no columns", file=str(path), line=1)


def check_unique_records(df: pd.DataFrame, record: str, path, lines=None) -> None:
    """InputError when a non-blank record id appears on more than one row (both rows named).

    >>> check_unique_records(pd.DataFrame({"RECORDID": ["1", "2", "1"]}), "RECORDID", "ae.csv")
    Traceback (most recent call last):
    ...
    cdisckit.errors.InputError: ae.csv, row 1, column RECORDID: record id 1 appears on more than one row (rows 1 and 3)
    """
    ids = df[record].astype(str).str.strip()
    dup = ids.ne("") & ids.duplicated(keep=False)
    if not dup.any():
        return
    first = ids[dup].iloc[0]
    where = np.flatnonzero((ids == first).to_numpy())
    pos = lines if lines is not None else np.arange(len(df)) + 1
    noun = "lines" if lines is not None else "rows"
    raise InputError(
        f"record id {first} appears on more than one row ({noun} {' and '.join(str(int(pos[i])) for i in where[:5])})",
        file=str(path),
        line=int(pos[where[1]]) if lines is not None else None,
        row=first,
        column=record,
    )
