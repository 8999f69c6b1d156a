"""SAS XPORT version 5 (.xpt): writer and reader, vectorised with numpy (layout: SAS TS-140, specs/xpt_v5_rules.md).

Writing (:func:`write_xpt`): labels from the standard's spec, character lengths from the data (longest value in
UTF-8 bytes, at least 1), numerics as 8-byte IBM doubles, datetime columns as SAS dates (``DATE9.``) or datetimes
(``DATETIME20.``). The bytes are those pyreadstat's ``write_xport`` (version 5) writes, with the header time stamps
pinned to ``01JAN60:00:00:00`` so that the same data always gives the same file; ``engine="pyreadstat"`` writes
through pyreadstat itself (the reference). Refused with an :class:`InputError`: a value over 200 bytes (row and
column named), a dataset or variable name that is not 1-8 letters, digits or ``_`` starting with a letter or
``_``, duplicate names, more than 9,999 variables. Labels are cut to 40 characters, then to 40 bytes.

Reading (:func:`read_xpt`): the structure is verified before any value is used, and a damaged file is refused with
an :class:`InputError` naming the file and what is wrong (bad header records, NAMESTR count, a file length that is
not header + whole records + blank padding to 80 bytes, a last record cut short). Numerics come back as float64
(IBM -> IEEE keeps 53 of 56 fraction bits: about 16 significant digits, exact for what the writer wrote), SAS
date and datetime formats as ``datetime64[ns]``, text with trailing blanks removed and blank as ``None``;
``df.attrs`` holds ``label`` and ``column_labels``. XPT v5 stores no observation count, so a file cut exactly at
a record boundary that is also an 80-byte boundary cannot be told from a shorter file, and trailing observations
that are entirely blank inside the final 80-byte padding cannot be told from padding (both as in every reader).
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..standards import DatasetSpec
from .ibm import ibm_to_ieee, ieee_to_ibm
from .text import FixedWidthText, Warn, decode_fixed_width, decode_text, utf8_byte_lengths

__all__ = ["write_xpt", "read_xpt", "utf8_byte_lengths", "is_date_var", "to_sas_numeric", "prepare_for_xpt"]

FIXED_STAMP = b"01JAN60:00:00:00"
SAS_EPOCH = pd.Timestamp("1960-01-01")
MAX_CHAR_BYTES = 200
MAX_VARIABLES = 9999
RECORD = 80
_HEAD = b"HEADER RECORD*******"
_BANG = b"HEADER RECORD!!!!!!!"
_STAMP_AT = ((144, 160), (160, 176), (464, 480), (480, 496))  # created/modified in the library and member headers
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,7}\Z")
_RESERVED = {"_N_", "_ERROR_", "_NUMERIC_", "_CHARACTER_", "_ALL_"}
_BLOCK_BYTES = 1 << 24
_NAMESTR_STRUCT = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")

NAMESTR = np.dtype(
    [
        ("ntype", ">i2"),
        ("nhfun", ">i2"),
        ("nlng", ">i2"),
        ("nvar0", ">i2"),
        ("nname", "V8"),
        ("nlabel", "V40"),
        ("nform", "V8"),
        ("nfl", ">i2"),
        ("nfd", ">i2"),
        ("nfj", ">i2"),
        ("nfill", "V2"),
        ("niform", "V8"),
        ("nifl", ">i2"),
        ("nifd", ">i2"),
        ("npos", ">i4"),
        ("rest", "V52"),
    ]
)

# SAS formats that mark a numeric as a date (days since 1960) or a datetime (seconds since 1960): pyreadstat's lists.
DATE_FORMATS = frozenset(
    "WEEKDATE MMDDYY DDMMYY YYMMDD DATE DDMMYYB DDMMYYC DDMMYYD DDMMYYN DDMMYYP DDMMYYS MMDDYYB MMDDYYC MMDDYYD "
    "MMDDYYN MMDDYYP MMDDYYS WEEKDATX DTDATE IS8601DA E8601DA B8601DA YYMMDDB YYMMDDD YYMMDDN YYMMDDP YYMMDDS".split()
)
DATETIME_FORMATS = frozenset("DATETIME E8601DT DATEAMPM MDYAMPM IS8601DT B8601DT B8601DN".split())


# ---------------------------------------------------------------- shared helpers (also used by the pyreadstat path)
def is_date_var(name: str) -> bool:
    """ADaM numeric dates end in DT (``ADT``, ``TRTSDT``); datetimes in DTM (``ASTDTM``)."""
    return name.endswith("DT") and not name.endswith("DTC")


def to_sas_numeric(series: pd.Series) -> tuple[pd.Series, str | None]:
    """Convert a datetime column to SAS days/seconds since 1960 and return the display format.

    >>> to_sas_numeric(pd.Series(pd.to_datetime(["2025-03-07", None]), name="TRTSDT"))[0].tolist()
    [23807.0, nan]
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        s = pd.to_datetime(series)
        if (s.dropna() == s.dropna().dt.normalize()).all() and not str(series.name).endswith("DTM"):
            return (s - SAS_EPOCH).dt.days.astype("float64"), "DATE9."
        return (s - SAS_EPOCH).dt.total_seconds().astype("float64"), "DATETIME20."
    return series, None


def prepare_for_xpt(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Character columns as Python str ('' for missing), numerics as float64, dates as SAS numerics."""
    out = {}
    formats: dict[str, str] = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            s, fmt = to_sas_numeric(s)
            assert fmt is not None  # a datetime column always gets a format
            formats[col] = fmt
            out[col] = s
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            out[col] = pd.to_numeric(s).astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), "").map(str).astype(object)
    return pd.DataFrame(out, index=df.index), formats


def _c_field(text: str, width: int) -> bytes:
    """``text`` as a C string in a blank-padded field: UTF-8, cut at a NUL, then at ``width`` bytes."""
    return text.encode("utf-8").split(b"\0", 1)[0][:width].ljust(width, b" ")


def _record(text: bytes) -> bytes:
    return text.ljust(RECORD, b" ")


def _header(name: bytes, *nums: int) -> bytes:
    nums = nums + (0,) * (6 - len(nums))
    return _record(_HEAD + name.ljust(8) + _BANG + b"".join(b"%05d" % n for n in nums))


def _pad(nbytes: int) -> bytes:
    return b" " * (-nbytes % RECORD)


# ---------------------------------------------------------------- writer
def validate_names(df: pd.DataFrame, name: str) -> None:
    """Dataset and variable names XPT v5 can hold, or an InputError naming the one that is wrong."""
    for what, value, column in [("dataset name", name, None)] + [("variable name", c, c) for c in df.columns]:
        text = str(value)
        if not isinstance(value, str) or not _NAME.match(text) or text.upper() in _RESERVED:
            reason = (
                "is longer than 8 characters"
                if len(text) > 8
                else "is not 1-8 letters, digits or _ (not first a digit)"
            )
            if text.upper() in _RESERVED:
                reason = "is a SAS reserved name"
            raise InputError(f"{what} {text!r} {reason}; XPT v5 cannot hold it", file=name, column=column)
    upper = pd.Index([str(c).upper() for c in df.columns])
    if upper.has_duplicates:
        dup = upper[upper.duplicated()][0]
        raise InputError(f"variable {dup} appears more than once (names are case-insensitive in SAS)", file=name)
    if len(df.columns) > MAX_VARIABLES:
        raise InputError(f"{len(df.columns)} variables; XPT v5 holds at most {MAX_VARIABLES}", file=name)


@dataclass
class _Var:
    name: str
    label: str
    width: int
    fmt: str | None  # "DATE9." / "DATETIME20." / None
    text: FixedWidthText | None = None  # character variables
    ibm: np.ndarray | None = None  # numeric variables: (rows, 8) big-endian IBM doubles

    def rows(self, start: int, stop: int) -> np.ndarray:
        if self.text is not None:
            return self.text.rows(start, stop)
        assert self.ibm is not None
        return self.ibm[start:stop]


def _variables(df: pd.DataFrame, spec: DatasetSpec | None, name: str) -> list[_Var]:
    """One plan per column: label, width, format and the encoded values (same typing as :func:`prepare_for_xpt`)."""
    out = []
    for col in df.columns:
        v = spec.variable(col) if spec is not None else None
        label = v.label[:40] if v is not None else col
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            values, fmt = to_sas_numeric(s)
            if fmt is None:
                values = pd.to_numeric(s).astype("float64")
            ibm: np.ndarray = ieee_to_ibm(values.to_numpy(dtype="float64", na_value=np.nan)).astype(">u8")
            out.append(_Var(col, label, 8, fmt, ibm=ibm.view(np.uint8).reshape(len(s), 8)))
            continue
        text = FixedWidthText.of(s)
        too_long = np.flatnonzero(text.lengths > MAX_CHAR_BYTES)
        if too_long.size:
            r = int(too_long[0])
            raise InputError(
                f"value of {int(text.lengths[r])} bytes exceeds the XPT v5 limit of {MAX_CHAR_BYTES}",
                file=name,
                row=r + 1,
                column=col,
            )
        out.append(_Var(col, label, text.width, None, text=text))
    return out


def _namestrs(variables: list[_Var]) -> bytes:
    """The NAMESTR records (140 bytes each, big-endian), blank-padded to whole 80-byte records."""
    out, pos = [], 0
    for i, v in enumerate(variables):
        char = v.text is not None
        m = re.fullmatch(r"([A-Z]+)(\d+)\.", v.fmt or "")
        form, width = (m.group(1).encode("ascii").ljust(8), int(m.group(2))) if m else (b" " * 8, 0)
        # type, hfun, length, varnum, name, label, format, width, decimals, justification (numerics right, as
        # pyreadstat), fill, informat (none, as pyreadstat 1.3 writes it), width, decimals, position, rest
        out.append(
            _NAMESTR_STRUCT.pack(
                2 if char else 1, 0, v.width, i + 1, _c_field(v.name, 8), _c_field(v.label, 40), form, width, 0,
                0 if char else 1, b"\0\0", b" " * 8, 0, 0, pos, b"\0" * 52,
            )
        )  # fmt: skip
        pos += v.width
    raw = b"".join(out)
    return raw + _pad(len(raw))


def xpt_header(name: str, label: str, variables: list[_Var]) -> bytes:
    """Library, member, descriptor and NAMESTR header records up to and including the OBS header."""
    table = _c_field(name, 8)
    return b"".join(
        [
            _header(b"LIBRARY"),
            _record(b"SAS     SAS     SASLIB  6.06    bsd4.2  " + b" " * 24 + FIXED_STAMP),
            _record(FIXED_STAMP),
            _header(b"MEMBER", 0, 0, 0, 160, 0, 140),
            _header(b"DSCRPTR"),
            _record(b"SAS     " + table + b"SASDATA 6.06    bsd4.2  " + b" " * 24 + FIXED_STAMP),
            _record(FIXED_STAMP + b" " * 16 + _c_field(label, 40) + b" " * 8),
            _header(b"NAMESTR", 0, len(variables)),
            _namestrs(variables),
            _header(b"OBS"),
        ]
    )


def write_xpt(
    df: pd.DataFrame, path: Path, spec: DatasetSpec | None, *, name: str | None = None, engine: str = "numpy"
) -> Path:
    """Write one dataset as XPT v5; variable labels and the dataset label come from ``spec``.

    Raises :class:`InputError` naming the row and column of a value over 200 bytes, or a name XPT v5 cannot hold.
    ``engine="pyreadstat"`` writes the same bytes through pyreadstat's ``write_xport``.

    >>> import tempfile
    >>> p = write_xpt(pd.DataFrame({"USUBJID": ["S-1", None], "AGE": [54.0, None]}),
    ...               Path(tempfile.mkdtemp()) / "dm.xpt", None)
    >>> p.stat().st_size, read_xpt(p)["USUBJID"].tolist()
    (1120, ['S-1', None])
    """
    from ..io import staged_file

    path = Path(path)
    name = (name or path.stem).upper()
    df = df.reset_index(drop=True)
    validate_names(df, name)
    if engine == "pyreadstat":
        with staged_file(path) as tmp:
            _write_pyreadstat(df, tmp, spec, name)
        return path
    if engine != "numpy":
        raise ValueError(f"engine must be 'numpy' or 'pyreadstat', not {engine!r}")
    variables = _variables(df, spec, name)
    label = spec.label[:40] if spec is not None else name
    row_len = sum(v.width for v in variables)
    n = len(df)
    with staged_file(path) as tmp, open(tmp, "wb") as f:
        f.write(xpt_header(name, label, variables))
        step = max(1, _BLOCK_BYTES // max(row_len, 1))
        for start in range(0, n if row_len else 0, step):
            stop = min(n, start + step)
            block: np.ndarray = np.empty((stop - start, row_len), dtype=np.uint8)
            pos = 0
            for v in variables:
                block[:, pos : pos + v.width] = v.rows(start, stop)
                pos += v.width
            f.write(block.data)
        f.write(_pad(n * row_len))
    return path


def _write_pyreadstat(df: pd.DataFrame, path: Path, spec: DatasetSpec | None, name: str) -> None:
    """The reference: pyreadstat ``write_xport`` (version 5), then the clock's time stamps replaced."""
    import pyreadstat

    data, formats = prepare_for_xpt(df)
    for col in data.columns:
        if data[col].dtype == object:
            nbytes = utf8_byte_lengths(data[col])
            too_long = np.flatnonzero(nbytes.to_numpy() > MAX_CHAR_BYTES)
            if too_long.size:
                r = int(too_long[0])
                raise InputError(
                    f"value of {nbytes.iloc[r]} bytes exceeds the XPT v5 limit of {MAX_CHAR_BYTES}",
                    file=name,
                    row=r + 1,
                    column=col,
                )
    labels = []
    for col in data.columns:
        v = spec.variable(col) if spec is not None else None
        labels.append(v.label[:40] if v is not None else col)
    pyreadstat.write_xport(
        data,
        str(path),
        file_label=spec.label[:40] if spec is not None else name,
        column_labels=labels,
        table_name=name,
        file_format_version=5,
        variable_format=formats or None,
    )
    with open(path, "r+b") as f:
        for start, _ in _STAMP_AT:
            f.seek(start)
            f.write(FIXED_STAMP)


# ---------------------------------------------------------------- reader
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


def read_xpt(path, *, encoding: str | None = None, warn: Warn | None = None, engine: str = "numpy") -> pd.DataFrame:
    """One XPT v5 dataset as a DataFrame (structure verified first; see the module docstring).

    ``encoding=None`` reads UTF-8 and falls back to cp1252 / latin-1 for text that is not UTF-8, telling ``warn``
    the file, variable and first row; an explicit ``encoding`` is the only one tried. ``engine="pyreadstat"``
    decodes with pyreadstat (the reference reader) after the same verification.
    """
    path = Path(path)
    buf = np.fromfile(path, dtype=np.uint8)
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
    records = buf[layout.data_start : layout.data_start + n * row_len].reshape(n, row_len)
    kw = {"file": path, "encoding": encoding, "warn": warn}
    columns: dict[str, np.ndarray] = {}
    labels: dict[str, str | None] = {}
    pos = 0
    for r in layout.namestr:
        width = int(r["nlng"])
        name = decode_text(bytes(r["nname"]), what="a variable name", **kw)
        label = decode_text(bytes(r["nlabel"]), what=f"the label of {name}", **kw)
        if name in columns:
            raise _refuse(path, f"variable {name} appears twice in the NAMESTR records")
        cells = records[:, pos : pos + width]
        pos += width
        if int(r["ntype"]) == 2:
            columns[name] = decode_fixed_width(cells, variable=name, **kw)
        else:
            fmt = bytes(r["nform"]).decode("latin-1").strip().upper()
            columns[name] = _numeric(cells, fmt, path, name)
        labels[name] = label or None
    index = pd.RangeIndex(n)
    df = pd.DataFrame({k: pd.Series(v, index=index, dtype=v.dtype) for k, v in columns.items()}, index=index)
    df.attrs["label"] = decode_text(layout.label, what="the dataset label", **kw)
    df.attrs["column_labels"] = labels
    return df


_US_PER_DAY = 86_400_000_000
_SAS_EPOCH_US = (SAS_EPOCH - pd.Timestamp("1970-01-01")).value // 1000
_LIMIT_SECONDS = 9.2e9  # datetime64[ns] holds about +-292 years around 1970


def _numeric(cells: np.ndarray, fmt: str, path, name: str) -> np.ndarray:
    """float64 values of IBM doubles of 2-8 bytes; SAS date/datetime formats as datetime64[ns] (as pyreadstat)."""
    n, width = cells.shape
    full = np.zeros((n, 8), dtype=np.uint8)
    full[:, :width] = cells
    values = ibm_to_ieee(full.view(">u8").reshape(n).astype(np.uint64))
    kind = "date" if fmt in DATE_FORMATS else "datetime" if fmt in DATETIME_FORMATS else None
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


def _read_pyreadstat(path: Path, encoding: str | None, warn: Warn | None = None) -> pd.DataFrame:
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


def same_bytes(a: Path, b: Path) -> bool:
    """True when two files hold the same bytes (for tests and benchmarks)."""
    return os.path.getsize(a) == os.path.getsize(b) and Path(a).read_bytes() == Path(b).read_bytes()
