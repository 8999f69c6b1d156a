"""SAS XPORT v5 writer (pyreadstat) with labels from specs/, lengths from the data, and byte-identical output.

pyreadstat stamps the wall-clock time into the library and member headers; those stamps are replaced
by a fixed value so that the same datasets always give the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..standards import DatasetSpec

FIXED_STAMP = b"01JAN60:00:00:00"
_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
SAS_EPOCH = pd.Timestamp("1960-01-01")


def utf8_byte_lengths(series: pd.Series) -> pd.Series:
    """Length in UTF-8 bytes of each non-missing value (fast path when the whole column is ASCII).

    >>> utf8_byte_lengths(pd.Series(["abc", None, "na\u00efve"])).tolist()
    [3, 6]
    """
    text = series.dropna().astype(str)
    lengths = text.str.len()
    if not "".join(text.tolist()).isascii():
        wide = text.str.contains(r"[^\x00-\x7f]", regex=True)
        lengths[wide] = text[wide].str.encode("utf-8").str.len()
    return lengths.astype("int64")


def is_date_var(name: str) -> bool:
    """ADaM numeric dates end in DT (``ADT``, ``TRTSDT``); datetimes in DTM (``ASTDTM``)."""
    return name.endswith("DT") and not name.endswith("DTC")


def to_sas_numeric(series: pd.Series) -> tuple[pd.Series, str | None]:
    """Convert a datetime column to SAS days/seconds since 1960 and return the display format."""
    if pd.api.types.is_datetime64_any_dtype(series):
        s = pd.to_datetime(series)
        if (s.dropna() == s.dropna().dt.normalize()).all() and not series.name.endswith("DTM"):
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


def write_xpt(df: pd.DataFrame, path: Path, spec: DatasetSpec | None, *, name: str | None = None) -> Path:
    """Write one dataset as XPT v5; variable labels and the dataset label come from ``spec``.

    Raises :class:`InputError` naming the row and column of a value over 200 bytes.
    """
    path = Path(path)
    name = (name or path.stem).upper()
    data, formats = prepare_for_xpt(df.reset_index(drop=True))
    for col in data.columns:
        if data[col].dtype == object:
            nbytes = utf8_byte_lengths(data[col])
            too_long = np.flatnonzero(nbytes.to_numpy() > 200)
            if too_long.size:
                r = int(too_long[0])
                raise InputError(
                    f"value of {nbytes.iloc[r]} bytes exceeds the XPT v5 limit of 200",
                    file=f"{name}",
                    row=r + 1,
                    column=col,
                )
    labels = []
    for col in data.columns:
        v = spec.variable(col) if spec is not None else None
        labels.append(v.label[:40] if v is not None else col)
    label = spec.label[:40] if spec is not None else name
    import pyreadstat

    pyreadstat.write_xport(
        data,
        str(path),
        file_label=label,
        column_labels=labels,
        table_name=name,
        file_format_version=5,
        variable_format=formats or None,
    )
    _fix_timestamps(path)
    return path


def _fix_timestamps(path: Path) -> None:
    raw = path.read_bytes()
    cut = raw.find(_OBS_HEADER)
    head = _STAMP.sub(FIXED_STAMP, raw[:cut])
    path.write_bytes(head + raw[cut:])
