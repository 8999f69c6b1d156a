"""SAS XPORT version 5 (.xpt): writer and reader, vectorised with numpy (layout: SAS TS-140, specs/xpt_v5_rules.md).

Writing (:func:`write_xpt`): labels from the standard's spec, character lengths from the data (longest value in
UTF-8 bytes, at least 1), numerics as 8-byte IBM doubles, datetime columns as SAS dates (``DATE9.``) or datetimes
(``DATETIME20.``). The bytes are those pyreadstat's ``write_xport`` (version 5) writes, with the header time stamps
pinned to ``01JAN60:00:00:00`` so that the same data always gives the same file; ``engine="pyreadstat"`` writes
through pyreadstat itself (the reference). Refused with an :class:`InputError`: a value over 200 bytes (row and
column named), a dataset or variable name that is not 1-8 letters, digits or ``_`` starting with a letter or
``_``, duplicate names, more than 9,999 variables. Labels are cut to 40 characters, then to 40 bytes.

Reading (:func:`read_xpt`, in :mod:`.xpt_read`): the structure is verified before any value is used, and a damaged
file is refused with an :class:`InputError` naming the file and what is wrong (bad header records, NAMESTR count,
a file length that is not header + whole records + blank padding to 80 bytes, a last record cut short). Numerics come back as float64
(IBM -> IEEE keeps 53 of 56 fraction bits: about 16 significant digits, exact for what the writer wrote), SAS
date and datetime formats as ``datetime64[ns]``, text with trailing blanks removed and blank as ``None``;
``df.attrs`` holds ``label`` and ``column_labels``. XPT v5 stores no observation count, so a file cut exactly at
a record boundary that is also an 80-byte boundary cannot be told from a shorter file, and trailing observations
that are entirely blank inside the final 80-byte padding cannot be told from padding (both as in every reader).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..standards import DatasetSpec
from .ibm import ieee_to_ibm
from .text import FixedWidthText, Warn, utf8_byte_lengths

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
_BLOCK_BYTES = 1 << 21  # rows are encoded and written in blocks of about 2 MiB (measured: less memory, no more time)
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
    numbers: np.ndarray | None = None  # numeric variables: float64 (a view of the column where it is float64)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of this variable as a (rows, width) uint8 array, encoded block by block."""
        if self.text is not None:
            return self.text.rows(start, stop)
        assert self.numbers is not None
        ibm: np.ndarray = ieee_to_ibm(self.numbers[start:stop]).astype(">u8")
        return ibm.view(np.uint8).reshape(stop - start, 8)


def _variables(df: pd.DataFrame, spec: DatasetSpec | None, name: str) -> list[_Var]:
    """One plan per column: label, width, format and the values to encode (same typing as :func:`prepare_for_xpt`)."""
    out = []
    for col in df.columns:
        v = spec.variable(col) if spec is not None else None
        label = v.label[:40] if v is not None else col
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            values, fmt = to_sas_numeric(s)
            if fmt is None:
                values = pd.to_numeric(s).astype("float64")
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            out.append(_Var(col, label, 8, fmt, numbers=numbers))
            continue
        text = FixedWidthText.of(s)
        if text.width > MAX_CHAR_BYTES:
            lengths = text.lengths()
            r = int(np.flatnonzero(lengths > MAX_CHAR_BYTES)[0])
            raise InputError(
                f"value of {int(lengths[r])} bytes exceeds the XPT v5 limit of {MAX_CHAR_BYTES}",
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


def read_xpt(path, *, encoding: str | None = None, warn: Warn | None = None, engine: str = "numpy") -> pd.DataFrame:
    """One XPT v5 dataset as a DataFrame, structure verified first: see :func:`cdisckit.formats.xpt_read.read_xpt`."""
    from .xpt_read import read_xpt as _read

    return _read(path, encoding=encoding, warn=warn, engine=engine)
