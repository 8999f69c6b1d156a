"""Reading SAS XPORT version 5 (.xpt) with numpy, the structure verified before any value is used.

A damaged file is refused with an :class:`InputError` naming the file and what is wrong: a header record that is
not the one TS-140 puts there (or holds other numbers), a NAMESTR count the records do not match, a NAMESTR whose
type, length, position or number is inconsistent, a file length that is not header + whole records + fewer than
80 blank bytes of padding, a last record cut short, a second dataset (member). Values: numerics float64 (IBM ->
IEEE keeps 53 of the 56 fraction bits), SAS date / datetime formats (pyreadstat's lists) as ``datetime64[ns]``
(dates cut toward zero to whole days, datetimes to the microsecond, as pyreadstat), other formats (``TIME8.``
...) as the SAS number, text right-trimmed with blank as ``None`` and decoded by :mod:`.text` (UTF-8, else
cp1252 / latin-1 with a warning, or the encoding given). SAS XPORT version 8 files (``LIBV8``) are read by
pyreadstat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .ibm import ibm_to_ieee
from .text import Warn, decode_fixed_width, decode_text, is_utf8, utf8_distinct
from .xpt import _BANG, _HEAD, NAMESTR, RECORD, SAS_EPOCH

# SAS formats that mark a numeric as a date (days since 1960) or a datetime (seconds since 1960): pyreadstat's lists.
DATE_FORMATS = frozenset(
    "WEEKDATE MMDDYY DDMMYY YYMMDD DATE DDMMYYB DDMMYYC DDMMYYD DDMMYYN DDMMYYP DDMMYYS MMDDYYB MMDDYYC MMDDYYD "
    "MMDDYYN MMDDYYP MMDDYYS WEEKDATX DTDATE IS8601DA E8601DA B8601DA YYMMDDB YYMMDDD YYMMDDN YYMMDDP YYMMDDS".split()
)
DATETIME_FORMATS = frozenset("DATETIME E8601DT DATEAMPM MDYAMPM IS8601DT B8601DT B8601DN".split())


@dataclass
class XptLayout:
    """What the headers of a verified XPT v5 file say."""

    name: bytes
    label: bytes
    namestr: np.ndarray  # NAMESTR records
    data_start: int  # offset of the first observation
    rows: int  # observations
    row_len: int


def _refuse(path, message: str) -> InputError:
    return InputError(f"{message}; the file is damaged or not SAS XPORT v5", file=path)


def verify_xpt(buf: np.ndarray, path) -> XptLayout:
    """Check the headers, the NAMESTR records and the file length of an XPT v5 file; return its layout."""
    size = buf.size

    def rec(i: int, offset: int = 0) -> bytes:
        start = offset + i * RECORD
        return buf[start : start + RECORD].tobytes()

    def expect(i: int, name: bytes, numbers: bytes = rb"0{30}", offset: int = 0) -> bytes:
        r = rec(i, offset)
        at = offset + i * RECORD
        if not r.startswith(_HEAD + name.ljust(8) + _BANG):
            found = r[20:28].decode("latin-1").strip() if r.startswith(_HEAD) else None
            what = f"the {found} header" if found else "no header record"
            raise _refuse(path, f"header record at byte {at}: expected the {name.decode()} header, found {what}")
        if not re.fullmatch(numbers, r[48:78]):
            raise _refuse(path, f"header record at byte {at}: the {name.decode()} header holds {r[48:78]!r}")
        return r

    if size < 8 * RECORD:
        raise _refuse(path, f"file of {size} bytes is shorter than the XPT headers (640 bytes)")
    expect(0, b"LIBRARY")
    if not rec(1).startswith(b"SAS     SAS     SASLIB  "):
        raise _refuse(path, "the first real header record does not start with 'SAS     SAS     SASLIB'")
    member = expect(3, b"MEMBER", rb"0{15}001600000000(140|136)")
    expect(4, b"DSCRPTR")
    descriptor = rec(5)
    if not (descriptor.startswith(b"SAS     ") and descriptor[16:24] == b"SASDATA "):
        raise _refuse(path, "the member header record does not start with 'SAS     <name>SASDATA'")
    namestr_header = expect(7, b"NAMESTR", rb"0{5}\d{5}0{20}")
    nvars, namestr_len = int(namestr_header[53:58]), int(member[74:78])
    start = 8 * RECORD
    block = nvars * namestr_len
    obs_at = start + block + (-block % RECORD)
    if obs_at + RECORD > size or rec(0, obs_at)[:78] != _HEAD + b"OBS     " + _BANG + b"0" * 30:
        found = bytes(buf[start:]).find(_HEAD + b"OBS     " + _BANG)
        actual = (
            f"but the OBS header follows {(found - 0) // namestr_len} of them" if found >= 0 else "but no OBS header"
        )
        raise _refuse(path, f"the NAMESTR header says {nvars} variable(s) {actual}")
    raw = buf[start : start + block].reshape(nvars, namestr_len)
    if namestr_len == 136:
        raw = np.hstack([raw, np.zeros((nvars, 4), dtype=np.uint8)])
    ns = np.ascontiguousarray(raw).view(NAMESTR).reshape(nvars)
    _verify_namestrs(ns, path)
    row_len = int(ns["nlng"].astype(np.int64).sum())
    data_start = obs_at + RECORD
    rows = _count_rows(buf, data_start, row_len, path)
    return XptLayout(descriptor[8:16], rec(6)[32:72], ns, data_start, rows, row_len)


def _verify_namestrs(ns: np.ndarray, path) -> None:
    ntype: np.ndarray = ns["ntype"].astype(np.int64)
    nlng: np.ndarray = ns["nlng"].astype(np.int64)
    pos = np.concatenate([[0], np.cumsum(nlng)[:-1]]) if len(ns) else np.zeros(0, np.int64)
    bad = (
        ~np.isin(ntype, (1, 2))
        | (nlng < 1)
        | ((ntype == 1) & ((nlng < 2) | (nlng > 8)))
        | (ns["npos"].astype(np.int64) != pos)
        | (ns["nvar0"].astype(np.int64) != np.arange(1, len(ns) + 1))
    )
    if bad.any():
        i = int(np.argmax(bad))
        r = ns[i]
        name = bytes(r["nname"]).decode("latin-1").strip()
        raise _refuse(
            path,
            f"NAMESTR record {i + 1} ({name}) is inconsistent: type {int(r['ntype'])}, length {int(r['nlng'])}, "
            f"position {int(r['npos'])} (expected {int(pos[i])}), number {int(r['nvar0'])}",
        )


def _count_rows(buf: np.ndarray, data_start: int, row_len: int, path) -> int:
    """Observations in the data area: whole records, then fewer than 80 blank bytes of padding."""
    size = buf.size
    length = size - data_start
    if length % RECORD:
        raise _refuse(path, f"file length {size} is not a whole number of 80-byte records (truncated?)")
    data = buf[data_start:]
    records = data.reshape(-1, RECORD)
    maybe = np.flatnonzero(records[:, 0] == ord("H"))
    prefix = np.frombuffer(_HEAD + b"MEMBER  " + _BANG, dtype=np.uint8)
    if maybe.size and (records[maybe, : prefix.size] == prefix).all(axis=1).any():
        raise InputError("the file holds more than one dataset (XPT member); write one dataset per file", file=path)
    if row_len == 0:
        if (data != 32).any():
            raise _refuse(path, "data follow the OBS header of a dataset without variables")
        return 0
    rows, rest = divmod(length, row_len)
    tail = data[rows * row_len :]
    if rest >= RECORD or (tail != 32).any():
        raise _refuse(
            path,
            f"the last observation is cut short: {rest} of {row_len} bytes after {rows} whole observation(s) "
            f"(truncated?)",
        )
    while rows and length - (rows - 1) * row_len < RECORD and (data[(rows - 1) * row_len : rows * row_len] == 32).all():
        rows -= 1  # blank bytes inside the final 80-byte record are padding
    return rows


def read_xpt(
    path,
    *,
    encoding: str | None = None,
    warn: Warn | None = None,
    engine: str = "numpy",
    text_codes: dict | None = None,
) -> pd.DataFrame:
    """One XPT v5 dataset as a DataFrame (structure verified first; see the module docstring).

    ``encoding=None`` reads UTF-8 and falls back to cp1252 / latin-1 for text that is not UTF-8, telling ``warn``
    the file, variable and first row; an explicit ``encoding`` is the only one tried. ``engine="pyreadstat"``
    decodes with pyreadstat (the reference reader) after the same verification. ``text_codes``, a dict, receives
    for each text column decoded through its distinct values ``column -> (codes, uniques)``: int64 codes per row
    (-1 missing) into an object Series of the distinct ``str`` values, as :func:`cdisckit.dates.str_codes` gives
    them (the checks then need not factorise the column again).
    """
    path = Path(path)
    # mapped, not copied: the records are read once, column by column, and every value is copied out of them
    buf = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
    head = buf[:RECORD].tobytes()
    if head.startswith(_HEAD + b"LIBV8   " + _BANG):  # SAS XPORT version 8: pyreadstat reads it
        if buf.size % RECORD:
            raise _refuse(path, f"file length {buf.size} is not a whole number of 80-byte records (truncated?)")
        return _read_pyreadstat(path, encoding, warn)
    layout = verify_xpt(buf, path)
    if engine == "pyreadstat":
        return _read_pyreadstat(path, encoding, warn)
    if engine != "numpy":
        raise ValueError(f"engine must be 'numpy' or 'pyreadstat', not {engine!r}")
    n, row_len = layout.rows, layout.row_len
    data = buf[layout.data_start : layout.data_start + n * row_len]
    kw = {"file": path, "encoding": encoding, "warn": warn}
    names, labels, kinds = _variables(layout, path, kw)
    widths: np.ndarray = layout.namestr["nlng"].astype(np.int64)
    # one 2-D array per dtype, filled column by column: the frame is built on them without another copy
    blocks: dict[str, np.ndarray] = {
        kind: np.empty((kinds.count(kind), n), dtype=_BLOCK_DTYPES[kind]) for kind in dict.fromkeys(kinds)
    }
    placement: dict[str, list[int]] = {kind: [] for kind in blocks}
    for j, cells in enumerate(_column_cells(data, n, row_len, widths)):
        kind, name = kinds[j], names[j]
        out = blocks[kind][len(placement[kind])]
        placement[kind].append(j)
        if kind == "text":
            _decode_column(cells, out, name, kw, text_codes)
        else:
            fmt = bytes(layout.namestr[j]["nform"]).decode("latin-1").strip().upper()
            out[:] = _numeric(cells, fmt, path, name)
    df = _frame(blocks, placement, names, n)
    df.attrs["label"] = decode_text(layout.label, what="the dataset label", **kw)
    df.attrs["column_labels"] = labels
    return df


_BLOCK_DTYPES = {"text": object, "number": np.float64, "date": "datetime64[ns]"}


def _variables(layout: XptLayout, path, kw: dict) -> tuple[list[str], dict[str, str | None], list[str]]:
    """Names, labels and kinds (``text``, ``number``, ``date``: SAS date/datetime formats) of the variables."""
    names: list[str] = []
    labels: dict[str, str | None] = {}
    kinds: list[str] = []
    for r in layout.namestr:
        name = decode_text(bytes(r["nname"]), what="a variable name", **kw)
        label = decode_text(bytes(r["nlabel"]), what=f"the label of {name}", **kw)
        if name in labels:
            raise _refuse(path, f"variable {name} appears twice in the NAMESTR records")
        names.append(name)
        labels[name] = label or None
        fmt = bytes(r["nform"]).decode("latin-1").strip().upper()
        kinds.append("text" if int(r["ntype"]) == 2 else "date" if _date_kind(fmt) else "number")
    return names, labels, kinds


def _date_kind(fmt: str) -> str | None:
    return "date" if fmt in DATE_FORMATS else "datetime" if fmt in DATETIME_FORMATS else None


_GROUP_BYTES = 1 << 25  # variables are copied out in groups of about 32 MiB (all rows)


def _column_cells(data: np.ndarray, n: int, row_len: int, widths: np.ndarray):
    """Each variable's bytes as a C-contiguous (rows, width) uint8 array, in NAMESTR order (a generator);
    ``data`` holds the ``n`` observations of ``row_len`` bytes.

    Variables are taken in groups of about 32 MiB; for a group the observations are copied out in blocks of
    rows (about 1 MiB), every block once for all the group's variables, a value at a time (``V<width>`` items)
    rather than byte by byte."""
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64) if len(widths) else widths
    group: list[int] = []
    for j in range(len(widths) + 1):
        if j < len(widths) and (not group or int(widths[group].sum() + widths[j]) * n <= _GROUP_BYTES):
            group.append(j)
            continue
        yield from _copy_group(data, n, row_len, starts[group], widths[group])
        group = [j]


def _copy_group(data: np.ndarray, n: int, row_len: int, starts: np.ndarray, widths: np.ndarray) -> list[np.ndarray]:
    cells: list[np.ndarray] = [np.empty((n, int(w)), dtype=np.uint8) for w in widths]
    items: list[np.ndarray] = [c.view(f"V{int(w)}").reshape(n) for c, w in zip(cells, widths)]
    step = max(1, (1 << 20) // max(row_len, 1))
    for first in range(0, n, step):
        m = min(step, n - first)
        for out, a, w in zip(items, starts, widths):
            at = int(a) + first * row_len
            out[first : first + m] = np.ndarray((m,), dtype=f"V{int(w)}", buffer=data, offset=at, strides=(row_len,))
    return cells


def _decode_column(cells: np.ndarray, out: np.ndarray, name: str, kw: dict, text_codes: dict | None) -> None:
    """A text variable into ``out`` (object array of ``str`` / ``None``), its codes into ``text_codes``."""
    coded = utf8_distinct(cells) if is_utf8(kw["encoding"]) else None
    if coded is None:  # NUL bytes, text that is not UTF-8, or another encoding: the general decoder
        out[:] = decode_fixed_width(cells, variable=name, **kw)
        return
    table, codes = coded
    np.take(table, codes, out=out)  # code -1 (missing) takes the table's last entry, None
    if text_codes is not None:
        text_codes[name] = (codes, pd.Series(table[:-1], dtype=object))


def _frame(blocks: dict[str, np.ndarray], placement: dict[str, list[int]], names: list[str], n: int) -> pd.DataFrame:
    """The DataFrame of the per-dtype blocks (as the DataFrame constructor consolidates them), RangeIndex."""
    from pandas.api.internals import create_dataframe_from_blocks

    index = pd.RangeIndex(n)
    if not names:
        return pd.DataFrame({}, index=index)
    return create_dataframe_from_blocks(
        [(blocks[kind], np.asarray(placement[kind], dtype=np.intp)) for kind in blocks],
        index=index,
        columns=pd.Index(names),
    )


_US_PER_DAY = 86_400_000_000
_SAS_EPOCH_US = (SAS_EPOCH - pd.Timestamp("1970-01-01")).value // 1000
_LIMIT_SECONDS = 9.2e9  # datetime64[ns] holds about +-292 years around 1970


def _numeric(cells: np.ndarray, fmt: str, path, name: str) -> np.ndarray:
    """float64 values of IBM doubles of 2-8 bytes; SAS date/datetime formats as datetime64[ns] (as pyreadstat)."""
    n, width = cells.shape
    full = cells
    if width < 8:  # the leading bytes of a double: the rest are zero
        full = np.zeros((n, 8), dtype=np.uint8)
        full[:, :width] = cells
    values = ibm_to_ieee(np.ascontiguousarray(full).view(">u8").reshape(n).astype(np.uint64))
    kind = _date_kind(fmt)
    if kind is None:
        return values
    present = ~np.isnan(values)
    seconds = values * 86400 if kind == "date" else values
    out_of_range = present & ~(np.abs(seconds) < _LIMIT_SECONDS)
    if out_of_range.any():
        r = int(np.argmax(out_of_range))
        raise InputError(
            f"value {values[r]!r} with format {fmt} is outside the dates pandas can hold (1677-2262)",
            file=path,
            row=r + 1,
            column=name,
        )
    v = np.where(present, values, 0.0)
    if kind == "date":  # whole days, cut toward zero
        micros = np.trunc(v).astype(np.int64) * _US_PER_DAY
    else:  # days, whole seconds of the day, then microseconds rounded
        micros = (
            np.floor(v / 86400).astype(np.int64) * _US_PER_DAY
            + np.trunc(np.mod(v, 86400)).astype(np.int64) * 1_000_000
            + np.round(np.mod(v, 1.0) * 1e6).astype(np.int64)
        )
    out = ((micros + _SAS_EPOCH_US) * 1000).view("datetime64[ns]")
    out[~present] = np.datetime64("NaT")
    return out


def _read_pyreadstat(path: Path, encoding: str | None = None, warn: Warn | None = None) -> pd.DataFrame:
    """pyreadstat's reading, with DATE/DATETIME-formatted numerics as datetime64 (the reader used until now)."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_xport(str(path), encoding=encoding)
    except UnicodeDecodeError:
        if encoding is not None:
            raise
        df, meta = pyreadstat.read_xport(str(path), encoding="cp1252")
        if warn is not None:
            warn(f"{path}: text is not UTF-8; read as cp1252")
    for col, fmt in (meta.original_variable_types or {}).items():
        if fmt and fmt.upper().startswith(("DATE", "DATETIME")) and col in df:
            df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[ns]")
    df.attrs["label"] = meta.file_label or ""
    df.attrs["column_labels"] = dict(zip(meta.column_names, meta.column_labels))
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            s = df[col].astype(object)
            df[col] = s.where(~s.isin(["", " "]) & s.notna(), None)
    return df
