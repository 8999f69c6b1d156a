"""Checks great-expectations cannot express; they run natively with both engines.

Labels vs spec, --DY whole and non-zero, partial-date order, XPT v5 names/labels/bytes/ASCII, and the
cross-dataset rules (USUBJID in DM/ADSL, TR->TU and RS->TR links, EX within RFXSTDTC..RFXENDTC,
PARAMCD <-> PARAM). Each check returns :class:`Hit` objects: rule, dataset, variable, failing rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisckit.dates import digits_after, iso_digits_by_value, partial_after

from ..standards import ADAMIG, SDTMIG, DatasetSpec
from .native import EMPTY, FrameCache
from .rules import XPT_NAME_REGEX

DATE_BOUNDS = (4, 7, 10, 16, 19)  # YYYY, YYYY-MM, YYYY-MM-DD, ...THH:MM, ...THH:MM:SS
MAX_LABEL = 40
MAX_BYTES = 200


@dataclass
class Hit:
    """A native rule failure: ``rows`` are 0-based positions; ``extra`` adds per-row example fields."""

    rule_id: str
    dataset: str
    variable: str | None
    rows: np.ndarray = field(default_factory=lambda: EMPTY)
    detail: str = ""
    columns: tuple[str, ...] = ()  # extra columns worth showing in examples
    extra: dict = field(default_factory=dict)  # field -> array aligned with rows


@dataclass
class Context:
    """Everything a native rule may look at."""

    datasets: dict[str, pd.DataFrame]  # RangeIndex frames
    specs: dict[str, DatasetSpec | None]
    standards: dict[str, str]
    caches: dict[str, FrameCache] = field(default_factory=dict)
    memo: dict[str, tuple] = field(default_factory=dict)  # iso_digits of columns, DM positions of rows
    submission: dict | None = None  # a submission folder: {"define": bool}; None at the pipeline's gate
    attrs: dict[str, dict] = field(default_factory=dict)  # name -> the frame's attrs, when kept out of the frame
    text_codes: dict[str, dict] = field(default_factory=dict)  # name -> the reader's text_codes of the frame

    def attrs_of(self, name: str) -> dict:
        """The attrs (``label``, ``column_labels``) of a dataset: kept in ``attrs``, else on the frame itself.

        The runner keeps them out of the frames: pandas deep-copies a frame's attrs into every column taken."""
        return self.attrs[name] if name in self.attrs else self.datasets[name].attrs

    def iso(self, name: str, col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Memoised :func:`iso_digits` of one text column (dates are compared by several rules)."""
        key = f"iso:{name}.{col}"
        if key not in self.memo:
            self.memo[key] = iso_digits_by_value(self.datasets[name][col], self.cache(name).text(col))
        return self.memo[key]

    def subject_positions(self, name: str) -> np.ndarray:
        """Per row of ``name``: the position of its subject's first DM record (-1: not in DM)."""
        key = f"dmpos:{name}"
        if key not in self.memo:
            first, subjects = self._dm_subjects()
            df = self.datasets[name]
            t = self.cache(name).text("USUBJID")
            if t is not None and not subjects.hasnans:  # the distinct ids looked up once; missing: not in DM
                codes, u = t
                pos = np.append(subjects.get_indexer(u), -1)[np.where(codes >= 0, codes, len(u))]
            else:
                pos = subjects.get_indexer(df["USUBJID"])
            self.memo[key] = (np.where(pos >= 0, first[np.maximum(pos, 0)], -1),)
        return self.memo[key][0]

    def _dm_subjects(self) -> tuple[np.ndarray, pd.Index]:
        """Positions of the first DM record of each USUBJID, and those USUBJIDs as an Index (its lookup table
        built once for all the datasets)."""
        if "dm:subjects" not in self.memo:
            dm = self.datasets["DM"]
            first = np.flatnonzero(~dm["USUBJID"].duplicated().to_numpy())
            self.memo["dm:subjects"] = (first, pd.Index(dm["USUBJID"].to_numpy()[first]))
        first, subjects = self.memo["dm:subjects"]
        return first, subjects

    def subject_iso(self, name: str, dm_col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`iso_digits` of DM.<dm_col> for each row of ``name`` (invalid where the subject is not in DM)."""
        v, f, n = self.iso("DM", dm_col)
        pos = self.subject_positions(name)
        take = np.maximum(pos, 0)
        return v[take] & (pos >= 0), f[take], n[take]

    def cache(self, name: str) -> FrameCache:
        """The (shared) factorisation cache of a dataset."""
        if name not in self.caches or self.caches[name].df is not self.datasets[name]:
            self.caches[name] = FrameCache(self.datasets[name], self.text_codes.get(name))
        return self.caches[name]


def _pos(mask) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool)).astype(np.int64)


def is_text(s: pd.Series) -> bool:
    """Character column (object or pandas string dtype)."""
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


# ---------------------------------------------------------------- partial dates
def _after(df: pd.DataFrame, start: str, end: str, ctx: Context | None = None, name: str = "") -> np.ndarray:
    """``start > end`` for ISO strings (partial-aware) or datetimes/numbers (both present)."""
    a, b = df[start], df[end]
    if is_text(a) and is_text(b):
        return digits_after(ctx.iso(name, start), ctx.iso(name, end)) if ctx is not None else partial_after(a, b)
    if (
        pd.api.types.is_datetime64_any_dtype(a)
        and pd.api.types.is_datetime64_any_dtype(b)
        or (pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b))
    ):
        return (a.notna() & b.notna() & (a > b)).to_numpy(dtype=bool)
    return np.zeros(len(a), dtype=bool)


DATE_PAIRS = [
    (r"(\w*)STDTC", "{}ENDTC"),
    (r"(\w*)STDTM", "{}ENDTM"),
    (r"(\w*)STDT", "{}ENDT"),
    (r"(\w*)SDTM", "{}EDTM"),
    (r"(\w*)SDT", "{}EDT"),
]


def date_pairs(columns) -> list[tuple[str, str]]:
    """(start, end) variable pairs of a dataset: --STDTC/--ENDTC, ASTDT/AENDT, TRTSDT/TRTEDT, ...

    >>> date_pairs(["AESTDTC", "AEENDTC", "TRTSDT", "TRTEDT", "RFSTDTC"])
    [('AESTDTC', 'AEENDTC'), ('TRTSDT', 'TRTEDT')]
    """
    cols = set(columns)
    out = []
    for col in columns:
        for pattern, end in DATE_PAIRS:
            m = re.fullmatch(pattern, col)
            if m and end.format(m.group(1)) in cols:
                out.append((col, end.format(m.group(1))))
                break
    return out


def check_date_order(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """Start <= end for every start/end pair (partial dates: at the shared precision)."""
    hits = []
    for start, end in date_pairs(df.columns):
        rows = _pos(_after(df, start, end, ctx, name))
        if len(rows):
            hits.append(Hit("DATE-ORDER", name, start, rows, f"{start} after {end} in {len(rows)} row(s)", (end,)))
    return hits


# ---------------------------------------------------------------- per dataset
def check_spec_presence(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """Warn when a dataset has no spec (its spec-driven rules could not run)."""
    if ctx.specs.get(name) is None:
        return [Hit("DATASET-NO-SPEC", name, None, detail=f"{name} is not in {ctx.standards[name]} specs/")]
    return []


def check_labels(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """Dataset and variable labels carried by the frame (``df.attrs``) match the spec."""
    spec = ctx.specs.get(name)
    if spec is None:
        return []
    hits = []
    attrs = ctx.attrs_of(name)
    if "label" in attrs and (attrs["label"] or "").strip() != spec.label:
        hits.append(Hit("DATASET-LABEL", name, None, detail=f"label {attrs['label']!r}, spec {spec.label!r}"))
    labels = attrs.get("column_labels") or {}
    for col in df.columns:
        v = spec.variable(col)
        if v is not None and col in labels and (labels[col] or "").strip() != v.label:
            hits.append(Hit("VAR-LABEL", name, col, detail=f"label {labels[col]!r}, spec {v.label!r}"))
    return hits


def check_study_days(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """--DY (and ADaM ADY/ASTDY/AENDY) whole numbers, never 0."""
    hits = []
    for col in df.columns:
        if (
            not (col.endswith("DY") and len(col) <= 8)
            or not pd.api.types.is_numeric_dtype(df[col])
            or pd.api.types.is_bool_dtype(df[col])
        ):
            continue
        x = df[col].to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isnan(x) & ((x == 0) | (np.floor(x) != x))
        if bad.any():
            zeros = int((x[bad] == 0).sum())
            hits.append(
                Hit(
                    "DY-INVALID",
                    name,
                    col,
                    _pos(bad),
                    f"{zeros} zero and {int(bad.sum()) - zeros} non-integer value(s)",
                )
            )
    return hits


def check_xpt_names(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """XPT v5: dataset and variable names, dataset and variable labels (spec and frame) <= 40."""
    hits = []
    if not re.fullmatch(XPT_NAME_REGEX, name):
        hits.append(Hit("XPT-DATASET-NAME", name, None, detail=f"dataset name {name!r}"))
    for col in df.columns:
        if not re.fullmatch(XPT_NAME_REGEX, str(col)):
            hits.append(Hit("XPT-VAR-NAME", name, str(col), detail=f"variable name {col!r}"))
    spec = ctx.specs.get(name)
    attrs = ctx.attrs_of(name)
    ds_labels = {attrs.get("label") or "", spec.label if spec else ""}
    long = sorted(lb for lb in ds_labels if len(lb) > MAX_LABEL)
    if long:
        hits.append(
            Hit("XPT-LABEL-LENGTH", name, None, detail=f"dataset label {long[0]!r} has {len(long[0])} characters")
        )
    frame_labels = attrs.get("column_labels") or {}
    for col in df.columns:
        v = spec.variable(col) if spec else None
        cands = [lb for lb in (v.label if v else "", frame_labels.get(col) or "") if len(lb) > MAX_LABEL]
        if cands:
            hits.append(Hit("XPT-LABEL-LENGTH", name, col, detail=f"label {cands[0]!r} has {len(cands[0])} characters"))
    return hits


def _first_non_ascii(u: pd.Series) -> pd.Series:
    return u.str.extract(r"([^\x00-\x7f])", expand=False)


def check_xpt_values(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """XPT v5: character values ASCII (row and offending character) and <= 200 bytes in UTF-8."""
    hits = []
    for col in df.columns:
        s = df[col]
        if not is_text(s):
            continue
        t = ctx.cache(name).text(col)
        if t is None:
            continue  # mixed-type object column: VAR-TYPE reports it
        codes, u = t
        nn = codes >= 0
        if not nn.any():
            continue
        codes = codes[nn]
        values = u.to_numpy(dtype=object)  # all str (FrameCache.text)
        ascii_u = np.fromiter(map(str.isascii, values), dtype=bool, count=len(values))
        nbytes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        cand = (nbytes > MAX_BYTES // 4) & ~ascii_u
        if cand.any():
            nbytes[cand] = u[cand].str.encode("utf-8").str.len().to_numpy(dtype=np.int64)
        rows_all = np.flatnonzero(nn)
        if not ascii_u.all():
            bad_u = ~ascii_u
            chars = pd.Series(None, index=u.index, dtype=object)
            chars[bad_u] = _first_non_ascii(u[bad_u])
            bad = bad_u[codes]
            rows = rows_all[bad]
            row_chars = chars.to_numpy()[codes[bad]]
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in pd.unique(row_chars)[:5])
            hits.append(
                Hit(
                    "XPT-ASCII",
                    name,
                    col,
                    rows,
                    f"non-ASCII character(s) {shown}",
                    extra={"character": [f"{c} (U+{ord(c):04X})" for c in row_chars]},
                )
            )
        too_long = nbytes > MAX_BYTES
        if too_long.any():
            bad = too_long[codes]
            hits.append(
                Hit(
                    "XPT-CHAR-BYTES",
                    name,
                    col,
                    rows_all[bad],
                    f"up to {int(nbytes[too_long].max())} bytes",
                    extra={"bytes": nbytes[codes[bad]].tolist()},
                )
            )
    return hits


_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def check_stresn_stresc(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """FB3103: a filled --STRESN is the number written in --STRESC (SDTMIG 3.4 §4.5.1); leading zeros are numbers.

    Each distinct --STRESC is parsed once; a text --STRESC ("<5", "NEGATIVE") or a different number is reported.
    """
    code = name[:2]
    c, n = f"{code}STRESC", f"{code}STRESN"
    if ctx.standards.get(name) != SDTMIG or c not in df.columns or n not in df.columns:
        return []
    if not is_text(df[c]) or not pd.api.types.is_numeric_dtype(df[n]) or pd.api.types.is_bool_dtype(df[n]):
        return []
    stresn = df[n].to_numpy(dtype=float, na_value=np.nan)
    filled = ~np.isnan(stresn)
    t = ctx.cache(name).text(c)
    if not filled.any() or t is None:
        return []
    codes, u = t
    stripped = u.str.strip()
    value = pd.to_numeric(stripped.where(stripped.str.fullmatch(_NUMBER).fillna(False)), errors="coerce")
    per_row = np.where(codes >= 0, value.to_numpy(dtype=float, na_value=np.nan)[np.maximum(codes, 0)], np.nan)
    same = np.isclose(per_row, stresn, rtol=1e-9, atol=0.0)  # NaN (text or empty --STRESC) is never close
    rows = _pos(filled & ~same)
    if not len(rows):
        return []
    return [Hit("STRESN-STRESC", name, n, rows, f"{len(rows)} {n} value(s) are not the number in {c}", (c,))]


def check_paramcd_param(name: str, df: pd.DataFrame, ctx: Context) -> list[Hit]:
    """PARAMCD and PARAM one to one (rows of every PARAMCD/PARAM taking part in a conflict)."""
    if not {"PARAMCD", "PARAM"} <= set(df.columns):
        return []
    pairs = df[["PARAMCD", "PARAM"]].dropna().drop_duplicates()
    bad_cd = pairs["PARAMCD"][pairs["PARAMCD"].duplicated(keep=False)].unique()
    bad_p = pairs["PARAM"][pairs["PARAM"].duplicated(keep=False)].unique()
    mask = df["PARAMCD"].isin(bad_cd) | df["PARAM"].isin(bad_p)
    if not mask.any():
        return []
    what = [f"PARAMCD {c!r} has {pairs['PARAM'][pairs['PARAMCD'] == c].nunique()} PARAM values" for c in bad_cd[:3]]
    what += [f"PARAM {p!r} has {pairs['PARAMCD'][pairs['PARAM'] == p].nunique()} PARAMCD values" for p in bad_p[:3]]
    return [Hit("PARAMCD-PARAM", name, "PARAMCD", _pos(mask), "; ".join(what), ("PARAM",))]


PER_DATASET: list[Callable[[str, pd.DataFrame, Context], list[Hit]]] = [
    check_spec_presence,
    check_labels,
    check_study_days,
    check_date_order,
    check_xpt_names,
    check_xpt_values,
    check_stresn_stresc,
    check_paramcd_param,
]


# ---------------------------------------------------------------- across datasets
def _pair_index(a: pd.Series, b: pd.Series) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([a.astype(object).to_numpy(), b.astype(object).to_numpy()])


def check_subjects(ctx: Context) -> list[Hit]:
    """Every USUBJID of an SDTM dataset is in DM; of an ADaM dataset in ADSL."""
    hits = []
    for parent, std, rule in (("DM", SDTMIG, "USUBJID-NOT-IN-DM"), ("ADSL", ADAMIG, "USUBJID-NOT-IN-ADSL")):
        ref = ctx.datasets.get(parent)
        if ref is None or "USUBJID" not in ref.columns:
            continue
        known = ref["USUBJID"].dropna().unique()
        for name, df in ctx.datasets.items():
            if name == parent or ctx.standards[name] != std or "USUBJID" not in df.columns:
                continue
            s = df["USUBJID"]
            t = ctx.cache(name).text("USUBJID")
            if t is not None:  # on the distinct values, mapped back by the codes
                codes, u = t
                rows = _pos((codes >= 0) & ~np.append(u.isin(known).to_numpy(dtype=bool), True)[codes])
            else:
                rows = _pos(s.notna() & ~s.isin(known))
            if len(rows):
                ids = pd.unique(s.iloc[rows])
                hits.append(
                    Hit(
                        rule,
                        name,
                        "USUBJID",
                        rows,
                        f"{len(ids)} subject(s) not in {parent}: " + ", ".join(map(str, ids[:5])),
                    )
                )
    return hits


def _link(ctx: Context, child: str, ccol: str, parent: str, pcol: str, rule: str) -> list[Hit]:
    """Rows of ``child`` whose (USUBJID, ccol) pair does not exist as (USUBJID, pcol) in ``parent``."""
    c, p = ctx.datasets.get(child), ctx.datasets.get(parent)
    if c is None or p is None or not {"USUBJID", ccol} <= set(c.columns) or not {"USUBJID", pcol} <= set(p.columns):
        return []
    ts, tv = ctx.cache(child).text("USUBJID"), ctx.cache(child).text(ccol)
    ps, pv = ctx.cache(parent).text("USUBJID"), ctx.cache(parent).text(pcol)
    mask: np.ndarray
    if ts is None or tv is None or ((ts[0] < 0) & (tv[0] >= 0)).any():
        ref = _pair_index(p["USUBJID"], p[pcol])
        mask = c[ccol].notna().to_numpy() & ~_pair_index(c["USUBJID"], c[ccol]).isin(ref)
    elif ps is not None and pv is not None:  # all text: the pairs compared as integer codes
        mask = _pairs_not_in(ts, tv, ps, pv)
    else:
        # the distinct (USUBJID, value) pairs of the filled rows looked up once, mapped back by their codes
        (cs, us), (cv, uv) = ts, tv
        filled = np.flatnonzero(cv >= 0)
        pair, first = pd.factorize(cs[filled].astype(np.int64) * (len(uv) + 1) + cv[filled])
        pairs = pd.MultiIndex.from_arrays(
            [us.to_numpy(dtype=object)[first // (len(uv) + 1)], uv.to_numpy(dtype=object)[first % (len(uv) + 1)]]
        )
        mask = np.zeros(len(c), dtype=bool)
        mask[filled] = ~np.asarray(pairs.isin(_pair_index(p["USUBJID"], p[pcol])), dtype=bool)[pair]
    rows = _pos(mask)
    if not len(rows):
        return []
    return [Hit(rule, child, ccol, rows, f"{len(rows)} record(s) without a matching {parent}.{pcol}")]


def _pairs_not_in(ts: tuple, tv: tuple, ps: tuple, pv: tuple) -> np.ndarray:
    """Rows whose (USUBJID, value) pair, value filled, is no (USUBJID, value) pair of the parent; every column
    given as its (codes, str uniques) and the child's filled values having a USUBJID. The parent's pairs are
    written in the child's codes (its distinct values looked up once), then the pairs compared as integers."""
    (cs, us), (cv, uv), (qs, qu), (qv, qw) = ts, tv, ps, pv
    to_subject: np.ndarray = np.append(pd.Index(us.to_numpy(dtype=object)).get_indexer(qu.to_numpy(dtype=object)), -1)
    to_value: np.ndarray = np.append(pd.Index(uv.to_numpy(dtype=object)).get_indexer(qw.to_numpy(dtype=object)), -1)
    ks, kv = to_subject[qs], to_value[qv]  # code -1 (missing) takes the appended -1
    radix = len(uv) + 1
    known = (ks * radix + kv)[(ks >= 0) & (kv >= 0)]
    filled = np.flatnonzero(cv >= 0)
    mask: np.ndarray = np.zeros(len(cv), dtype=bool)
    mask[filled] = ~np.isin(cs[filled].astype(np.int64) * radix + cv[filled], known)
    return mask


def check_links(ctx: Context) -> list[Hit]:
    """TR.TRLNKID in TU.TULNKID and RS.RSLNKGRP in TR.TRLNKGRP, for the same subject."""
    return _link(ctx, "TR", "TRLNKID", "TU", "TULNKID", "TR-TU-LINK") + _link(
        ctx, "RS", "RSLNKGRP", "TR", "TRLNKGRP", "RS-TR-LINK"
    )


def check_exposure_window(ctx: Context) -> list[Hit]:
    """EXSTDTC and EXENDTC within the subject's DM RFXSTDTC..RFXENDTC (partial-date aware)."""
    ex, dm = ctx.datasets.get("EX"), ctx.datasets.get("DM")
    if ex is None or dm is None or "USUBJID" not in ex.columns or "USUBJID" not in dm.columns:
        return []
    first = ~dm["USUBJID"].duplicated().to_numpy()
    pos = pd.Index(dm["USUBJID"][first]).get_indexer(ex["USUBJID"])  # -1: subject not in DM
    dm_rows = np.flatnonzero(first)
    bounds = {}
    for rcol in ("RFXSTDTC", "RFXENDTC"):
        if rcol in dm.columns and is_text(dm[rcol]):
            v, f, n = ctx.iso("DM", rcol)
            take = np.where(pos >= 0, dm_rows[np.maximum(pos, 0)], 0)
            bounds[rcol] = (v[take] & (pos >= 0), f[take], n[take])
    hits = []
    for col in ("EXSTDTC", "EXENDTC"):
        if col not in ex.columns or not is_text(ex[col]):
            continue
        value = ctx.iso("EX", col)
        bad: np.ndarray = np.zeros(len(ex), dtype=bool)
        if "RFXSTDTC" in bounds:
            bad |= digits_after(bounds["RFXSTDTC"], value)
        if "RFXENDTC" in bounds:
            bad |= digits_after(value, bounds["RFXENDTC"])
        if bad.any():
            ref = {c: dm[c].to_numpy()[dm_rows[np.maximum(pos, 0)]][bad].tolist() for c in bounds}
            hits.append(
                Hit(
                    "EX-OUTSIDE-RFX",
                    "EX",
                    col,
                    _pos(bad),
                    f"{int(bad.sum())} record(s) outside RFXSTDTC..RFXENDTC",
                    extra=ref,
                )
            )
    return hits


ACROSS: list[Callable[[Context], list[Hit]]] = [check_subjects, check_links, check_exposure_window]


def run_native_rules(ctx: Context) -> list[Hit]:
    """All native-only rules over all datasets."""
    hits = []
    for name, df in ctx.datasets.items():
        for check in PER_DATASET:
            hits.extend(check(name, df, ctx))
    from .cross_rules import CROSS

    for across_check in [*ACROSS, *CROSS]:
        hits.extend(across_check(ctx))
    return hits
