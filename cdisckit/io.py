"""Reading dataset folders and writing stage outputs atomically (temporary folder, then move).

A stage never leaves a half-written folder: everything goes into ``<out>/.<name>.tmp-*`` and is
renamed to ``<out>/<name>`` only when every file of the stage was written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import CdiscKitError, InputError

READABLE = (".xpt", ".csv", ".parquet", ".json")


def read_dataset(path: Path, *, encoding: str | None = None, warn: Callable[[str], None] | None = None) -> pd.DataFrame:
    """One dataset file (XPT, CSV, Parquet or Dataset-JSON) as a DataFrame; blank text becomes missing.

    XPT and Dataset-JSON files are verified before they are read (a truncated or damaged file is an
    :class:`InputError`). Their text is UTF-8 unless ``encoding`` says otherwise; without ``encoding``, text that
    is not UTF-8 is read as cp1252 (else latin-1) and ``warn`` is told the file, variable and row.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xpt":
            from .formats.xpt_read import read_xpt

            df = read_xpt(path, encoding=encoding, warn=warn)
        elif suffix == ".csv":
            df = _typed_csv(pd.read_csv(path, dtype=str, keep_default_na=False), path.stem.upper())
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        elif suffix == ".json":
            from .formats.datasetjson import read_dataset_json

            df = read_dataset_json(path, encoding=encoding, warn=warn)
        else:
            raise InputError(f"cannot read {suffix} files; expected one of {', '.join(READABLE)}", file=path)
    except CdiscKitError:
        raise
    except Exception as exc:  # unreadable file: say which one
        raise InputError(f"cannot read dataset: {exc}", file=path) from exc
    return normalise_missing(df)


def _typed_csv(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Types for a CSV dataset: the spec's Num variables numeric (``*DT``/``*DTM`` as dates), Char ones text;
    variables the spec does not know are numeric when every value is a number."""
    from .standards import dataset_spec

    try:
        spec = dataset_spec(name)
    except CdiscKitError:
        spec = None
    for col in df.columns:
        v = spec.variable(col) if spec is not None else None
        text = df[col].where(df[col] != "")
        if v is not None and v.type == "Char" or col.endswith("DTC"):
            continue
        if v is not None and (col.endswith("DT") or col.endswith("DTM")):
            df[col] = pd.to_datetime(text, errors="coerce").astype("datetime64[ns]")
            continue
        num = pd.to_numeric(text, errors="coerce")
        if v is not None or (num.notna().sum() == text.notna().sum() and text.notna().any()):
            df[col] = num
    return df


def normalise_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Blank character values become missing (NaN), as SAS treats them."""
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            s = df[col].astype(object)
            df[col] = s.where(~s.isin(["", " "]) & s.notna(), None)
    return df


def read_folder(
    folder: Path, *, encoding: str | None = None, warn: Callable[[str], None] | None = None
) -> dict[str, pd.DataFrame]:
    """All datasets in a folder keyed by upper-case name; one format per name (XPT preferred).

    ``encoding`` and ``warn`` as for :func:`read_dataset`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("folder not found", file=folder)
    found: dict[str, Path] = {}
    for ext in READABLE:
        for p in sorted(folder.glob(f"*{ext}")):
            found.setdefault(p.stem.upper(), p)
    if not found:
        raise InputError(f"no datasets ({', '.join(READABLE)}) in folder", file=folder)
    return {name: read_dataset(p, encoding=encoding, warn=warn) for name, p in sorted(found.items())}


@contextmanager
def staged_dir(out: Path, name: str):
    """Yield a temporary folder beside ``out/name``; on success replace ``out/name`` with it.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_dir(root, "sdtm") as tmp:
    ...     _ = (tmp / "dm.xpt").write_text("x")
    >>> sorted(p.name for p in (root / "sdtm").iterdir())
    ['dm.xpt']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=out))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = out / name
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=out))
        os.replace(final, old / name)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_file(path: Path):
    """Yield a temporary path beside ``path``; move it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
