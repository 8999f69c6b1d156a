"""Reading raw EDC forms (CSV, or SAS datasets: .sas7bdat / .xpt) as text, with the checks the mapping relies on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisckit.errors import InputError

from .spec import check_columns_against_header

MAX_BYTES = 200


def read_form(study: dict, form: str, raw_dir: Path, *, columns_used: set[str] | None = None) -> pd.DataFrame:
    """One raw form as text columns (blank = ``""``), index 0..n-1.

    Checks: the file exists; it has the structural columns (subject, site, record) and every column the form
    declares in study.yaml (InputError); every column a mapping uses is in the header (SpecError for the YAML);
    no used value is longer than 200 bytes (InputError naming RECORDID and column).
    """
    info = study["forms"][form]
    path = Path(raw_dir) / info["file"]
    if not path.exists():
        raise InputError(f"raw form {form!r} not found", file=str(path))
    if path.suffix.lower() in (".sas7bdat", ".xpt"):
        df = read_sas_form(path)
    else:
        try:
            df = pd.read_csv(path, dtype="str", keep_default_na=False, na_filter=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(f"cannot read CSV: {exc}", file=str(path)) from None
    df.columns = [c.strip() for c in df.columns]
    required = [info["subject"]] + ([info["record"]] if info["record"] else []) + (info["columns"] or [])
    for c in required:
        if c not in df.columns:
            raise InputError(
                f"column {c!r} is missing from the form (header: {', '.join(df.columns)})",
                file=str(path),
                row=1,
                column=c,
            )
    check_columns_against_header(study, form, list(df.columns))
    check_value_bytes(df, file=str(path), record=info["record"], columns=columns_used)
    return df


def read_header(path: Path) -> list[str]:
    """The column names of a raw form, without reading its rows (CSV: the first line; SAS: the metadata).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "dm.csv"; _ = p.write_text("STUDY,PATNUM,IT.AGE\\n1,2,3\\n")
    >>> read_header(p)
    ['STUDY', 'PATNUM', 'IT.AGE']
    """
    import csv

    path = Path(path)
    if path.suffix.lower() in (".sas7bdat", ".xpt"):
        import pyreadstat

        reader = pyreadstat.read_sas7bdat if path.suffix.lower() == ".sas7bdat" else pyreadstat.read_xport
        try:
            _, meta = reader(str(path), metadataonly=True)
        except Exception as exc:
            raise InputError(f"cannot read SAS dataset: {exc}", file=str(path)) from None
        return [str(c).strip() for c in meta.column_names]
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            first = next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read CSV header: {exc}", file=str(path)) from None
    return [c.strip() for c in first]


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
