"""Reading raw EDC forms (CSV, or SAS datasets: .sas7bdat / .xpt) as text, with the checks the mapping relies on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cdisckit.csvfile import check_unique_records, read_csv_header, read_csv_text
from cdisckit.errors import InputError

from .spec import check_columns_against_header

MAX_BYTES = 200


def form_path(study: dict, form: str, raw_dir: Path) -> Path:
    """The raw file of ``form``; a missing raw folder or file, or a folder in its place, is an InputError."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        what = "is a file, not the raw export folder" if raw_dir.exists() else "raw export folder not found"
        raise InputError(what, file=str(raw_dir))
    path = raw_dir / study["forms"][form]["file"]
    if not path.exists():
        raise InputError(f"raw form {form!r} not found", file=str(path))
    if path.is_dir():
        raise InputError(f"raw form {form!r} is a folder, not a file", file=str(path))
    return path


def read_form(study: dict, form: str, raw_dir: Path, *, columns_used: set[str] | None = None) -> pd.DataFrame:
    """One raw form as text columns (blank = ``""``), index 0..n-1.

    Checks: the file exists and is a well-formed CSV (``cdisckit.csvfile``: field counts, quotes, encoding,
    duplicate or unnamed columns) or SAS dataset; it has the structural columns (subject, record) and every column
    the form declares in study.yaml (InputError); record ids are unique and no row lacks a subject (InputError);
    every column a mapping uses is in the header (SpecError for the YAML); no used value is longer than 200 bytes
    (InputError naming RECORDID and column).
    """
    info = study["forms"][form]
    path = form_path(study, form, raw_dir)
    subject, record = info["subject"], info["record"]  # record None: the rows are numbered
    if path.suffix.lower() in (".sas7bdat", ".xpt"):
        df = read_sas_form(path)
        df.columns = [str(c).strip() for c in df.columns]
        lines = None
    else:
        df = read_csv_text(path, encoding=info.get("encoding"), record=record)
        lines = df.attrs.get("lines")
    check_form_header(study, form, list(df.columns), path)
    if lines is None and record:
        check_unique_records(df, record, path)
    blank = df[subject].str.strip().eq("").to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise InputError(
            "the subject is blank: every raw record must name its subject",
            file=str(path),
            line=int(lines[i]) if lines is not None else None,
            row=(df[record].iloc[i].strip() if record else "") or i + 1,
            column=subject,
        )
    check_value_bytes(df, file=str(path), record=record, columns=columns_used)
    df.attrs.pop("lines", None)
    return df


def check_form_header(study: dict, form: str, header: list[str], path: Path) -> None:
    """The structural columns and the columns declared for ``form`` are in ``header`` (InputError), and every
    column a mapping uses is (SpecError)."""
    info = study["forms"][form]
    for c in [info["subject"]] + ([info["record"]] if info["record"] else []) + (info["columns"] or []):
        if c not in header:
            raise InputError(
                f"column {c!r} is missing from the form (header: {', '.join(header)})",
                file=str(path),
                line=1,
                column=c,
            )
    check_columns_against_header(study, form, header)


def forms_read(study: dict) -> list[str]:
    """The forms a study's mapping reads: source blocks, joins and the visit calendar."""
    names = set((study.get("visits") or {}).get("forms") or {})
    for spec in study["domains"].values():
        for block in spec.get("sources") or []:
            names.add(block["form"])
            names.update(j["form"] for j in block.get("join") or [])
        names.update(r[0] for r in spec.get("_refs") or [])
    return [f for f in study["forms"] if f in names]


def check_forms(study: dict, raw_dir: Path) -> None:
    """Before anything is mapped or written: every form the mapping reads exists, is readable and has the
    columns it needs (its header only is read)."""
    for form in forms_read(study):
        path = form_path(study, form, raw_dir)
        if path.suffix.lower() in (".sas7bdat", ".xpt"):
            header = read_sas_header(path)
        else:
            header = read_csv_header(path, encoding=study["forms"][form].get("encoding"))
        check_form_header(study, form, header, path)


def read_sas_header(path: Path) -> list[str]:
    import pyreadstat

    reader = pyreadstat.read_sas7bdat if path.suffix.lower() == ".sas7bdat" else pyreadstat.read_xport
    try:
        _, meta = reader(str(path), metadataonly=True)
    except Exception as exc:  # unreadable export: name the file
        raise InputError(f"cannot read SAS dataset: {exc}", file=str(path)) from None
    return [str(c).strip() for c in meta.column_names]


def read_sas_form(path: Path) -> pd.DataFrame:
    """A SAS dataset export (.sas7bdat or .xpt, via pyreadstat) as the text a CSV export would hold.

    Whole numbers lose their ``.0``, SAS dates become ISO 8601 (``2025-03-07``), missing becomes ``""``.
    """
    import pyreadstat

    reader = pyreadstat.read_sas7bdat if path.suffix.lower() == ".sas7bdat" else pyreadstat.read_xport
    try:
        df, _ = reader(str(path), dates_as_pandas_datetime=True)
    except Exception as exc:  # unreadable export: name the file
        raise InputError(f"cannot read SAS dataset: {exc}", file=str(path)) from None
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_numeric_dtype(s):
            whole = s.notna() & (s == s.round())
            text = s.astype(object).where(~whole, s.where(whole).astype("Int64").astype(str)).astype(str)
        else:
            text = s.astype(object).where(s.notna(), "").astype(str)
        out[col] = text.where(s.notna(), "")
    return pd.DataFrame(out, index=df.index).astype(object)


def check_value_bytes(df: pd.DataFrame, *, file, record: str, columns=None, limit: int = MAX_BYTES):
    """InputError for the first value longer than ``limit`` bytes in UTF-8 (SAS XPT v5 cannot hold it).

    >>> check_value_bytes(pd.DataFrame({"RECORDID": ["1"], "X": ["é" * 101]}), file="x.csv", record="RECORDID")
    Traceback (most recent call last):
    ...
    cdisckit.errors.InputError: x.csv, row 1, column X: value is 202 bytes long; SDTM character values hold at most 200
    """
    for c in columns if columns is not None else df.columns:
        if c not in df.columns:
            continue
        s = df[c]
        long = s.str.len() > limit // 4
        if not long.any():
            continue
        nbytes = s[long].str.encode("utf-8").str.len()
        over = nbytes[nbytes > limit]
        if not over.empty:
            i = over.index[0]
            raise InputError(
                f"value is {int(over.iloc[0])} bytes long; SDTM character values hold at most {limit}",
                file=file,
                row=(df.at[i, record] if record else "") or i + 1,
                column=c,
            )
