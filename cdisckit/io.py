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

from .csvfile import read_csv_text
from .errors import CdiscKitError, InputError

READABLE = (".xpt", ".csv", ".parquet", ".json")


def read_dataset(
    path: Path,
    *,
    encoding: str | None = None,
    warn: Callable[[str], None] | None = None,
    text_codes: dict | None = None,
) -> pd.DataFrame:
    """One dataset file (XPT, CSV, Parquet or Dataset-JSON) as a DataFrame; blank text becomes missing.

    XPT and Dataset-JSON files are verified before they are read (a truncated or damaged file is an
    :class:`InputError`). Their text is UTF-8 unless ``encoding`` says otherwise; without ``encoding``, text that
    is not UTF-8 is read as cp1252 (else latin-1) and ``warn`` is told the file, variable and row.
    ``text_codes`` (a dict) receives the codes of the text columns of an XPT file, as
    :func:`cdisckit.formats.xpt_read.read_xpt` gives them.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xpt":
            from .formats.xpt_read import read_xpt

            df = read_xpt(path, encoding=encoding, warn=warn, text_codes=text_codes)
        elif suffix == ".csv":
            df = _typed_csv(read_csv_text(path), path.stem.upper(), path)
        elif suffix == ".parquet":
            df = _typed_parquet(pd.read_parquet(path), path.stem.upper(), path)
        elif suffix == ".json":
            from .formats.datasetjson import read_dataset_json

            df = read_dataset_json(path, encoding=encoding, warn=warn)
        else:
            raise InputError(f"cannot read {suffix} files; expected one of {', '.join(READABLE)}", file=path)
    except CdiscKitError:
        raise
    except Exception as exc:  # unreadable file: say which one
        raise InputError(f"cannot read dataset: {exc}", file=path) from exc
    # read_xpt already gives blank (and all-NUL) text as None and never "" or " ": normalising again is a no-op
    return df if suffix == ".xpt" else normalise_missing(df)


def _spec_of(name: str):
    from .standards import dataset_spec

    try:
        return dataset_spec(name)
    except CdiscKitError:
        return None


def _strict(converted: pd.Series, text: pd.Series, path: Path, col: str, what: str, lines=None) -> pd.Series:
    """``converted``, or an InputError at the first non-blank ``text`` value it could not convert."""
    bad = text.notna() & converted.isna()
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError(
            f"{text.iloc[i]!r} is not {what}",
            file=path,
            line=int(lines[i]) if lines is not None else None,
            row=i + 1,
            column=col,
        )
    return converted


def _typed_csv(df: pd.DataFrame, name: str, path: Path) -> pd.DataFrame:
    """Types for a CSV dataset: the spec's Num variables numeric (``*DT``/``*DTM`` as dates), Char ones text;
    variables the spec does not know are numeric when every value is a number. A value the spec's type cannot
    hold (text in a Num variable, a *DT that is not a date) is an InputError with line, row and column."""
    spec = _spec_of(name)
    lines = df.attrs.pop("lines", None)
    for col in df.columns:
        v = spec.variable(col) if spec is not None else None
        text = df[col].where(df[col].str.strip() != "")
        if v is not None and v.type == "Char" or col.endswith("DTC"):
            continue
        if v is not None and (col.endswith("DT") or col.endswith("DTM")):
            dt = pd.to_datetime(text, errors="coerce", format="ISO8601")
            df[col] = _strict(dt, text, path, col, "an ISO 8601 date", lines).astype("datetime64[ns]")
            continue
        num = pd.to_numeric(text, errors="coerce")
        if v is not None:
            df[col] = _strict(num, text, path, col, f"a number ({col} is numeric)", lines)
        elif num.notna().sum() == text.notna().sum() and text.notna().any():
            df[col] = num
    return df


def _typed_parquet(df: pd.DataFrame, name: str, path: Path) -> pd.DataFrame:
    """A Parquet dataset whose Num variable was stored as text: converted, or an InputError at the first value
    that is not a number."""
    spec = _spec_of(name)
    for col in df.columns if spec is not None else []:
        v = spec.variable(col)
        s = df[col]
        if v is None or v.type != "Num" or not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        text = s.astype(object).where(s.notna() & s.astype(str).str.strip().ne(""))
        if col.endswith("DT") or col.endswith("DTM"):
            dt = pd.to_datetime(text, errors="coerce", format="ISO8601")
            df[col] = _strict(dt, text, path, col, "an ISO 8601 date").astype("datetime64[ns]")
        else:
            df[col] = _strict(pd.to_numeric(text, errors="coerce"), text, path, col, f"a number ({col} is numeric)")
    return df


def normalise_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Blank character values become missing (NaN), as SAS treats them."""
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            s = df[col].astype(object)
            df[col] = s.where(~s.isin(["", " "]) & s.notna(), None)
    return df


def read_folder(
    folder: Path,
    *,
    encoding: str | None = None,
    warn: Callable[[str], None] | None = None,
    text_codes: dict | None = None,
) -> dict[str, pd.DataFrame]:
    """All datasets in a folder keyed by upper-case name; one format per name (XPT preferred).

    ``encoding`` and ``warn`` as for :func:`read_dataset`. ``text_codes`` (a dict) receives, for each dataset
    name, the codes of its text columns (:func:`read_dataset`): hand them to
    :func:`cdisckit.checks.run_checks` with these datasets."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("folder not found", file=folder)
    found: dict[str, Path] = {}
    for ext in READABLE:
        for p in sorted(folder.glob(f"*{ext}")):
            if p.name.startswith("."):  # a staging leftover or hidden file is never a dataset
                continue
            if p.is_dir():
                raise InputError(f"is a folder, not a {ext} dataset file", file=p)
            found.setdefault(p.stem.upper(), p)
    if not found:
        raise InputError(f"no datasets ({', '.join(READABLE)}) in folder", file=folder)
    out = {}
    for name, p in sorted(found.items()):
        codes: dict = {}
        out[name] = read_dataset(p, encoding=encoding, warn=warn, text_codes=codes)
        if text_codes is not None:
            text_codes[name] = codes
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def usual_mode(path: Path, *, folder: bool) -> None:
    """Give a temporary file (0600) or folder (0700) the permissions a plain ``open``/``mkdir`` would have."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


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
    usual_mode(tmp, folder=True)
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
    usual_mode(Path(tmp), folder=False)
    try:
        yield Path(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
