"""CDISC Dataset-JSON 1.1 writer and reader, with byte-identical output for the same input.

Column metadata follows Dataset-JSON 1.1:

* character variables -> ``string`` with ``length`` (longest value in UTF-8 bytes, at least 1); SDTM ``--DTC``
  columns whose values are all complete ISO 8601 dates / datetimes are typed ``date`` / ``datetime`` (partial
  dates stay ``string``) and are read back unchanged as text;
* float64 columns holding only whole numbers (``--SEQ``, ``--DY``, ``AVAL`` of counts ...) -> ``integer``,
  other numerics -> ``double``; both read back as float64;
* ADaM ``datetime64`` columns -> ``date`` (``*DT``, all at midnight) or ``datetime`` (``*DTM``) with ISO 8601
  values, ``targetDataType: integer`` and ``displayFormat`` ``DATE9.`` / ``DATETIME20.`` (a SAS numeric date
  for the receiving system, as in the XPT files), read back as ``datetime64[ns]``.

Missing values are ``null``. The 8/40/200 limits of XPT v5 do not apply. Time stamps are never taken from the
clock: ``created`` / ``modified`` are parameters (default: ``SOURCE_DATE_EPOCH`` when set, else 1960-01-01,
the same fixed stamp the XPT writer uses).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError
from ..io import staged_file
from ..standards import DatasetSpec

DATASET_JSON_VERSION = "1.1.0"
FIXED_DATETIME = "1960-01-01T00:00:00"
NUMERIC_TYPES = ("integer", "float", "double", "decimal")
_FULL_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
_FULL_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?\Z")


def default_timestamp() -> str:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds convention) as ISO 8601, else 1960-01-01T00:00:00."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return FIXED_DATETIME


def iso_timestamp(value) -> str:
    """A datetime / Timestamp / ISO string as ``YYYY-MM-DDThh:mm:ss`` (no clock involved)."""
    if value is None:
        return default_timestamp()
    if isinstance(value, str):
        return value
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S")


# ---------------------------------------------------------------- typing shared with define.xml
def is_datetime_column(name: str, series: pd.Series) -> bool:
    """True when a datetime64 column is a datetime (``*DTM`` or any time part), False for a date."""
    s = series.dropna()
    return name.endswith("DTM") or not bool((s == s.dt.normalize()).all())


def whole_numbers(series: pd.Series) -> bool:
    """All non-missing values are whole numbers that fit an int64 (True for an all-missing column)."""
    v = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(v)) and np.all(v == np.round(v)) and np.all(np.abs(v) < 2**53))


_INTEGER_NAME = re.compile(r"(SEQ|DY|NUM|N|CNSR|GRPID|RNK)\Z")


def numeric_kind(name: str, series: pd.Series) -> str:
    """``integer`` or ``double`` for a numeric column, decided by the data (by the name when all missing)."""
    if series.notna().any():
        return "integer" if whole_numbers(series) else "double"
    return "integer" if _INTEGER_NAME.search(name) else "double"


def iso_text_kind(series: pd.Series) -> str:
    """``date`` / ``datetime`` when every value is a complete ISO 8601 date / datetime, else ``string``."""
    s = series.dropna().astype(str)
    if s.empty:
        return "string"
    if s.map(lambda v: bool(_FULL_DATE.match(v))).all():
        return "date"
    if s.map(lambda v: bool(_FULL_DATETIME.match(v))).all():
        return "datetime"
    return "string"


def _is_char(series: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    )


def char_length(series: pd.Series) -> int:
    """Longest value in UTF-8 bytes (at least 1)."""
    from .xpt import utf8_byte_lengths

    lengths = utf8_byte_lengths(series)
    return max(1, int(lengths.max())) if len(lengths) else 1


# ---------------------------------------------------------------- writer
def _label_of(col: str, spec: DatasetSpec | None, df: pd.DataFrame) -> str:
    v = spec.variable(col) if spec is not None else None
    if v is not None and v.label:
        return v.label
    return (df.attrs.get("column_labels") or {}).get(col) or col


def _column_and_values(df: pd.DataFrame, col: str, name: str, spec: DatasetSpec | None) -> tuple[dict, list]:
    s = df[col]
    meta: dict = {"itemOID": f"IT.{name}.{col}", "name": col, "label": _label_of(col, spec, df)}
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        if is_datetime_column(col, s):
            has_fraction = bool((s.dropna().dt.microsecond != 0).any() or (s.dropna().dt.nanosecond != 0).any())
            fmt = "%Y-%m-%dT%H:%M:%S.%f" if has_fraction else "%Y-%m-%dT%H:%M:%S"
            meta.update(dataType="datetime", targetDataType="integer", displayFormat="DATETIME20.")
        else:
            fmt = "%Y-%m-%d"
            meta.update(dataType="date", targetDataType="integer", displayFormat="DATE9.")
        values = [None if pd.isna(v) else v.strftime(fmt) for v in s]
        return meta, values
    if pd.api.types.is_bool_dtype(s):
        meta["dataType"] = "boolean"
        return meta, [None if pd.isna(v) else bool(v) for v in s]
    if pd.api.types.is_numeric_dtype(s):
        f = pd.to_numeric(s).astype("float64").to_numpy()
        bad = np.flatnonzero(np.isinf(f))
        if bad.size:
            raise InputError(
                "infinite value cannot be written to Dataset-JSON", file=name, row=int(bad[0]) + 1, column=col
            )
        kind = numeric_kind(col, s)
        meta["dataType"] = kind
        missing = np.isnan(f)
        arr = (np.where(missing, 0, f).astype(np.int64) if kind == "integer" else f).astype(object)
        arr[missing] = None
        return meta, arr.tolist()
    obj = s.astype(object)
    text = obj.where(obj.notna() & ~obj.isin(["", " "]), None)  # blank text is missing, as in XPT
    present = text.notna()
    text[present] = text[present].astype(str)
    values = text.tolist()
    kind = iso_text_kind(text) if col.endswith("DTC") else "string"
    meta["dataType"] = kind
    meta["length"] = char_length(text)
    return meta, values


def dataset_json_document(
    df: pd.DataFrame,
    spec: DatasetSpec | None,
    *,
    name: str,
    study_oid: str,
    metadata_version_oid: str = "MDV.1",
    define_ref: str | None = None,
    created=None,
    modified=None,
    originator: str | None = None,
) -> dict:
    """The Dataset-JSON 1.1 document (a dict in the order of the specification)."""
    df = df.reset_index(drop=True)
    name = name.upper()
    keys = [k for k in (spec.keys if spec is not None else ()) if k in df.columns]
    columns, data = [], []
    for col in df.columns:
        meta, values = _column_and_values(df, col, name, spec)
        if col in keys:
            meta["keySequence"] = keys.index(col) + 1
        columns.append(meta)
        data.append(values)
    created = iso_timestamp(created)
    doc: dict = {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{study_oid}.{name}",
        "dbLastModifiedDateTime": iso_timestamp(modified) if modified is not None else created,
    }
    if originator:
        doc["originator"] = originator
    doc["sourceSystem"] = {"name": "cdisckit", "version": __version__}
    doc["studyOID"] = study_oid
    doc["metaDataVersionOID"] = metadata_version_oid
    if define_ref:
        doc["metaDataRef"] = str(define_ref)
    label = spec.label if spec is not None and spec.label else (df.attrs.get("label") or name)
    doc.update(itemGroupOID=f"IG.{name}", records=len(df), name=name, label=label, columns=columns)
    doc["rows"] = [list(r) for r in zip(*data)] if data else [[] for _ in range(len(df))]
    return doc


def dumps_dataset_json(doc: dict) -> str:
    """Deterministic text: metadata indented, one row per line, UTF-8 without escapes."""
    head = {k: v for k, v in doc.items() if k != "rows"}
    text = json.dumps(head, ensure_ascii=False, indent=2, allow_nan=False)
    rows = doc.get("rows", [])
    if rows:
        body = ",\n".join(
            "    " + json.dumps(r, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for r in rows
        )
        rows_text = '"rows": [\n' + body + "\n  ]"
    else:
        rows_text = '"rows": []'
    return text[:-2] + ",\n  " + rows_text + "\n}\n"


def write_dataset_json(
    df: pd.DataFrame,
    spec: DatasetSpec | None,
    path,
    *,
    study_oid: str,
    metadata_version_oid: str = "MDV.1",
    define_ref: str | None = None,
    created=None,
    modified=None,
    originator: str | None = None,
    name: str | None = None,
) -> Path:
    """Write one dataset as Dataset-JSON 1.1 (temporary file, then move) and return the path.

    ``created`` / ``modified`` (datetime or ISO 8601 text) fill ``datasetJSONCreationDateTime`` and
    ``dbLastModifiedDateTime`` (``modified`` defaults to ``created``); neither is read from the clock.
    ``define_ref`` becomes ``metaDataRef`` (e.g. ``"define.xml"``).
    """
    path = Path(path)
    name = (name or (spec.name if spec is not None else path.stem)).upper()
    doc = dataset_json_document(
        df,
        spec,
        name=name,
        study_oid=study_oid,
        metadata_version_oid=metadata_version_oid,
        define_ref=define_ref,
        created=created,
        modified=modified,
        originator=originator,
    )
    text = dumps_dataset_json(doc)
    with staged_file(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


# ---------------------------------------------------------------- reader
def read_dataset_json(path) -> pd.DataFrame:
    """A Dataset-JSON 1.1 file (or NDJSON, one row per line after the metadata line) as a DataFrame.

    Strings -> object with ``None``; integer/float/double/decimal -> float64; date/datetime with
    ``targetDataType: integer`` -> ``datetime64[ns]`` (other ISO 8601 text stays text). ``attrs`` carries
    ``label`` and ``column_labels`` as :func:`cdisckit.io.read_dataset` does for XPT.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".ndjson":
            lines = [ln for ln in text.splitlines() if ln.strip()]
            doc = json.loads(lines[0])
            doc["rows"] = [json.loads(ln) for ln in lines[1:]]
        else:
            doc = json.loads(text)
    except (json.JSONDecodeError, IndexError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=path) from exc
    if not isinstance(doc, dict) or "columns" not in doc:
        raise InputError("not a Dataset-JSON 1.1 file (no 'columns')", file=path)
    columns = doc["columns"]
    rows = doc.get("rows") or []
    names = [c["name"] for c in columns]
    out = {}
    for j, c in enumerate(columns):
        raw = [r[j] if j < len(r) else None for r in rows]
        dtype = c.get("dataType", "string")
        target = c.get("targetDataType")
        try:
            if dtype in ("date", "datetime") and target == "integer":
                s = pd.to_datetime(pd.Series(raw, dtype=object), format="ISO8601")
                out[c["name"]] = s.astype("datetime64[ns]")
            elif dtype in NUMERIC_TYPES or target == "decimal":
                out[c["name"]] = pd.Series([np.nan if v is None else float(v) for v in raw], dtype="float64")
            else:
                out[c["name"]] = pd.Series(
                    [None if v is None else (v if isinstance(v, (str, bool)) else str(v)) for v in raw], dtype=object
                )
        except (TypeError, ValueError) as exc:
            raise InputError(f"value does not match dataType {dtype}: {exc}", file=path, column=c["name"]) from exc
    df = pd.DataFrame(out, columns=names, index=pd.RangeIndex(len(rows)))
    df.attrs["label"] = doc.get("label", "")
    df.attrs["column_labels"] = {c["name"]: c.get("label", "") for c in columns}
    return df
