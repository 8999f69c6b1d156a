"""Value transforms of the mapping language: cut text (``extract``, ``split``, ``substr``), ``pad``, ``concat``,
arithmetic (``calc``), ``round``, and SDTMIG standard results (``--STRESC/--STRESN/--STRESU`` from
``--ORRES/--ORRESU`` through the study's declared unit conversions). Vectorised over whole columns; missing in,
missing out. Arithmetic is a tiny expression grammar parsed here (numbers, names, ``+ - * /``, parentheses):
specs never run Python.

>>> patnum = pd.Series(["701-1015", "701-1023", None])
>>> derive_split(patnum, sep="-", part=1).tolist(), derive_extract(patnum, r"-(\\d+)$").tolist()
(['701', '701', nan], ['1015', '1023', nan])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pandas as pd

from cdisckit.errors import SpecError


def _text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna())


def _blank(s: pd.Series) -> pd.Series:
    return s.where(s.notna() & s.astype("str").ne(""))


def derive_extract(s: pd.Series, pattern: str) -> pd.Series:
    """The first capture group (or the whole match) of a regular expression searched in the text; no match = missing.

    >>> derive_extract(pd.Series(["Unscheduled 3.1", "Week 2"]), r"Unscheduled (\\d+\\.\\d+)").tolist()
    ['3.1', nan]
    """
    rx = re.compile(pattern)
    group = 1 if rx.groups else 0

    def one(v):
        m = rx.search(str(v))
        return m.group(group) if m else None

    return _blank(_text(s).map(one, na_action="ignore").astype(object))


def derive_split(s: pd.Series, *, sep: str, part: int) -> pd.Series:
    """Part ``part`` (1-based; negative counts from the end) of the text split at ``sep``; a missing part = missing.

    >>> derive_split(pd.Series(["701-1015", "x"]), sep="-", part=-1).tolist()
    ['1015', 'x']
    """
    pieces = _text(s).str.split(sep, regex=False)
    return _blank(pieces.str.get(part - 1 if part > 0 else part).astype(object))


def derive_substring(s: pd.Series, *, start: int, length: int | None = None) -> pd.Series:
    """``length`` characters from position ``start`` (1-based, as SAS SUBSTR); no length = to the end.

    >>> derive_substring(pd.Series(["701-1015"]), start=5, length=4).tolist()
    ['1015']
    """
    i = start - 1
    t = _text(s)
    return _blank(t.str.slice(i, None if length is None else i + length).astype(object))


def derive_pad(s: pd.Series, *, width: int, fill: str = "0", side: str = "left") -> pd.Series:
    """Pad text to ``width`` characters with ``fill`` on the ``left`` (default) or ``right``.

    >>> derive_pad(pd.Series(["7", "1015"]), width=3).tolist()
    ['007', '1015']
    """
    t = _text(s)
    return (t.str.rjust(width, fill) if side == "left" else t.str.ljust(width, fill)).astype(object)


def derive_concat(parts: list[pd.Series], *, sep: str = "") -> pd.Series:
    """Non-missing parts joined with ``sep`` (missing parts are skipped); all parts missing = missing.

    >>> derive_concat([pd.Series(["A", None]), pd.Series(["B", "C"])], sep=" ").tolist()
    ['A B', 'C']
    """
    cols = [_blank(_text(p).map(str, na_action="ignore")) for p in parts]
    out = cols[0]
    for p in cols[1:]:
        both = out.notna() & p.notna()
        out = out.where(out.notna(), p).where(~both, out.astype(object) + sep + p.astype(object))
    return out.astype(object)


def round_half_up(x: pd.Series, decimals: int) -> pd.Series:
    """Round halves away from zero, as SAS ROUND does (Python's round() rounds halves to even).

    >>> round_half_up(pd.Series([2.675, 0.125, -0.5, 36.055555]), 2).tolist()
    [2.68, 0.13, -0.5, 36.06]
    """
    f = 10.0**decimals
    v = pd.to_numeric(x, errors="coerce").astype("float64")
    return (np.sign(v) * np.floor(np.abs(v) * f + 0.5 + 1e-9) / f).astype("float64")


# ------------------------------------------------------------------ arithmetic
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op>[-+*/()]))")


def parse_calc(expr: str) -> tuple:
    """Parse an arithmetic expression into a small tree: ``("num", 2.54)``, ``("name", "IT.HEIGHT")``,
    ``("neg", t)``, ``(op, left, right)``. SpecError on a syntax error.

    >>> parse_calc("(IT.TEMP - 32) * 5 / 9")
    ('/', ('*', ('-', ('name', 'IT.TEMP'), ('num', 32.0)), ('num', 5.0)), ('num', 9.0))
    """
    tokens: list[tuple[str, str]] = []
    pos, text = 0, str(expr)
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise SpecError(f"calc: cannot read {text[pos:]!r} in {text!r} (numbers, names, + - * / and parentheses)")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    i = 0

    def peek():
        return tokens[i] if i < len(tokens) else (None, None)

    def take():
        nonlocal i
        i += 1
        return tokens[i - 1]

    def atom():
        kind, val = take() if i < len(tokens) else (None, None)
        if kind == "num":
            return ("num", float(val))
        if kind == "name":
            return ("name", val)
        if (kind, val) == ("op", "-"):
            return ("neg", atom())
        if (kind, val) == ("op", "("):
            t = expr_()
            if take() != ("op", ")"):
                raise SpecError(f"calc: missing ')' in {text!r}")
            return t
        raise SpecError(f"calc: expected a number, a name or '(' in {text!r}")

    def term():
        t = atom()
        while peek() in (("op", "*"), ("op", "/")):
            t = (take()[1], t, atom())
        return t

    def expr_():
        t = term()
        while peek() in (("op", "+"), ("op", "-")):
            t = (take()[1], t, term())
        return t

    try:
        tree = expr_()
    except IndexError:
        raise SpecError(f"calc: incomplete expression {text!r}") from None
    if i != len(tokens):
        raise SpecError(f"calc: unexpected {tokens[i][1]!r} in {text!r}")
    return tree


def calc_names(tree) -> list[str]:
    """Column / variable names an expression uses.

    >>> calc_names(parse_calc("A * 2 + B"))
    ['A', 'B']
    """
    if tree[0] == "name":
        return [tree[1]]
    if tree[0] == "num":
        return []
    return [n for t in tree[1:] for n in calc_names(t)]


def derive_calc(tree, get: Callable[[str], pd.Series], index: pd.Index) -> pd.Series:
    """Evaluate a parsed expression over columns; ``get(name)`` gives a numeric Series. Division by 0 = missing.

    >>> df = pd.DataFrame({"W": [154.0, None]})
    >>> derive_calc(parse_calc("W * 0.45359237"), lambda n: df[n], df.index).round(2).tolist()
    [69.85, nan]
    """
    kind = tree[0]
    if kind == "num":
        return pd.Series(tree[1], index=index, dtype="float64")
    if kind == "name":
        return pd.to_numeric(get(tree[1]), errors="coerce").astype("float64")
    if kind == "neg":
        return -derive_calc(tree[1], get, index)
    a, b = derive_calc(tree[1], get, index), derive_calc(tree[2], get, index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[kind]
    return out.replace([np.inf, -np.inf], np.nan)


# ------------------------------------------------------------------ standard results
def number(value) -> float:
    """A YAML number or a fraction written as text (``5/9``).

    >>> number("5/9") == 5 / 9, number(2.54)
    (True, 2.54)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(Fraction(str(value).strip()))


def format_number(x: pd.Series) -> pd.Series:
    """Numbers as --STRESC text: no trailing zeros, no leading zeros (``37.0`` -> ``37``, ``055.5`` -> ``55.5``).

    >>> format_number(pd.Series([37.0, 53.98, np.nan, 0.5])).tolist()
    ['37', '53.98', nan, '0.5']
    """
    return x.map(lambda v: f"{v:.12g}", na_action="ignore").astype(object)


def derive_standard_results(
    orres: pd.Series, orresu: pd.Series | None, *, conversions: list[dict], default_decimals: int | None = None
) -> pd.DataFrame:
    """``STRESC``, ``STRESN``, ``STRESU`` from the result as collected (SDTMIG 3.4 section 4.5.1).

    A numeric result in a unit with a declared conversion ``{from: LB, to: kg, multiply: 0.45359237, decimals: 2}``
    becomes ``(value + add) * multiply`` rounded half up; a numeric result in any other unit keeps its value and
    unit; a non-numeric result is copied to STRESC (STRESN missing, STRESU the unit as collected).

    >>> conv = [{"from": "LB", "to": "kg", "multiply": 0.45359237, "decimals": 2},
    ...         {"from": "F", "to": "C", "add": -32, "multiply": "5/9", "decimals": 2}]
    >>> derive_standard_results(pd.Series(["119.0", "96.9", "131", "NEG", None]),
    ...                         pd.Series(["LB", "F", "mmHg", None, "F"]), conversions=conv).values.tolist()
    [['53.98', 53.98, 'kg'], ['36.06', 36.06, 'C'], ['131', 131.0, 'mmHg'], ['NEG', nan, None], [nan, nan, nan]]
    """
    text = _blank(_text(orres).str.strip())
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    unit = (
        orresu.astype(object).where(orresu.notna(), None) if orresu is not None else pd.Series(None, index=orres.index)
    )
    stresn = num.copy()
    stresu = unit.copy()
    key = unit.astype("str").str.strip().str.upper()
    for c in conversions:
        hit = key.eq(str(c["from"]).strip().upper()) & num.notna()
        if not hit.any():
            continue
        v = (num[hit] + number(c.get("add", 0))) * number(c.get("multiply", 1))
        dec = c.get("decimals", default_decimals)
        stresn[hit] = round_half_up(v, int(dec)) if dec is not None else v
        stresu[hit] = str(c["to"])
    stresc = format_number(stresn).where(num.notna(), text)
    stresu = stresu.where(text.notna())
    return pd.DataFrame({"STRESC": stresc, "STRESN": stresn, "STRESU": stresu}, index=orres.index)
