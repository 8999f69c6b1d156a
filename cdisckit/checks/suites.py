"""Generate great-expectations suites (one per dataset) from specs/ and export them as GX 1.x suite JSON.

A suite is built for a concrete frame: column-level expectations are emitted only for columns the frame
has (a missing column is the finding of ``expect_column_to_exist``), and table-level expectations (extra
variables, order) use the frame's columns. Every expectation's ``meta`` carries ``rule_id``,
``severity``, ``message``, ``standard``, ``dataset`` and ``variable``, so a GX user sees the same rule.

Nothing here imports great_expectations: the JSON has the GX 1.x layout and loads with
``great_expectations.core.ExpectationSuite(**json.load(f))``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisckit.dates import ISO8601_REGEX

from ..errors import CdiscKitError
from ..io import staged_file
from ..sdtm_model import allowed_variables, custom_domain, domain_class
from ..standards import (
    ADAMIG,
    SDTMIG,
    DatasetSpec,
    adam_dataset,
    available_codelists,
    dataset_spec,
    sdtm_dataset,
    value_level_codelists,
)
from .declared import add_declared
from .rules import RULES, TESTCD_REGEX, standard_of

STANDARDS = {"sdtmig-3.4": SDTMIG, "adamig-1.3": ADAMIG}
GX_SEVERITY = {"error": "critical", "warning": "warning"}

CHAR_TYPES = ["str"]
NUM_TYPES = ["float", "int"]
DATE_TYPES = NUM_TYPES + ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]", "Timestamp"]


@dataclass
class Expectation:
    """One GX expectation configuration (``type``, ``kwargs``, ``meta``)."""

    type: str
    kwargs: dict
    meta: dict

    @property
    def rule_id(self) -> str:
        return self.meta["rule_id"]

    @property
    def variable(self) -> str | None:
        return self.meta.get("variable")

    @property
    def key(self) -> str:
        """Unique id of the expectation inside its suite (used to match GX results back)."""
        return self.meta["check"]

    def to_json(self) -> dict:
        return {
            "type": self.type,
            "kwargs": dict(self.kwargs),
            "meta": dict(self.meta),
            "severity": GX_SEVERITY[self.meta["severity"]],
        }


@dataclass
class Suite:
    """The expectations of one dataset plus what the report needs (spec, standard)."""

    dataset: str
    standard: str
    spec: DatasetSpec | None
    expectations: list[Expectation] = field(default_factory=list)

    def add(self, type_: str, rule_id: str, variable: str | None, message: str | None = None, **kwargs) -> None:
        """Append an expectation carrying the rule's metadata."""
        rule = RULES[rule_id]
        check = f"{rule_id}:{variable or '*'}"
        n = sum(1 for e in self.expectations if e.key.split("#")[0] == check)
        meta = {
            "rule_id": rule_id,
            "severity": rule.severity,
            "message": message or rule.message,
            "standard": standard_of(rule, self.standard),
            "dataset": self.dataset,
            "variable": variable,
            "check": check if n == 0 else f"{check}#{n}",
        }
        self.expectations.append(Expectation(type_, kwargs, meta))

    def to_json(self) -> dict:
        """The suite in GX 1.x ``ExpectationSuite`` JSON layout."""
        try:
            from importlib.metadata import version

            gx_version = version("great_expectations")
        except Exception:  # pragma: no cover - GX not installed
            gx_version = None
        return {
            "name": f"cdisckit.{self.dataset}",
            "id": None,
            "expectations": [e.to_json() for e in self.expectations],
            "meta": {
                "great_expectations_version": gx_version,
                "cdisckit": {
                    "dataset": self.dataset,
                    "standard": self.standard,
                    "label": self.spec.label if self.spec else None,
                },
            },
            "notes": None,
        }


# ---------------------------------------------------------------- GX 1.x row conditions (serialised form)
def is_null(column: str) -> dict:
    """GX row condition ``Column(column).is_null()``."""
    return {"type": "nullity", "column": {"name": column}, "is_null": True}


def compare(column: str, operator: str, value) -> dict:
    """GX row condition ``Column(column) <operator> value``."""
    return {"type": "comparison", "column": {"name": column}, "operator": operator, "parameter": value}


# ---------------------------------------------------------------- spec resolution
def resolve_spec(name: str, standard: str | None = None, specs: dict | None = None, columns=None) -> DatasetSpec | None:
    """The DatasetSpec for ``name`` (explicit ``specs`` first), or None when no standard describes it.

    An SDTM dataset gets :func:`sdtm_model_spec` (what SDTMIG 3.4 permits in it), so class variables such as
    VISITNUM in EX are accepted; ``columns`` (the frame's) recognise the class of a custom domain."""
    if specs and name in specs:
        return specs[name]
    if standard is not None and standard not in STANDARDS:
        raise CdiscKitError(f"unknown standard {standard!r}; expected one of {', '.join(STANDARDS)} or None")
    try:
        if standard is None:
            spec = dataset_spec(name)
        else:
            spec = sdtm_dataset(name) if STANDARDS[standard] == SDTMIG else adam_dataset(name)
    except CdiscKitError:
        spec = None
    if spec is not None and spec.standard != SDTMIG:
        return spec
    if spec is None and (standard == "adamig-1.3" or (standard is None and name.startswith("AD"))):
        return None
    return sdtm_model_spec(name, columns)


def sdtm_model_spec(name: str, columns=None) -> DatasetSpec | None:
    """What SDTMIG 3.4 permits in dataset ``name``: its IG table plus the SDTM class variables it may add; a
    domain SDTMIG does not define is built from its class, recognised by its topic variable (``--TESTCD``:
    Findings, ``--TRT``: Interventions, ``--TERM``: Events).

    >>> spec = sdtm_model_spec("MH")
    >>> [n for n in ("VISITNUM", "MHLLT", "MHSEV") if spec.variable(n) is not None]
    ['VISITNUM', 'MHLLT', 'MHSEV']
    >>> sdtm_model_spec("XX", ["STUDYID", "DOMAIN", "USUBJID", "XXSEQ", "XXTESTCD", "XXTEST"]).label
    'XX (Findings custom domain)'
    """
    try:
        return allowed_variables(name)
    except CdiscKitError:
        pass
    cols = set(() if columns is None else columns)
    code = name[:2]
    for topic, class_ in (("TESTCD", "Findings"), ("TRT", "Interventions"), ("TERM", "Events")):
        if len(name) in (2, 4) and f"{code}{topic}" in cols:
            try:
                return custom_domain(name, class_)
            except CdiscKitError:
                return None
    return None


def dataset_standard(name: str, spec: DatasetSpec | None, standard: str | None) -> str:
    """SDTMIG 3.4 or ADaMIG 1.3 for a dataset (from its spec, the argument, or its name)."""
    if spec is not None:
        return spec.standard
    if standard in STANDARDS:
        return STANDARDS[standard]
    return ADAMIG if name.upper().startswith("AD") else SDTMIG


# ---------------------------------------------------------------- generation
def build_suite(name: str, df: pd.DataFrame, spec: DatasetSpec | None, standard: str) -> Suite:
    """All spec-driven expectations for one dataset frame."""
    suite = Suite(name, standard, spec)
    if spec is not None:
        _structure(suite, df, spec)
        _types(suite, df, spec)
        _terminology(suite, df, spec)
        _identifiers(suite, df, spec)
    _dates(suite, df)
    if standard == SDTMIG:
        _study_day_variables(suite, df, name)
    _codes(suite, df, name, standard)
    _adam(suite, df, name)
    add_declared(suite, df)
    return suite


#: ADSL copies of DM arms: SDTMIG 3.4 leaves DM.ARM/ACTARM empty for subjects not assigned / not treated (reason
#: in ARMNRS), and ADSL copies DM exactly, so these Req variables may hold empty values.
ADSL_NULLABLE_REQ = frozenset({"ARM", "ACTARM", "TRT01P", "TRT01A"})


def _structure(suite: Suite, df: pd.DataFrame, spec: DatasetSpec) -> None:
    """Required / expected variables, variables outside the spec, variable order."""
    cols = set(df.columns)
    for v in spec.variables:
        if v.core == "Req":
            suite.add("expect_column_to_exist", "REQ-VAR-MISSING", v.name, column=v.name)
            if v.name in cols and not (spec.name == "ADSL" and v.name in ADSL_NULLABLE_REQ):
                suite.add("expect_column_values_to_not_be_null", "REQ-VAR-NULL", v.name, column=v.name)
        elif v.core == "Exp":
            suite.add("expect_column_to_exist", "EXP-VAR-MISSING", v.name, column=v.name)
    known = [c for c in df.columns if c in set(spec.names)]
    suite.add(
        "expect_table_columns_to_match_set",
        "VAR-NOT-IN-STANDARD",
        None,
        f"Variables must be among the {len(spec.names)} variables of the {spec.name} spec",
        column_set=known,
        exact_match=True,
    )
    suite.add(
        "expect_table_columns_to_match_ordered_list",
        "VAR-ORDER",
        None,
        column_list=expected_order(list(df.columns), spec.names),
    )


def expected_order(columns: list[str], spec_names: list[str]) -> list[str]:
    """``columns`` with the spec's variables sorted into spec order; other variables keep their place.

    >>> expected_order(["B", "X", "A"], ["A", "B"])
    ['A', 'X', 'B']
    """
    rank = {n: i for i, n in enumerate(spec_names)}
    known = iter(sorted((c for c in columns if c in rank), key=rank.__getitem__))
    return [next(known) if c in rank else c for c in columns]


def _types(suite: Suite, df: pd.DataFrame, spec: DatasetSpec) -> None:
    """Char variables hold text, Num variables numbers (ADaM *DT/*DTM/*TM also datetimes)."""
    for v in spec.variables:
        if v.name not in df.columns:
            continue
        if v.type == "Num":
            types = DATE_TYPES if re.search(r"(DT|DTM|TM)$", v.name) else NUM_TYPES
            msg = (
                f"{v.name} is Num in the spec: numbers" + (" or datetimes" if types is DATE_TYPES else "") + " expected"
            )
        else:
            types, msg = CHAR_TYPES, f"{v.name} is Char in the spec: text expected"
        suite.add("expect_column_values_to_be_in_type_list", "VAR-TYPE", v.name, msg, column=v.name, type_list=types)


def _codelist_values(names: tuple[str, ...]) -> tuple[list[str], bool, str] | None:
    """Union of the values of the codelists (those present in specs/ct), extensibility and a display name."""
    found = available_codelists(names)
    if not found:
        return None
    values = sorted(set().union(*(c.values for c in found)))
    return values, any(c.extensible for c in found), "/".join(c.short_name for c in found)


def _terminology(suite: Suite, df: pd.DataFrame, spec: DatasetSpec) -> None:
    """Controlled terminology: in-set expectations (results only where no numeric result exists)."""
    for v in spec.variables:
        names = v.codelists or ((v.codelist,) if v.codelist else ())
        if v.name in df.columns and not names and v.value_list and v.type == "Char":
            suite.add(
                "expect_column_values_to_be_in_set",
                "VALUE-LIST",
                v.name,
                f"{v.name} values must be one of {', '.join(v.value_list)} ({spec.standard})",
                column=v.name,
                value_set=list(v.value_list),
            )
            continue
        if v.name not in df.columns or not names:
            continue
        cl = _codelist_values(names)
        if cl is None:
            continue
        conditions, note = [], ""
        m = re.fullmatch(r"(\w+?)(STRESC|ORRES)", v.name)
        if m and f"{m.group(1)}STRESN" in df.columns:  # only character results without a numeric result
            conditions.append(is_null(f"{m.group(1)}STRESN"))
            note = f" when {m.group(1)}STRESN is missing"
        level = value_level_codelists().get(suite.dataset[:2] if spec.standard == SDTMIG else suite.dataset, {})
        by = level.get(v.name, {}).get("by")
        per_test = level.get(v.name, {}).get("codelists", {}) if by in df.columns else {}
        for test, name in sorted(per_test.items()):  # value-level codelists (e.g. RS NEWLIND -> NY)
            vl = _codelist_values((name,))
            if vl is not None:
                _add_ct(suite, v.name, vl, conditions + [compare(by, "==", test)], f"{note} and {by} = {test}")
        others = [compare(by, "!=", test) for test in sorted(per_test)]
        suffix = f" and {by} not in {', '.join(sorted(per_test))}" if others else ""
        _add_ct(suite, v.name, cl, conditions + others, note + suffix)


def _add_ct(suite: Suite, variable: str, cl: tuple, conditions: list[dict], note: str) -> None:
    """One in-set expectation for a codelist, restricted to the rows meeting all ``conditions``."""
    values, extensible, cl_name = cl
    rule = "CT-EXT" if extensible else "CT-NONEXT"
    msg = f"{variable} values must be in {'extensible' if extensible else 'non-extensible'} codelist {cl_name}{note}"
    extra = {}
    if len(conditions) == 1:
        extra = {"row_condition": conditions[0]}
    elif conditions:
        extra = {"row_condition": {"type": "and", "conditions": conditions}}
    suite.add("expect_column_values_to_be_in_set", rule, variable, msg, column=variable, value_set=values, **extra)
    suite.expectations[-1].meta["codelist"] = cl_name


def seq_variable(name: str, columns) -> str | None:
    """The sequence variable of a dataset: ``<DOMAIN>SEQ`` (SDTM) or ``ASEQ`` (ADaM)."""
    for cand in (f"{name[:2]}SEQ", "ASEQ"):
        if cand in columns:
            return cand
    return None


def _identifiers(suite: Suite, df: pd.DataFrame, spec: DatasetSpec) -> None:
    """--SEQ unique within subject, natural keys unique (all values missing rows ignored, as in GX)."""
    seq = seq_variable(suite.dataset, df.columns)
    if seq and "USUBJID" in df.columns:
        suite.add(
            "expect_compound_columns_to_be_unique",
            "SEQ-UNIQUE",
            seq,
            f"{seq} must be unique within USUBJID",
            column_list=["USUBJID", seq],
            ignore_row_if="all_values_are_missing",
        )
    keys = [k for k in spec.keys if k in df.columns]
    if len(keys) >= 2:
        suite.add(
            "expect_compound_columns_to_be_unique",
            "KEYS-UNIQUE",
            None,
            f"Records should be unique by {', '.join(keys)}",
            column_list=keys,
            ignore_row_if="all_values_are_missing",
        )


def _dates(suite: Suite, df: pd.DataFrame) -> None:
    """ISO 8601 for every character --DTC variable."""
    for col in df.columns:
        if (
            col.endswith("DTC")
            and not pd.api.types.is_numeric_dtype(df[col])
            and not pd.api.types.is_datetime64_any_dtype(df[col])
        ):
            suite.add("expect_column_values_to_match_regex", "DTC-ISO8601", col, column=col, regex=ISO8601_REGEX)


_DY_OF = {"DTC": "DY", "STDTC": "STDY", "ENDTC": "ENDY"}
_GENERAL = ("Interventions", "Events", "Findings", "Findings About")


def _study_day_variables(suite: Suite, df: pd.DataFrame, name: str) -> None:
    """FB1601/FB3201-3203: a general-observation dataset with --DTC/--STDTC/--ENDTC also has --DY/--STDY/--ENDY."""
    if name.startswith(("SUPP", "REL")) or domain_class(name) not in _GENERAL:
        return
    code = name[:2]
    for suffix, dy in _DY_OF.items():
        if f"{code}{suffix}" in df.columns:
            suite.add("expect_column_to_exist", "DY-VAR-MISSING", f"{code}{dy}", column=f"{code}{dy}")


def _codes(suite: Suite, df: pd.DataFrame, name: str, standard: str) -> None:
    """DOMAIN value; --TESTCD / PARAMCD / QNAM format and --TEST length (SDTMIG 4.2.1, 4.5.3.1)."""
    if (
        standard == SDTMIG
        and "DOMAIN" in df.columns
        and re.fullmatch(r"[A-Z][A-Z0-9]\w{0,2}", name)
        and not name.startswith("SUPP")
    ):
        suite.add(
            "expect_column_values_to_be_in_set",
            "DOMAIN-VALUE",
            "DOMAIN",
            f"DOMAIN must be {name[:2]}",
            column="DOMAIN",
            value_set=[name[:2]],
        )
    for col in df.columns:
        if col.endswith("TESTCD") or col in ("PARAMCD", "QNAM"):
            suite.add(
                "expect_column_value_lengths_to_be_between",
                "TESTCD-LENGTH",
                col,
                f"{col} values must be at most 8 characters",
                column=col,
                max_value=8,
            )
            suite.add("expect_column_values_to_match_regex", "TESTCD-CHARS", col, column=col, regex=TESTCD_REGEX)
        elif re.fullmatch(r"[A-Z]{2}TEST", col) and col != "IETEST":  # IETEST: up to 200 (SDTMIG 3.4 TI assumption 5)
            suite.add(
                "expect_column_value_lengths_to_be_between",
                "TEST-LENGTH",
                col,
                f"{col} values must be at most 40 characters",
                column=col,
                max_value=40,
            )


def _adam(suite: Suite, df: pd.DataFrame, name: str) -> None:
    """ADSL one record per subject; time-to-event CNSR consistent with EVNTDESC / CNSDTDSC."""
    if name == "ADSL" and "USUBJID" in df.columns:
        suite.add("expect_column_values_to_be_unique", "ADSL-ONE-ROW", "USUBJID", column="USUBJID")
    if "CNSR" in df.columns and pd.api.types.is_numeric_dtype(df["CNSR"]):
        if "EVNTDESC" in df.columns:
            suite.add(
                "expect_column_values_to_not_be_null",
                "CNSR-EVNTDESC",
                "EVNTDESC",
                column="EVNTDESC",
                row_condition=compare("CNSR", "==", 0),
            )
        if "CNSDTDSC" in df.columns:
            suite.add(
                "expect_column_values_to_not_be_null",
                "CNSR-CNSDTDSC",
                "CNSDTDSC",
                column="CNSDTDSC",
                row_condition=compare("CNSR", ">", 0),
            )


# ---------------------------------------------------------------- export
def build_suites(
    datasets: dict[str, pd.DataFrame], standard: str | None = None, specs: dict | None = None
) -> dict[str, Suite]:
    """One suite per dataset, keyed by upper-case dataset name."""
    out = {}
    for name, df in datasets.items():
        name = name.upper()
        spec = resolve_spec(name, standard, specs, df.columns)
        out[name] = build_suite(name, df, spec, dataset_standard(name, spec, standard))
    return out


def export_suites(
    datasets: dict[str, pd.DataFrame], folder, standard: str | None = None, specs: dict | None = None
) -> list[Path]:
    """Write ``<folder>/<NAME>.json`` (GX 1.x ExpectationSuite JSON) for every dataset; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, suite in build_suites(datasets, standard, specs).items():
        path = folder / f"{name}.json"
        with staged_file(path) as tmp:
            tmp.write_text(json.dumps(suite.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
