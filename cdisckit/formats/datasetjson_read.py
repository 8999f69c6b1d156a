"""Reading Dataset-JSON 1.1 (and its NDJSON form) with the structure verified before any value is used.

Refused with an :class:`InputError` naming the file and what is wrong: text that is not JSON (a truncated file),
a missing required attribute (``datasetJSONCreationDateTime``, ``datasetJSONVersion``, ``itemGroupOID``,
``records``, ``name``, ``label``, ``columns``; per column ``itemOID``, ``name``, ``label``, ``dataType``), an unknown
``dataType``, duplicate column names, ``records`` differing from the rows present, a row that is not a list of one
value per column, and a value whose JSON type does not match its column (row and column named).

Types: ``string``/``URI``/``time`` and date/datetime text without ``targetDataType`` -> object with ``None``;
``integer``/``float``/``double``/``decimal`` -> float64; ``boolean`` -> object of ``True``/``False``/``None``;
``date``/``datetime`` with ``targetDataType: integer`` -> ``datetime64[ns]``. ``attrs`` carries ``label`` and
``column_labels`` as :func:`cdisckit.io.read_dataset` does for XPT.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .text import FALLBACK_ENCODINGS, Warn

REQUIRED = ("datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records", "name", "label", "columns")
REQUIRED_COLUMN = ("itemOID", "name", "label", "dataType")
DATA_TYPES = ("string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time", "URI")
_ALLOWED = {  # JSON value types per dataType (None = null)
    "string": (str,),
    "URI": (str,),
    "time": (str,),
    "date": (str,),
    "datetime": (str,),
    "integer": (int, float),  # a float must be a whole number
    "float": (int, float),
    "double": (int, float),
    "decimal": (str, int, float),
    "boolean": (bool,),
}


def _text(raw: bytes, path, encoding: str | None, warn: Warn | None) -> str:
    chosen = encoding or "utf-8"
    if raw.startswith(b"\xef\xbb\xbf") and chosen.replace("_", "-").lower() in ("utf-8", "utf8"):
        raw = raw[3:]
    try:
        return raw.decode(chosen)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        if encoding is not None:
            raise InputError(
                f"byte 0x{raw[exc.start]:02X} at byte {exc.start + 1} cannot be decoded as {chosen}",
                file=path,
                line=line,
            ) from None
        for fallback in FALLBACK_ENCODINGS:
            try:
                text = raw.decode(fallback)
            except UnicodeDecodeError:
                continue
            if warn is not None:
                warn(f"{path}, line {line}: text is not UTF-8 (byte 0x{raw[exc.start]:02X}); read as {fallback}")
            return text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _load(path: Path, encoding: str | None, warn: Warn | None) -> dict:
    text = _text(path.read_bytes(), path, encoding, warn)
    try:
        if path.suffix.lower() == ".ndjson":
            lines = [ln for ln in text.splitlines() if ln.strip()]
            if not lines:
                raise InputError("empty file; expected Dataset-JSON metadata on the first line", file=path)
            doc = json.loads(lines[0])
            if isinstance(doc, dict):
                doc["rows"] = [json.loads(ln) for ln in lines[1:]]
        else:
            doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (truncated?): {exc.msg}", file=path, line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise InputError("not a Dataset-JSON 1.1 file (the top level is not an object)", file=path)
    return doc


def verify_document(doc: dict, path) -> tuple[list[dict], list]:
    """Check the attributes, columns and rows of a parsed Dataset-JSON document; return (columns, rows)."""
    if "clinicalData" in doc or "referenceData" in doc:
        raise InputError("a Dataset-JSON 1.0 file; cdisckit reads Dataset-JSON 1.1", file=path)
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise InputError(f"not a Dataset-JSON 1.1 file: required attribute(s) {', '.join(missing)} missing", file=path)
    if not str(doc["datasetJSONVersion"]).startswith("1.1"):
        raise InputError(f"datasetJSONVersion {doc['datasetJSONVersion']!r}; cdisckit reads 1.1", file=path)
    columns = doc["columns"]
    if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
        raise InputError("'columns' is not a list of objects", file=path)
    for j, c in enumerate(columns):
        lacking = [k for k in REQUIRED_COLUMN if k not in c]
        if lacking:
            raise InputError(f"column {j + 1} lacks {', '.join(lacking)}", file=path, column=c.get("name"))
        if c["dataType"] not in DATA_TYPES:
            raise InputError(f"unknown dataType {c['dataType']!r}", file=path, column=c["name"])
    names = pd.Index([c["name"] for c in columns])
    if names.has_duplicates:
        raise InputError(f"column {names[names.duplicated()][0]} appears more than once", file=path)
    rows = doc.get("rows", [])
    records = doc["records"]
    if not isinstance(records, int) or isinstance(records, bool) or records < 0:
        raise InputError(f"'records' is {records!r}, not a count", file=path)
    if not isinstance(rows, list):
        raise InputError("'rows' is not a list", file=path)
    if records != len(rows):
        raise InputError(f"'records' says {records} but the file holds {len(rows)} row(s) (truncated?)", file=path)
    if rows and set(map(type, rows)) != {list}:
        r = next(i for i, row in enumerate(rows) if type(row) is not list)
        raise InputError("row is not a list of values", file=path, row=r + 1)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(lengths != len(columns))
    if wrong.size:
        r = int(wrong[0])
        raise InputError(f"row has {lengths[r]} value(s) for {len(columns)} column(s)", file=path, row=r + 1)
    return columns, rows


_INFERRED = {str: {"string"}, int: {"integer"}, float: {"floating"}, bool: {"boolean"}}


def _check_types(values: np.ndarray, column: dict, path) -> None:
    allowed = _ALLOWED[column["dataType"]]
    kinds = {"empty"}.union(*(_INFERRED[t] for t in allowed))
    if int in allowed and float in allowed:
        kinds.add("mixed-integer-float")
    if pd.api.types.infer_dtype(values, skipna=True) in kinds:  # one pass in C
        return
    found = set(map(type, values)) - {type(None)}
    if found - set(allowed):
        wanted = {str: "text", int: "an integer", float: "a number", bool: "true/false"}
        r = next(i for i, v in enumerate(values) if v is not None and type(v) not in allowed)
        raise InputError(
            f"{type(values[r]).__name__} value {values[r]!r} in a column of dataType {column['dataType']} "
            f"(expected {' or '.join(wanted[t] for t in allowed)})",
            file=path,
            row=r + 1,
            column=column["name"],
        )


def _series(values: np.ndarray, column: dict, path, n: int) -> pd.Series:
    dtype, target, name = column["dataType"], column.get("targetDataType"), column["name"]
    _check_types(values, column, path)
    if dtype == "integer" and float in set(map(type, values)):
        f = pd.Series(values, dtype="float64").to_numpy()
        bad = np.flatnonzero(~np.isnan(f) & (f != np.round(f)))
        if bad.size:
            r = int(bad[0])
            raise InputError(f"{values[r]!r} in a column of dataType integer", file=path, row=r + 1, column=name)
    if dtype in ("date", "datetime") and target == "integer":
        raw = pd.Series(values, dtype=object)
        parsed = pd.to_datetime(raw, format="ISO8601", errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy() & raw.notna().to_numpy())
        if bad.size:
            r = int(bad[0])
            raise InputError(f"{values[r]!r} is not an ISO 8601 {dtype}", file=path, row=r + 1, column=name)
        return parsed.astype("datetime64[ns]")
    if dtype in ("integer", "float", "double", "decimal") or target == "decimal":
        try:
            return pd.Series(values, dtype="float64") if n else pd.Series([], dtype="float64")
        except (TypeError, ValueError):
            r = next(i for i, v in enumerate(values) if v is not None and not _is_number(v))
            raise InputError(f"{values[r]!r} is not a number", file=path, row=r + 1, column=name) from None
    return pd.Series(values, dtype=object) if n else pd.Series([], dtype=object)


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def read_dataset_json(path, *, encoding: str | None = None, warn: Warn | None = None) -> pd.DataFrame:
    """A Dataset-JSON 1.1 file (or NDJSON, one row per line after the metadata line) as a DataFrame.

    ``encoding=None`` reads UTF-8 (a byte-order mark is allowed) and falls back to cp1252 / latin-1 with a
    warning naming file and line; an explicit ``encoding`` is the only one tried.
    """
    path = Path(path)
    doc = _load(path, encoding, warn)
    columns, rows = verify_document(doc, path)
    n = len(rows)
    cells = pd.DataFrame(rows, dtype=object) if rows and columns else None  # the rows as one object array, in C
    out = {}
    for j, c in enumerate(columns):
        values = cells[j].to_numpy() if cells is not None else np.empty(0, dtype=object)
        out[c["name"]] = _series(values, c, path, n)
    df = pd.DataFrame(out, columns=[c["name"] for c in columns], index=pd.RangeIndex(n))
    df.attrs["label"] = doc.get("label", "")
    df.attrs["column_labels"] = {c["name"]: c.get("label", "") for c in columns}
    return df
