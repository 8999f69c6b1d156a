"""Text columns as fixed-width bytes and back (XPT v5 character variables), vectorised with pyarrow and numpy.

Writing: a column becomes UTF-8, blank-padded to the longest value (at least 1 byte); missing values are blanks;
anything that is not text is written as ``str(value)``. Reading: trailing blanks are dropped, a blank value is
missing (``None``), and the bytes are decoded by the encoding policy of :func:`decode_fixed_width`.

Equal values share one Python ``str`` object in the columns read (a column of 100,000 ``"AE"`` holds one string).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_CHUNK_BYTES = 1 << 24  # rows are processed in blocks of about 16 MiB


def _arrow_text(series: pd.Series):
    """The column as a pyarrow string array, missing values null; values that are not text become ``str(v)``."""
    import pyarrow as pa

    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        s = s.astype(object).where(s.notna(), None)
        present = s.notna()
        s[present] = s[present].map(str)
    arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    return arr


def utf8_byte_lengths(series: pd.Series) -> pd.Series:
    """Length in UTF-8 bytes of each non-missing value (index kept).

    >>> utf8_byte_lengths(pd.Series(["abc", None, "na\u00efve"])).tolist()
    [3, 6]
    """
    import pyarrow.compute as pc

    present = series.notna().to_numpy()
    if not present.any():
        return pd.Series([], dtype="int64", index=series.index[:0])
    lengths = pc.binary_length(_arrow_text(series[present])).to_numpy(zero_copy_only=False)
    return pd.Series(lengths.astype("int64"), index=series.index[present])


@dataclass
class FixedWidthText:
    """A text column ready to be cut into fixed-width rows: UTF-8 values, missing as blanks.

    Only the width is computed for the whole column; ``values`` is the column's own string array where it is
    arrow-backed (no copy), and the padded bytes are made block by block in :meth:`rows`.
    """

    values: Any  # pyarrow string array, null = missing
    width: int  # longest value in bytes, at least 1

    @classmethod
    def of(cls, series: pd.Series) -> FixedWidthText:
        import pyarrow.compute as pc

        arr = _arrow_text(series)
        longest = pc.max(pc.binary_length(arr)).as_py() if len(arr) else None
        return cls(arr, max(1, int(longest or 0)))

    def lengths(self) -> np.ndarray:
        """Bytes per value (0 for missing values)."""
        import pyarrow.compute as pc

        return pc.binary_length(pc.fill_null(self.values, "")).to_numpy(zero_copy_only=False).astype(np.int64)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` as a (rows, width) uint8 array, blank-padded; bytes after a NUL are blanks."""
        import pyarrow as pa
        import pyarrow.compute as pc

        part = pc.ascii_rpad(pc.fill_null(self.values.slice(start, stop - start), ""), width=self.width, padding=" ")
        offsets_buf, data_buf = part.buffers()[1:3]
        offset_type = np.int64 if pa.types.is_large_string(part.type) else np.int32
        offsets = np.frombuffer(offsets_buf, dtype=offset_type)[part.offset : part.offset + len(part) + 1]
        data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]] if len(part) else np.empty(0, np.uint8)
        block = data.reshape(len(part), self.width)
        nul = block == 0
        if nul.any():  # C strings end at the first NUL: what follows is padding (as pyreadstat writes it)
            block = np.where(np.maximum.accumulate(nul, axis=1), np.uint8(32), block)
        return block


# ---------------------------------------------------------------- reading
Warn = Callable[[str], None]


def _stripped_lengths(block: np.ndarray) -> np.ndarray:
    """Bytes per row once trailing blanks/NULs are dropped and the value is cut at its first NUL."""
    n, w = block.shape
    if w == 0:
        return np.zeros(n, dtype=np.int64)
    kept = (block != 32) & (block != 0)
    rev = kept[:, ::-1]
    lengths = np.where(rev.any(axis=1), w - rev.argmax(axis=1), 0).astype(np.int64)
    nul = block == 0
    if nul.any():
        first = np.where(nul.any(axis=1), nul.argmax(axis=1), w)
        lengths = np.minimum(lengths, first)
    return lengths


def _compact(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated value bytes and int64 offsets of the rows of ``block``."""
    n, w = block.shape
    lengths = np.empty(n, dtype=np.int64)
    parts = []
    step = max(1, _CHUNK_BYTES // max(w, 1))
    for start in range(0, n, step):
        b = block[start : start + step]
        ln = _stripped_lengths(b)
        lengths[start : start + step] = ln
        parts.append(b[np.arange(w)[None, :] < ln[:, None]] if w else np.empty(0, np.uint8))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return (np.concatenate(parts) if parts else np.empty(0, np.uint8)), offsets


def _normal_name(encoding: str) -> str:
    return codecs.lookup(encoding).name


def is_utf8(encoding: str | None) -> bool:
    """Whether text in ``encoding`` is read as UTF-8 (``None``: the default policy, UTF-8 first)."""
    return encoding is None or _normal_name(encoding) == "utf-8"


def utf8_distinct(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(table, codes) of a fixed-width UTF-8 column without NUL bytes, else None: ``table`` holds the distinct
    right-trimmed values (object array of ``str``, then ``None``), ``codes`` each row's position in it (int64,
    -1 for a blank value). The values are found on the fixed-width bytes, then only the distinct ones are
    validated as UTF-8 and trimmed (the fast path of :func:`decode_fixed_width`, whose values it gives)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n, w = cells.shape
    if n == 0 or w == 0 or int(cells.min()) == 0:
        return None
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(w), n, [None, pa.py_buffer(cells)])
    encoded = pc.dictionary_encode(fixed)
    try:
        distinct = encoded.dictionary.cast(pa.string())  # validates UTF-8
    except pa.ArrowInvalid:
        return None
    values = pc.utf8_rtrim(distinct, characters=" ").to_numpy(zero_copy_only=False)
    codes = encoded.indices.to_numpy().astype(np.int64)
    blank = np.flatnonzero(values == "")  # at most one: the all-blank value
    if len(blank):
        k = int(blank[0])
        values = np.delete(values, k)
        codes = np.where(codes == k, -1, codes - (codes > k))
    table: np.ndarray = np.empty(len(values) + 1, dtype=object)
    table[:-1] = values
    table[-1] = None
    return table, codes


def decode_fixed_width(
    block: np.ndarray,
    *,
    file: object,
    variable: str,
    encoding: str | None = None,
    warn: Warn | None = None,
) -> np.ndarray:
    """Object array of ``str`` (``None`` for blank values) from a (rows, width) uint8 array.

    ``encoding=None``: UTF-8; a column that is not valid UTF-8 is decoded as cp1252, else latin-1, and ``warn``
    is told the file, variable and first row concerned. An explicit ``encoding`` is the only one tried: a byte
    it cannot decode is an :class:`InputError` naming file, variable, row and byte.

    >>> decode_fixed_width(np.frombuffer(b"AE  \\x92s      ", np.uint8).reshape(3, 4), file="x.xpt", variable="V",
    ...                    warn=print).tolist()
    x.xpt, row 2, column V: text is not UTF-8; read as cp1252
    ['AE', '\u2019s', None]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n, w = block.shape
    if n == 0 or w == 0:
        return np.full(n, None, dtype=object)
    contig = np.ascontiguousarray(block)
    coded = utf8_distinct(contig) if is_utf8(encoding) else None  # no NUL, valid UTF-8: by distinct values
    if coded is not None:
        distinct, codes = coded
        return distinct[codes]
    data, offsets_np = _compact(contig)
    valid = offsets_np[1:] > offsets_np[:-1]
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    binary = pa.Array.from_buffers(
        pa.large_binary(), n, [validity, pa.py_buffer(offsets_np), pa.py_buffer(data)], null_count=int(n - valid.sum())
    )
    encoded = pc.dictionary_encode(binary)
    uniques = encoded.dictionary.to_pylist()
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    chosen = encoding or "utf-8"
    decoded, failed = _decode_all(uniques, chosen)
    if failed and encoding is None:
        first_row = _first_row(indices, failed)
        for fallback in FALLBACK_ENCODINGS:
            decoded, still = _decode_all(uniques, fallback)
            if not still:
                if warn is not None:
                    warn(f"{file}, row {first_row + 1}, column {variable}: text is not UTF-8; read as {fallback}")
                failed = []
                break
    if failed:
        row = _first_row(indices, failed)
        k = int(indices[row])
        err = _decode_error(uniques[k], chosen)
        raise InputError(
            f"byte 0x{uniques[k][err.start]:02X} at byte {err.start + 1} of the value cannot be decoded as {chosen}",
            file=file,
            row=row + 1,
            column=variable,
        )
    table: np.ndarray = np.empty(len(decoded) + 1, dtype=object)
    table[:-1] = decoded
    table[-1] = None
    return table[indices]


def _decode_all(uniques: list, encoding: str) -> tuple[list, list[int]]:
    out, failed = [], []
    for k, raw in enumerate(uniques):
        try:
            out.append(raw.decode(encoding))
        except UnicodeDecodeError:
            out.append(None)
            failed.append(k)
    return out, failed


def _decode_error(raw: bytes, encoding: str) -> UnicodeDecodeError:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc
    raise AssertionError("value decodes")  # pragma: no cover


def _first_row(indices: np.ndarray, failed: list[int]) -> int:
    return int(np.argmax(np.isin(indices, failed)))


def decode_text(raw: bytes, *, file: object, what: str, encoding: str | None = None, warn: Warn | None = None) -> str:
    """One header text (a name or label), right-trimmed, decoded by the policy of :func:`decode_fixed_width`.

    >>> decode_text(b"Alzheimer\\x92s    ", file="ts.xpt", what="dataset label", warn=print)
    ts.xpt: dataset label is not UTF-8; read as cp1252
    'Alzheimer\u2019s'
    """
    raw = raw.split(b"\0", 1)[0].rstrip(b" ")
    chosen = encoding or "utf-8"
    try:
        return raw.decode(chosen)
    except UnicodeDecodeError as exc:
        if encoding is not None:
            raise InputError(f"{what}: byte 0x{raw[exc.start]:02X} cannot be decoded as {chosen}", file=file) from exc
    for fallback in FALLBACK_ENCODINGS:
        try:
            text = raw.decode(fallback)
        except UnicodeDecodeError:
            continue
        if warn is not None:
            warn(f"{file}: {what} is not UTF-8; read as {fallback}")
        return text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover
