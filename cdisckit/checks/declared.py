"""GX expectations declared as data: the ``expect`` blocks of ``catalogue.yaml``, made concrete per dataset.

A declared rule names the datasets it applies to (by name or SDTM class), the variable it checks ("--" is
the dataset's domain code), what the values must be, and the rows it looks at (``when``, a row condition
in GX 1.x's serialised form). ``add_declared`` appends one expectation per applicable rule to a suite, so
both engines (native pandas and great-expectations) evaluate exactly the same thing.

>>> import pandas as pd
>>> from cdisckit.checks.suites import Suite
>>> ae = pd.DataFrame({"AEBODSYS": ["Cardiac disorders", None], "AEBDSYCD": [None, None]})
>>> suite = Suite("AE", "SDTMIG 3.4", None)
>>> add_declared(suite, ae)
>>> (e,) = [e for e in suite.expectations if e.rule_id == "BDSYCD-MISSING"]
>>> e.type, e.kwargs["column"]
('expect_column_values_to_not_be_null', 'AEBDSYCD')
>>> e.kwargs["row_condition"]
{'type': 'nullity', 'column': {'name': 'AEBODSYS'}, 'is_null': False}
"""

from __future__ import annotations

import re

import pandas as pd

from ..sdtm_model import domain_class
from .rules import DECLARED_RULES, Rule

_TYPES = {
    "not_null": "expect_column_values_to_not_be_null",
    "null": "expect_column_values_to_be_null",
    "in_set": "expect_column_values_to_be_in_set",
    "not_in_set": "expect_column_values_to_not_be_in_set",
    "match": "expect_column_values_to_match_regex",
    "not_match": "expect_column_values_to_not_match_regex",
    "equal_to": "expect_column_pair_values_to_be_equal",
    "between": "expect_column_values_to_be_between",
    "exists": "expect_column_to_exist",
    "unique_by": "expect_compound_columns_to_be_unique",
}


class _NotApplicable(Exception):
    """A condition names a variable the dataset lacks (outside an any/all list)."""


def domain_code(name: str) -> str:
    """The 2-letter code that replaces ``--`` (SUPP-- and RELREC have none: their own name)."""
    return name if name.startswith(("SUPP", "REL")) else name[:2]


def applies(rule: Rule, name: str) -> bool:
    """Whether a declared rule applies to a dataset, by name or SDTM class."""
    spec = rule.expect or {}
    scope, exclude = spec.get("applies") or {}, spec.get("exclude") or []
    if name in exclude or domain_code(name) in exclude:
        return False
    if not scope:
        return not name.startswith("AD")
    if name in (scope.get("datasets") or []):
        return True
    classes = scope.get("classes") or []
    return bool(classes) and not name.startswith("AD") and domain_class(name) in classes


def _col(template: str, name: str) -> str:
    return domain_code(name) + template[2:] if template.startswith("--") else template


def _term(column: str, test, columns) -> dict:
    if column not in columns:
        raise _NotApplicable(column)
    col = {"name": column}
    if test is None:
        return {"type": "nullity", "column": col, "is_null": True}
    if isinstance(test, list):
        return {"type": "comparison", "column": col, "operator": "IN", "parameter": list(test)}
    if isinstance(test, dict):
        ((op, arg),) = test.items()
        if op == "not" and arg is None:
            return {"type": "nullity", "column": col, "is_null": False}
        if op == "ne":
            return {"type": "comparison", "column": col, "operator": "!=", "parameter": arg}
        if op == "not_in":
            return {"type": "comparison", "column": col, "operator": "NOT_IN", "parameter": list(arg)}
        raise ValueError(f"unsupported test {test!r}")
    return {"type": "comparison", "column": col, "operator": "==", "parameter": test}


def row_condition(when: dict, name: str, columns) -> dict | None:
    """The GX row condition of a ``when`` mapping for one dataset (None: no rows match, rule not applicable).

    >>> row_condition({"any": [{"--DOSE": {"not": None}}, {"--DOSTXT": {"not": None}}]}, "EX", ["EXDOSE"])
    {'type': 'nullity', 'column': {'name': 'EXDOSE'}, 'is_null': False}
    """
    parts: list[dict] = []
    for key, test in when.items():
        if key in ("any", "all"):
            subs = []
            for sub in test:
                try:
                    c = row_condition(sub, name, columns)
                except _NotApplicable:
                    continue
                if c is not None:
                    subs.append(c)
            if not subs:
                if key == "any":
                    return None
                continue  # an empty all: vacuously true
            parts.append(subs[0] if len(subs) == 1 else {"type": "or" if key == "any" else "and", "conditions": subs})
        else:
            parts.append(_term(_col(key, name), test, columns))
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"type": "and", "conditions": parts}


def _targets(template: str, name: str, df: pd.DataFrame) -> list[str]:
    if template == "*text*":
        return [
            c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype) or df[c].empty
        ]
    return [_col(template, name)]


def add_declared(suite, df: pd.DataFrame) -> None:
    """Append the declared expectations that apply to ``suite.dataset`` (a frame ``df``)."""
    name, columns = suite.dataset, set(df.columns)
    for rule in DECLARED_RULES:
        if not applies(rule, name):
            continue
        spec = dict(rule.expect or {})
        if not set(_col(c, name) for c in spec.get("when_columns") or []) <= columns:
            continue
        try:
            cond = row_condition(spec["when"], name, columns) if spec.get("when") else {}
        except _NotApplicable:
            continue
        if cond is None:
            continue
        (kind,) = [k for k in _TYPES if k in spec]
        for column in _targets(spec["column"], name, df):
            if kind != "exists" and column not in columns:
                continue
            kwargs = _kwargs(
                kind, spec[kind], column, name, columns, spec.get("ignore_row_if", "both_values_are_missing")
            )
            if kwargs is None:
                continue
            if cond:
                kwargs["row_condition"] = cond
            suite.add(_TYPES[kind], rule.id, column, _message(rule, column, name), **kwargs)


def _kwargs(kind: str, arg, column: str, name: str, columns, ignore_row_if: str) -> dict | None:
    if kind in ("in_set", "not_in_set"):
        return {"column": column, "value_set": list(arg)}
    if kind in ("match", "not_match"):
        return {"column": column, "regex": arg}
    if kind == "between":
        return {"column": column, "min_value": arg[0], "max_value": arg[1]}
    if kind == "unique_by":
        present = [c for c in (_col(t, name) for t in arg) if c in columns]
        return {"column_list": present, "ignore_row_if": "all_values_are_missing"} if len(present) >= 2 else None
    if kind == "equal_to":
        other = _col(arg, name)
        if other not in columns:
            return None
        return {"column_A": column, "column_B": other, "ignore_row_if": ignore_row_if}
    return {"column": column}


def _message(rule: Rule, column: str, name: str) -> str:
    """The rule's message with ``--`` written as the dataset's variables."""
    return re.sub(r"--([A-Z]+)", lambda m: domain_code(name) + m.group(1), rule.message)
