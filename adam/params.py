"""ADaM derivation rules as parameters: defaults <- study ``adam.yaml`` <- ``--params FILE``.

Every rule the derivations use is a key of one flat dictionary (defaults in :mod:`cdisckit.adam.defaults`,
documented in ``docs/adam.md``). Unknown keys and values of the wrong type, at any depth (``tte[0].events[1].censor:
"x"``, ``timepoints[2].day: six``), raise :class:`~cdisckit.errors.SpecError` naming file, line and key.

>>> p = load_params()
>>> p["confirmation_days"], p["origin"], p["anl_before_new_therapy"]
(28, 'TRTSDT', True)
"""

from __future__ import annotations

import copy
from pathlib import Path

from cdisckit.conditions import condition_problem
from cdisckit.errors import SpecError
from cdisckit.specio import key_lines, load_yaml

from .defaults import DEFAULTS

STUDY_FILE = "adam.yaml"

__all__ = ["DEFAULTS", "STUDY_FILE", "load_params", "validate_params", "condition_paths"]

_NUMERIC = (int, float)

# ---------------------------------------------------------------- nested shapes
# field -> type name: str, int, bool, list[str], str|list[str], cond (a condition), source, dict[str]
_SOURCE = {
    "dataset": "str",
    "date": "str",
    "where": "cond",
    "censor": "int",
    "evntdesc": "str",
    "cnsdtdsc": "str",
    "srcdom": "str",
    "srcvar": "str",
    "srcseq": "str",
    "desc": "str",
}
_SHAPES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    # key: (fields, required fields)
    "timepoints": ({"name": "str", "suffix": "str", "day": "int", "window": "int"}, ("name", "suffix", "day")),
    "criteria": (
        {
            "rscat": "str",
            "prefix": "str",
            "label": "str",
            "parcat1": "str",
            "aliases": "list[str]",
            "tr_sum_testcd": "str",
            "tr_lesion_testcd": "str|list[str]",
            "adtr_paramcd": "str",
            "adtr_param": "str",
        },
        ("rscat", "prefix"),
    ),
    "aesi": ({"category": "str", "pt": "list[str]"}, ("category",)),
    "treatments": ({"name": "str", "relationship": "str", "suffix": "str"}, ("name", "relationship")),
    "adsl_vars": (
        {
            "name": "str",
            "label": "str",
            "type": "str",
            "source": "str",
            "value": "str",
            "qnam": "str",
            "date": "str",
            "where": "cond",
            "pick": "str",
            "method": "str",
        },
        ("name", "source"),
    ),
    "adae_vars": ({"name": "str", "label": "str", "from": "str", "grade": "bool", "method": "str"}, ("name", "from")),
    "lstalvdt_sources": ({"dataset": "str", "date": "str", "where": "cond"}, ("dataset", "date")),
    "tte": (
        {
            "paramcd": "str",
            "param": "str",
            "per_criterion": "bool",
            "censoring_rules": "bool",
            "only_with": "str",
            "start": "source",
            "events": "list[source]",
            "censors": "list[source]",
        },
        ("paramcd", "start", "events"),
    ),
}
_CHOICES = {
    ("adsl_vars", "type"): ("Char", "Num", "Date"),
    ("adsl_vars", "pick"): ("first", "last"),
}
_NON_NEGATIVE = (
    "confirmation_days",
    "max_ne_between",
    "min_sd_days",
    "teae_window_days",
    "pfs_missed_assessments",
    "assessment_interval_days",
    "assessment_window_days",
)
_IMPUTATION_KEYS = {"highest_imputation": ("n", "D", "M"), "date_imputation": ("first", "last")}
_MERGED = ("parameters", "ae_start_imputation", "ae_end_imputation", "origin_labels")


def _type_ok(default, value) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, _NUMERIC) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _line(lines: dict, path: str):
    """Line of ``path`` or of its nearest parent path found."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _err(message: str, file, lines: dict, path: str) -> SpecError:
    return SpecError(message, file=file, line=_line(lines, path), key=path)


def _is(kind: str, v) -> bool:
    if kind == "str":
        return isinstance(v, str)
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "bool":
        return isinstance(v, bool)
    if kind == "list[str]":
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if kind == "str|list[str]":
        return _is("str", v) or _is("list[str]", v)
    return True


_KIND_TEXT = {
    "str": "text",
    "int": "a whole number",
    "bool": "true or false",
    "list[str]": "a list of texts",
    "str|list[str]": "a text or a list of texts",
}


def _check_fields(obj, fields: dict, required: tuple, path: str, file, lines: dict, key: str) -> None:
    """SpecError for a non-mapping, a missing required field, an unknown field or a value of the wrong type."""
    if not isinstance(obj, dict):
        raise _err(
            f"expected a mapping with {', '.join(required)}, got {type(obj).__name__} {obj!r}", file, lines, path
        )
    missing = [f for f in required if f not in obj]
    if missing:
        raise _err(f"missing {', '.join(missing)} (needs {', '.join(required)})", file, lines, path)
    for f, v in obj.items():
        p = f"{path}.{f}"
        kind = fields.get(f)
        if kind is None:
            raise _err(f"unknown key {f!r}; known: {', '.join(fields)}", file, lines, p)
        if kind == "source":
            _check_fields(v, _SOURCE, ("date",), p, file, lines, key)
            continue
        if kind == "list[source]":
            if not isinstance(v, list):
                raise _err(f"expected a list of sources, got {type(v).__name__} {v!r}", file, lines, p)
            for j, s in enumerate(v):
                _check_fields(s, _SOURCE, ("dataset", "date"), f"{p}[{j}]", file, lines, key)
            continue
        if kind == "cond" or v is None:
            continue
        if not _is(kind, v):
            raise _err(f"expected {_KIND_TEXT[kind]}, got {type(v).__name__} {v!r}", file, lines, p)
        choices = _CHOICES.get((key, f))
        if choices and v not in choices:
            raise _err(f"expected one of {', '.join(choices)}, got {v!r}", file, lines, p)
        if kind == "int" and v < 0:
            raise _err("must be >= 0", file, lines, p)


def _check_imputation(value: dict, file, lines: dict, key: str) -> None:
    for k, v in value.items():
        where = {"file": file, "line": _line(lines, f"{key}.{k}"), "key": f"{key}.{k}"}
        if k in _IMPUTATION_KEYS:
            if v not in _IMPUTATION_KEYS[k]:
                raise SpecError(f"expected one of {', '.join(_IMPUTATION_KEYS[k])}, got {v!r}", **where)
        elif k in ("min_dates", "max_dates"):
            if not isinstance(v, list) or not all(isinstance(c, str) for c in v):
                raise SpecError("expected a list of column names", **where)
        else:
            raise SpecError("unknown key; known: highest_imputation, date_imputation, min_dates, max_dates", **where)


#: Keys holding a declarative row condition (see cdisckit.conditions.condition_problem).
CONDITION_KEYS = ("trtsdt_where", "trtedt_where", "rs_where")


def condition_paths(doc: dict) -> list[tuple[str, object]]:
    """Every (key path, condition) of a params document: the *_where keys, new_therapy.where, the where of each
    tte start/event/censor source, of each adsl_vars entry and of each lstalvdt source."""
    out = [(k, doc[k]) for k in CONDITION_KEYS if k in doc]
    nt = doc.get("new_therapy")
    if isinstance(nt, dict) and "where" in nt:
        out.append(("new_therapy.where", nt["where"]))
    for key in ("adsl_vars", "lstalvdt_sources"):
        for i, item in enumerate(doc.get(key) or []):
            if isinstance(item, dict) and "where" in item:
                out.append((f"{key}[{i}].where", item["where"]))
    for i, t in enumerate(doc.get("tte") or []):
        if not isinstance(t, dict):
            continue
        if isinstance(t.get("start"), dict) and "where" in t["start"]:
            out.append((f"tte[{i}].start.where", t["start"]["where"]))
        for kind in ("events", "censors"):
            for j, src in enumerate(t.get(kind) or []):
                if isinstance(src, dict) and "where" in src:
                    out.append((f"tte[{i}].{kind}[{j}].where", src["where"]))
    return out


def _read(path: Path) -> tuple[dict, dict]:
    """A params file through the one spec loader: (document, line of every key path)."""
    doc = load_yaml(Path(path), what="params file")
    if doc is None:
        return {}, {}
    if not isinstance(doc, dict):
        raise SpecError("expected a mapping of parameter names to values", file=path, line=1)
    return doc, key_lines(doc)


def validate_params(doc: dict, file=None, lines: dict | None = None) -> None:
    """Raise SpecError for unknown keys, wrong types and malformed nested entries (any depth).

    >>> validate_params({"timepoints": [{"name": "W6", "suffix": "W6", "day": "six"}]})
    Traceback (most recent call last):
    ...
    cdisckit.errors.SpecError: key timepoints[0].day: expected a whole number, got str 'six'
    """
    lines = lines or {}
    for key, value in doc.items():
        where = {"file": file, "line": lines.get(key), "key": key}
        if key not in DEFAULTS:
            raise SpecError(f"unknown parameter; known: {', '.join(sorted(DEFAULTS))}", **where)
        default = DEFAULTS[key]
        if not _type_ok(default, value) and not (default is None and key == "age_group_labels"):
            raise SpecError(f"expected {type(default).__name__}, got {type(value).__name__} ({value!r})", **where)
        if key in _NON_NEGATIVE and value < 0:
            raise SpecError("must be >= 0", **where)
        if key in _SHAPES:
            fields, required = _SHAPES[key]
            for i, item in enumerate(value):
                _check_fields(item, fields, required, f"{key}[{i}]", file, lines, key)
        if key in ("ae_start_imputation", "ae_end_imputation"):
            _check_imputation(value, file, lines, key)
        if key == "new_therapy" and value is not None:
            _check_fields(
                value, {"dataset": "str", "where": "cond", "date": "str"}, ("dataset", "date"), key, file, lines, key
            )
        if key in ("age_group_labels",) and value is not None and not _is("list[str]", value):
            raise SpecError("expected a list of texts (one label per age group)", **where)
        if key in ("origin_labels", "parameters") and not all(isinstance(v, str) for v in value.values()):
            bad = next(k for k, v in value.items() if not isinstance(v, str))
            raise _err("expected text", file, lines, f"{key}.{bad}")
    for path, cond in condition_paths(doc):
        bad = condition_problem(cond, path)
        if bad:
            raise SpecError(bad[1], file=file, line=_line(lines, bad[0]), key=bad[0])


def load_params(path: Path | None = None, study_dir: Path | None = None) -> dict:
    """Defaults, overridden by ``<study_dir>/adam.yaml``, overridden by the params file ``path``.

    Keys are replaced as a whole, except the mappings in ``_MERGED`` (``parameters``, ``origin_labels``,
    ``ae_start_imputation``, ``ae_end_imputation``), whose keys are merged.

    >>> load_params()["teae_window_days"]
    30
    """
    params = copy.deepcopy(DEFAULTS)
    files = []
    if study_dir is not None and (Path(study_dir) / STUDY_FILE).exists():  # a study without adam.yaml: defaults
        files.append(Path(study_dir) / STUDY_FILE)
    if path is not None:
        files.append(Path(path))
    for file in files:
        doc, lines = _read(file)
        validate_params(doc, file=file, lines=lines)
        for key, value in doc.items():
            if key in _MERGED and isinstance(value, dict):
                params[key] = {**params[key], **value}
            else:
                params[key] = copy.deepcopy(value)
    return params
