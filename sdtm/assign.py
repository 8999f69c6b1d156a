"""Evaluate one YAML assignment (``source``, ``const``, ``date``, ``template``, ``concat``, ``calc``, ``cases``,
``decode`` + modifiers).

An assignment is evaluated column-wise over a whole frame; names resolve to raw columns first, then to
variables already assigned in the same block (or, in ``derived:``, to the domain's variables).

>>> import pandas as pd
>>> raw = pd.DataFrame({"SEX": ["1=Male", " female"], "RECORDID": ["1", "2"]})
>>> ctx = Context(file="dm.csv", rows=raw["RECORDID"], maps={"sex": {"values": {"M": ["1=Male"], "F": ["Female"]}}})
>>> evaluate({"source": "SEX", "map": "sex"}, raw, {}, ctx, "SEX").tolist()
['M', 'F']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisckit import conditions
from cdisckit.conditions import normalise_text, normalise_value
from cdisckit.dates import per_unique
from cdisckit.errors import InputError
from cdisckit.standards import DatasetSpec

from .ct import check_codelist, derive_ct_value, derive_decode, map_lookup
from .derive_dates import derive_iso8601
from .derive_timing import format_visitnum
from .spec_domain import PLACEHOLDER
from .transforms import (
    derive_calc,
    derive_concat,
    derive_extract,
    derive_pad,
    derive_split,
    derive_substring,
    parse_calc,
    round_half_up,
)


@dataclass
class Context:
    file: str | None = None
    rows: pd.Series | None = None  # RECORDID (or 1-based row) per frame row, for error messages
    maps: dict = field(default_factory=dict)
    dataset: DatasetSpec | None = None  # DatasetSpec of the target domain
    derive: Callable[[str, dict, dict], pd.Series] | None = None  # callable(name, spec, frame) for derived: section
    form_frame: pd.DataFrame | None = None  # the whole raw form (dates are converted once per form and column)
    form_rows: pd.Series | None = None
    date_cache: dict = field(default_factory=dict)
    _lookups: dict = field(default_factory=dict)
    formats: dict = field(default_factory=dict)  # raw column -> (date format, pivot) declared for the form
    codelists: dict = field(default_factory=dict)  # study codelists (name -> Codelist)
    src: pd.Series | None = None  # raw row (form_frame index) of each record, when records are not raw rows (long)

    def iso(self, date_col: str, time_col: str | None, raw, out, index, fmt=None, pivot=None) -> pd.Series:
        """ISO 8601 of a raw date (+ time) column in its declared format, cached per form and columns."""
        fmt, pivot = (fmt, pivot) if fmt else self.formats.get(date_col, ("auto", None))
        ff = self.form_frame
        if ff is None or date_col not in ff.columns or (time_col and time_col not in ff.columns):
            time = resolve(time_col, raw, out, index) if time_col else None
            return derive_iso8601(
                resolve(date_col, raw, out, index),
                time,
                file=self.file,
                column=date_col,
                rows=self.rows,
                time_column=time_col,
                fmt=fmt,
                pivot=pivot,
            )
        key = (self.file, date_col, time_col, fmt, pivot)
        if key not in self.date_cache:
            self.date_cache[key] = derive_iso8601(
                ff[date_col],
                ff[time_col] if time_col else None,
                file=self.file,
                column=date_col,
                rows=self.form_rows,
                time_column=time_col,
                fmt=fmt,
                pivot=pivot,
            )
        if self.src is not None:
            return self.date_cache[key].reindex(self.src.loc[index].to_numpy()).set_axis(index)
        return self.date_cache[key].reindex(index)

    def lookup(self, name_or_inline) -> tuple[dict, str, str | None]:
        if isinstance(name_or_inline, dict):
            return map_lookup(name_or_inline), "inline", None
        if name_or_inline not in self._lookups:
            m = self.maps[name_or_inline]
            self._lookups[name_or_inline] = map_lookup(m["values"])
        return self._lookups[name_or_inline], name_or_inline, self.maps[name_or_inline].get("codelist")

    def sub(self, mask) -> Context:
        return Context(
            self.file,
            None if self.rows is None else self.rows[mask],
            self.maps,
            self.dataset,
            self.derive,
            self.form_frame,
            self.form_rows,
            self.date_cache,
            self._lookups,
            self.formats,
            self.codelists,
            self.src,
        )


def resolve(name: str, raw: pd.DataFrame | None, out: dict, index) -> pd.Series:
    if raw is not None and name in raw.columns:
        return raw[name]
    if name in out:
        v = out[name]
        return v if isinstance(v, pd.Series) else pd.Series(v, index=index)
    raise KeyError(name)


def blank_to_missing(s: pd.Series) -> pd.Series:
    """Trim text; empty becomes missing (NaN)."""
    if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
        return s
    t = s.astype("str").str.strip()
    return t.where(s.notna() & t.ne(""))


def condition_mask(cond: dict, raw, out, index) -> pd.Series:
    """Rows meeting a condition of :mod:`cdisckit.conditions`; names are raw columns, then variables already mapped.

    >>> raw = pd.DataFrame({"A": ["Yes", " no", ""]})
    >>> condition_mask({"A": "YES"}, raw, {}, raw.index).tolist(), condition_mask({"A": None}, raw, {}, raw.index).tolist()
    ([True, False, False], [False, False, True])
    """
    return conditions.condition_mask(cond, lambda name: resolve(name, raw, out, index), index)


def evaluate(
    a, raw: pd.DataFrame | None, out: dict, ctx: Context, var: str, column_hint: str | None = None
) -> pd.Series:
    """Value of target ``var`` for every row of ``raw`` (or of the ``out`` frame when raw is None)."""
    index = raw.index if raw is not None else next(iter(out.values())).index
    if not isinstance(a, dict):
        return _const(a, index)
    if "cases" in a:
        return _cases(a["cases"], raw, out, ctx, var, index)
    if set(a) <= {"when"}:
        return pd.Series(np.nan, index=index, dtype="str")
    col = column_hint
    if "source" in a:
        cols = a["source"] if isinstance(a["source"], list) else [a["source"]]
        col = cols[0]
        s = blank_to_missing(resolve(cols[0], raw, out, index))
        for c in cols[1:]:
            s = s.fillna(blank_to_missing(resolve(c, raw, out, index)))
    elif "const" in a:
        s = _const(a["const"], index)
    elif "date" in a:
        col = a["date"]
        s = ctx.iso(a["date"], a.get("time"), raw, out, index, a.get("format"), a.get("pivot"))
    elif "template" in a:
        s = _template(str(a["template"]), raw, out, index)
    elif "concat" in a:
        s = derive_concat([resolve(c, raw, out, index) for c in a["concat"]], sep=str(a.get("sep", "")))
    elif "calc" in a:
        s = derive_calc(parse_calc(a["calc"]), lambda n: _numeric(resolve(n, raw, out, index), ctx, n, var), index)
    elif "decode" in a:
        codes = resolve(a["decode"], None, out, index)
        assert ctx.dataset is not None, "decode: needs the target dataset in the context"
        code_var, name_var = ctx.dataset.variable(a["decode"]), ctx.dataset.variable(var)
        assert code_var is not None and name_var is not None, "decode: variables of the target dataset"
        code_list, name_list = code_var.codelist, name_var.codelist
        assert code_list is not None and name_list is not None, "decode: both variables have a CT codelist"
        s = derive_decode(codes, code_list=code_list, name_list=name_list)
    elif "derive" in a:
        assert ctx.derive is not None, "derive: is only valid in a derived: section"
        s = ctx.derive(var, a, out)
    else:  # pragma: no cover - validated
        raise ValueError(a)
    return _modify(s, a, ctx, var, col)


def _const(value, index) -> pd.Series:
    if value is None:
        return pd.Series(np.nan, index=index, dtype="str")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Series(float(value), index=index)
    return pd.Series(str(value), index=index, dtype="str")


def _cases(cases, raw, out, ctx, var, index) -> pd.Series:
    result = pd.Series(np.nan, index=index, dtype=object)
    remaining = pd.Series(True, index=index)
    numeric = True
    for case in cases:
        mask = remaining & (condition_mask(case["when"], raw, out, index) if "when" in case else True)
        remaining &= ~mask
        if not mask.any():
            continue
        sub_raw = raw.loc[mask] if raw is not None else None
        sub_out = {k: (v.loc[mask] if isinstance(v, pd.Series) else v) for k, v in out.items()}
        body = {k: v for k, v in case.items() if k != "when"} if isinstance(case, dict) else case
        val = evaluate(body, sub_raw, sub_out, ctx.sub(mask), var) if body != {} else None
        if val is not None:
            numeric &= val.dtype.kind in "fi" or val.isna().all()
            result.loc[mask] = val.astype(object)
    if numeric and result.notna().any():
        return pd.to_numeric(result, errors="coerce").astype("float64")
    return result.astype("str").where(result.notna())


def _template(template: str, raw, out, index) -> pd.Series:
    parts = PLACEHOLDER.split(template)  # literal, name, literal, name, ...
    s = pd.Series(parts[0], index=index, dtype="str")
    for i, piece in enumerate(parts[1:]):
        if i % 2 == 0:
            v = resolve(piece, raw, out, index)
            v = format_visitnum(v) if v.dtype.kind in "fi" else blank_to_missing(v)
            s = s + v
        else:
            s = s + piece
    return s


def _clean(s: pd.Series, ops) -> pd.Series:
    ops = ops if isinstance(ops, list) else [ops]
    if s.isna().all():  # nothing to clean (and pandas' .str refuses an all-missing column)
        return s
    if isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) == "string":
        # each distinct text is cleaned once
        return per_unique(s, lambda u: _clean_ops(u.astype("str"), ops)).where(lambda t: t.notna() & t.ne(""))
    return _clean_ops(s, ops)


def _clean_ops(s: pd.Series, ops: list) -> pd.Series:
    for op in ops:
        if op == "strip":
            s = s.str.strip()
        elif op == "upper":
            s = s.str.upper()
        elif op == "lower":
            s = s.str.lower()
        elif op == "title":
            s = s.str.title()
        elif op == "collapse":
            s = s.str.split().str.join(" ")
        elif op == "ascii":
            s = derive_ascii_text(s)
    return s.where(s.ne(""))


# Typographic characters with an obvious ASCII spelling; accents are removed by NFKD decomposition.
_ASCII_PUNCT = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00b5": "u",
        "\u00d7": "x",
        "\u00a0": " ",
        "\u00df": "ss",
        "\u00e6": "ae",
        "\u00c6": "AE",
        "\u00f8": "o",
        "\u00d8": "O",
    }
)


def derive_ascii_text(s: pd.Series) -> pd.Series:
    """Transliterate text to ASCII for XPT v5: accents dropped, dashes and quotes spelled in ASCII.

    Characters with no ASCII spelling are kept, so the XPT-ASCII check still reports them.

    >>> derive_ascii_text(pd.Series(["na\u00efve \u2013 fever", "ok"])).tolist()
    ['naive - fever', 'ok']
    """
    out = s.str.translate(_ASCII_PUNCT).str.normalize("NFKD").str.replace("[\u0300-\u036f]", "", regex=True)
    return out.where(s.notna())


def _numeric(s: pd.Series, ctx: Context, column: str, var: str) -> pd.Series:
    """Numbers of a column used in arithmetic; non-blank text that is not a number is an InputError."""
    if s.dtype.kind in "fi":
        return s
    s = blank_to_missing(s)
    num = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & num.isna()
    if bad.any():
        i = bad[bad].index[0]
        raise InputError(
            f"{s.loc[i]!r} is not a number (needed to compute {var})",
            file=ctx.file,
            row=ctx.rows.loc[i] if ctx.rows is not None else i + 1,
            column=column,
        )
    return num.astype("float64")


def _text_ops(s: pd.Series, a: dict) -> pd.Series:
    """extract -> split -> substr -> pad (each missing-safe), in that order."""
    if s.dtype.kind in "fi":
        s = s.map(lambda v: f"{v:.12g}", na_action="ignore").astype(object)
    if "extract" in a:
        s = derive_extract(s, str(a["extract"]))
    if "split" in a:
        s = derive_split(s, sep=a["split"]["sep"], part=int(a["split"]["part"]))
    if "substr" in a:
        s = derive_substring(s, start=int(a["substr"]["start"]), length=a["substr"].get("length"))
    if "pad" in a:
        p = a["pad"]
        s = derive_pad(s, width=int(p["width"]), fill=str(p.get("fill", "0")), side=p.get("side", "left"))
    return s


def _modify(s: pd.Series, a: dict, ctx: Context, var: str, col: str | None) -> pd.Series:
    column = col or var
    if "clean" in a and s.dtype.kind not in "fi":
        s = _clean(s, a["clean"])
    if {"extract", "split", "substr", "pad"} & set(a):
        s = _text_ops(s, a)
    if "recode" in a:
        table = {normalise_value(k): (None if v is None else str(v)) for k, v in a["recode"].items()}
        keys = normalise_text(s)
        hit = keys.isin(list(table)) & s.notna()
        s = s.where(~hit, keys.map(table))
    if "map" in a:
        lookup, name, cl = ctx.lookup(a["map"])
        s = derive_ct_value(s, lookup=lookup, file=ctx.file, column=column, rows=ctx.rows, map_name=name)
    if a.get("numeric"):
        num = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            i = bad[bad].index[0]
            raise InputError(
                f"{s.loc[i]!r} is not a number (needed for {var})",
                file=ctx.file,
                row=ctx.rows.loc[i] if ctx.rows is not None else i + 1,
                column=column,
            )
        s = num.astype("float64")
    if "round" in a:
        s = round_half_up(s, int(a["round"]))
    if "codelist" in a:
        check_codelist(
            s,
            codelist_name=a["codelist"],
            file=ctx.file,
            column=column,
            rows=ctx.rows,
            what=var,
            study_codelists=ctx.codelists,
        )
    return s
