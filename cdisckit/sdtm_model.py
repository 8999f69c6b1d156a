"""What SDTMIG 3.4 permits in a dataset: its domain table plus the SDTM v2.0 class variables it may add.

``sdtm_dataset("EX")`` (cdisckit.standards) is the SDTMIG domain table; ``allowed_variables("EX")`` is the
wider view: the same variables plus every SDTM v2.0 class variable SDTMIG 3.4 lets a sponsor add to EX,
each with its label, type, role, position and ``source`` ("IG" or "MODEL"). ``variable_permission`` answers
"may V be used in D, and why (not)?"; a domain SDTMIG does not define (``XX`` of class Findings) is built
from its class.

Rules implemented (SDTMIG 3.4; the per-domain facts are data in ``specs/sdtm_model_rules.yaml``):

1. §2.5: the variables of the dataset's own SDTMIG table are allowed (source "IG").
2. §2.5: in a dataset of a general observation class, any SDTM identifier and any SDTM timing variable of the
   general observation classes may be added, and any qualifier of the dataset's own class (Findings About:
   the Findings qualifiers and --OBJ, §6.4); source "MODEL".
3. §2.6 c: variables of another general observation class must not be added, neither its qualifiers nor its
   topic variable (EXTESTCD, AETRT are refused); a custom domain takes the topic of its own class.
4. §2.6 f: "--" is replaced by the 2-character domain code (split datasets such as FAMH use FA).
5. §2.7: variables defined for SEND that must never be used for human trials are refused (--USCHFL, RPHASE,
   --RPDY, ..., --METHOD in Interventions, --RESLOC in Findings, ...); --ANTREG, --CHRON, --DISTR are allowed
   with the IG's "extreme caution" as advice.
6. Domain assumptions that narrow rule 2: AE assumption 10 (no --OCCUR, --STAT, --REASND), QRS assumption 8
   (no --EVAL/--EVALID in FT, QS), MB assumption 4 (no NHOID); and the "would generally not be used" lists
   of the domain assumptions, kept as ``advice`` on variables that stay allowed.
7. §2.5 applies to the general observation classes: special-purpose, trial design, relationship and study
   reference datasets take only their SDTMIG table, except what DM assumption 8a (VISITNUM, VISIT, VISITDY,
   DMXFN), CO assumption 6, SE assumptions 10-11 and SV assumptions 14-15 allow.
8. §4.1.4 (and §2.6 g): variables are ordered identifiers, topic, qualifiers, timing, and within a role as in
   the SDTM class tables. An added variable goes right after the last IG variable of its role that precedes
   it in that order, or, when there is none, before the first IG variable that follows it. The SDTMIG 3.4
   tables of the general observation classes follow the SDTM order exactly, so there this is the SDTM order;
   IG variables always keep their IG order (CO, SE and SV tables mix roles).
9. §2.6 a-b, e: a custom domain has STUDYID, DOMAIN, USUBJID, --SEQ and its class's topic variable as
   required variables and every other variable of rules 2-5 as permissible; its code is 2 characters, not
   an SDTMIG 3.4 domain and not AD, AX, AP, SQ or SA. (A code of the CT DOMAIN codelist that SDTMIG 3.4 does
   not define, e.g. a device domain of SDTMIG-MD, is built the same way, labelled from the codelist.)

An added variable has the SDTM label, type and role, core "Perm", and the codelist(s) the SDTMIG tables give
the same variable in every other domain that has it, when they all agree (VSNRIND gets NRIND, EXSTRF STENRF;
MHSEV none, since AE and CE use different codelists).

>>> ex = allowed_variables("EX")
>>> [v.name for v in ex.variables if v.name in ("EXADJ", "VISITNUM", "VISIT", "VISITDY", "TAETORD")]
['EXADJ', 'VISITNUM', 'VISIT', 'VISITDY', 'TAETORD']
>>> p = variable_permission("EX", "VISITNUM")
>>> bool(p), p.source, p.spec.label, p.spec.type
(True, 'MODEL', 'Visit Number', 'Num')
>>> bool(variable_permission("EX", "EXTESTCD"))
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

import yaml

from .errors import CdiscKitError
from .standards import (
    SDTMIG,
    SPECS_DIR,
    DatasetSpec,
    VariableSpec,
    _codelists_of,
    _read_rows,
    available_codelists,
    sdtm_dataset,
)

MODEL = "SDTM v2.0"
GENERAL_CLASSES = ("Interventions", "Events", "Findings", "Findings About")
TOPICS = {"Interventions": "--TRT", "Events": "--TERM", "Findings": "--TESTCD", "Findings About": "--TESTCD"}
RESERVED_CODES = ("AD", "AX", "AP", "SQ", "SA")  # SDTMIG 3.4 §2.6 e
_GROUP = {"Identifier": 0, "Topic": 1, "Timing": 3}  # §4.1.4; every qualifier role is 2


@dataclass(frozen=True)
class ClassVariable:
    """One row of specs/sdtm-2.0/class_variables.csv (``name`` keeps the ``--`` placeholder)."""

    class_: str
    order: int
    name: str
    label: str
    role: str
    type: str
    description: str

    def concrete(self, domain: str) -> str:
        return domain + self.name[2:] if self.name.startswith("--") else self.name


@dataclass(frozen=True)
class Permission:
    """The answer of ``variable_permission``; true when the variable is allowed."""

    domain: str
    variable: str
    allowed: bool
    source: str  # "IG" (domain table), "MODEL" (SDTM class variable SDTMIG allows here) or "" (refused)
    reason: str
    spec: VariableSpec | None = None

    def __bool__(self) -> bool:
        return self.allowed


@cache
def _model() -> tuple[ClassVariable, ...]:
    rows = _read_rows(SPECS_DIR / "sdtm-2.0" / "class_variables.csv")
    return tuple(
        ClassVariable(r["class"], int(r["order"]), r["variable"], r["label"], r["role"], r["type"], r["description"])
        for r in rows
    )


def class_variables(class_: str) -> tuple[ClassVariable, ...]:
    """The SDTM v2.0 variables of a class table, in the model's order.

    Tables: General Observations (identifiers and timing), Interventions, Events, Findings, Findings About.

    >>> [v.name for v in class_variables("Findings")][:3], len(class_variables("General Observations"))
    (['--TESTCD', '--TEST', '--SBMRKS'], 64)
    """
    found = tuple(v for v in _model() if v.class_.lower() == class_.lower())
    if not found:
        classes = sorted({v.class_ for v in _model()})
        raise CdiscKitError(f"{class_!r} is not an {MODEL} class table; expected one of {', '.join(classes)}")
    return found


@cache
def _rules() -> dict:
    return yaml.safe_load((SPECS_DIR / "sdtm_model_rules.yaml").read_text(encoding="utf-8"))


def _class_name(class_: str) -> str:
    for c in GENERAL_CLASSES:
        if c.lower() == class_.strip().lower().replace("_", " "):
            return c
    raise CdiscKitError(f"class {class_!r} is not a general observation class ({', '.join(GENERAL_CLASSES)})")


def _base(name: str) -> str | None:
    """The SDTMIG 3.4 dataset ``name`` is (or is a split of: FAMH -> FA); None for a domain SDTMIG lacks."""
    name = name.upper()
    known = set(_datasets())
    if name in known:
        return name
    if name.startswith("SUPP"):
        return "SUPPQUAL"
    if len(name) == 4 and name[:2] in known and _datasets()[name[:2]] in GENERAL_CLASSES:
        return name[:2]
    return None


@cache
def _datasets() -> dict[str, str]:
    return {r["dataset"]: r["class"] for r in _read_rows(SPECS_DIR / "sdtmig-3.4" / "datasets.csv")}


def domain_class(name: str) -> str | None:
    """SDTMIG 3.4 class of a dataset (``"Findings"`` for VS and for a split QS dataset QSPH); None if unknown.

    >>> domain_class("MH"), domain_class("FAMH"), domain_class("XX")
    ('Events', 'Findings About', None)
    """
    base = _base(name)
    return _datasets()[base] if base else None


def _group(role: str) -> int:
    return _GROUP.get(role, 2)


def _tables(cls: str) -> dict[int, list[ClassVariable]]:
    """Model variables by role group for a dataset class (qualifier order: Findings About --OBJ after --TEST)."""
    go = class_variables("General Observations")
    quals: list[ClassVariable] = []
    if cls in GENERAL_CLASSES:
        quals = list(class_variables("Findings" if cls == "Findings About" else cls))
        if cls == "Findings About":
            quals += list(class_variables("Findings About"))
    return {0: [v for v in go if v.role == "Identifier"], 2: quals, 3: [v for v in go if v.role == "Timing"]}


def _within(v: ClassVariable) -> float:
    return 2.5 if v.class_ == "Findings About" else float(v.order)  # --OBJ right after --TEST (FA, SR tables)


@dataclass(frozen=True)
class _Rules:
    identifiers: object  # "all" or a list
    timing: object
    qualifiers: dict  # model class -> "all" or list
    not_permitted: dict  # concrete name -> section
    advice: dict  # concrete name -> advice text
    section: str


def _domain_rules(code: str, cls: str) -> _Rules:
    rules = _rules()
    default = rules["classes"].get(cls, {"identifiers": [], "timing": [], "qualifiers": {}})
    entry = rules["domains"].get(code, {})
    section = entry.get("section", "SDTMIG 3.4 §2.5" if cls in GENERAL_CLASSES else f"SDTMIG 3.4 §2.5 ({cls})")

    def names(items) -> list[str]:
        return [code + n[2:] if n.startswith("--") else n for n in items]

    not_permitted = {}
    if "not_permitted" in entry:
        for n in names(entry["not_permitted"]["variables"]):
            not_permitted[n] = entry["not_permitted"]["section"]
    advice = {}
    for block in entry.get("generally_not_used", []):
        for n in names(block["variables"]):
            advice[n] = f"would generally not be used in {code} (SDTMIG 3.4 {block['section']})"
    caution = rules["caution"]
    qualifiers = entry.get("qualifiers", default["qualifiers"])
    for model_class, items in caution.items():
        if model_class != "section" and model_class in qualifiers:
            for n in names(items):
                advice[n] = f"not evaluated for human clinical trials: use with extreme caution ({caution['section']})"
    return _Rules(
        entry.get("identifiers", default["identifiers"]),
        entry.get("timing", default["timing"]),
        qualifiers,
        not_permitted,
        advice,
        section,
    )


def _never(code: str) -> dict[str, set[str]]:
    """Concrete name -> SDTM classes in which §2.7 says it must never be used ("any" = every class)."""
    never = _rules()["never"]
    out: dict[str, set[str]] = {}
    for model_class, items in never.items():
        if model_class != "section":
            for n in items:
                out.setdefault(code + n[2:] if n.startswith("--") else n, set()).add(model_class)
    return out


def _picked(selection, v: ClassVariable, code: str) -> bool:
    if selection == "all":
        return True
    return v.name in (selection or []) or v.concrete(code) in (selection or [])


@cache
def _candidates(code: str, cls: str, custom: bool) -> dict[str, tuple[ClassVariable, tuple[int, float]]]:
    """Model variables SDTMIG allows in dataset ``code`` of class ``cls``: concrete name -> (variable, order key)."""
    rules = _domain_rules(code, cls)
    never = _never(code)
    tables = _tables(cls)
    out: dict[str, tuple[ClassVariable, tuple[int, float]]] = {}
    for v in tables[0]:
        if _picked(rules.identifiers, v, code):
            out[v.concrete(code)] = (v, (0, v.order))
    for v in tables[3]:
        if _picked(rules.timing, v, code):
            out[v.concrete(code)] = (v, (3, v.order))
    # the qualifier tables the rules name (a special-purpose dataset may borrow some: DM takes --XFN)
    for v in (v for c in rules.qualifiers for v in class_variables(c)):
        if v.role == "Topic":
            if custom:
                out[v.concrete(code)] = (v, (1, 0.0))
        elif _picked(rules.qualifiers[v.class_], v, code):
            out[v.concrete(code)] = (v, (2, _within(v)))
    for name in list(out):
        if never.get(name, set()) & {"any", out[name][0].class_} or name in rules.not_permitted:
            del out[name]
    return out


@cache
def _codelist_table() -> dict[tuple[str, str], tuple[str, ...]]:
    """(model table, ``--NAME``) -> codelists when every SDTMIG domain with that variable gives the same ones."""
    uses: dict[tuple[str, str], set[str]] = {}
    datasets = _datasets()
    for r in _read_rows(SPECS_DIR / "sdtmig-3.4" / "variables.csv"):
        cls = datasets.get(r["dataset"], "")
        if cls not in GENERAL_CLASSES:
            continue
        name = r["variable"]
        generic = "--" + name[2:] if name.startswith(r["dataset"]) else name
        table = "General Observations" if r["role"] in ("Identifier", "Timing") else cls.replace(" About", "")
        uses.setdefault((table, generic), set()).add(r["codelist_names"])
    return {k: _codelists_of(next(iter(v))) for k, v in uses.items() if len(v) == 1 and _codelists_of(next(iter(v)))}


def _model_spec(v: ClassVariable, code: str, order: int, advice: str) -> VariableSpec:
    table = v.class_.replace(" About", "")
    cls = _codelist_table().get((table, v.name), ())
    return VariableSpec(
        v.concrete(code),
        v.label,
        v.type,
        "Perm",
        order,
        cls[0] if cls else None,
        cls,
        v.role,
        source="MODEL",
        advice=advice,
    )


def _ig_key(code: str, cls: str, ig: list[VariableSpec]) -> list[tuple[int, float]]:
    """Order keys of the IG variables (model position; a variable the model lacks inherits its predecessor's)."""
    tables = _tables(cls)
    keys = []
    last: dict[int, float] = {}
    for v in ig:
        group = _group(v.role)
        table = tables.get(group, []) if group != 1 else []
        match = next((m for m in table if m.concrete(code) == v.name), None)
        within = 0.0 if group == 1 else (_within(match) if match else last.get(group, 0.0))
        last[group] = within
        keys.append((group, within))
    return keys


@cache
def allowed_variables(name: str, class_: str | None = None, label: str | None = None) -> DatasetSpec:
    """Every variable SDTMIG 3.4 permits in dataset ``name``, in SDTMIG order, with ``source`` "IG" or "MODEL".

    ``class_`` is needed only for a domain SDTMIG does not define (then built as ``custom_domain``); for an
    SDTMIG dataset it must match its class. Keys, label and structure are those of ``sdtm_dataset``.

    >>> mh = allowed_variables("MH")
    >>> [(v.name, v.source) for v in mh.variables if v.name in ("MHDECOD", "MHLLT", "MHHLT", "MHSEV")]
    [('MHLLT', 'MODEL'), ('MHDECOD', 'IG'), ('MHHLT', 'MODEL'), ('MHSEV', 'MODEL')]
    """
    name = name.upper()
    base = _base(name)
    if base is None:
        if class_ is None:
            raise CdiscKitError(
                f"dataset {name} is not in {SDTMIG}: give its general observation class to build it as a custom domain"
            )
        return custom_domain(name, class_, label)
    cls = _datasets()[base]
    if class_ is not None and cls.lower() != class_.strip().lower():
        raise CdiscKitError(f"{name} is a{'n' if cls[0] in 'AEIOU' else ''} {cls} dataset in {SDTMIG}, not {class_}")
    ig = sdtm_dataset(name if base == "SUPPQUAL" else base)
    code = name[:2]
    if base == "SUPPQUAL" or (cls not in GENERAL_CLASSES and code not in _rules()["domains"]):
        variables = [replace(v, source="IG") for v in ig.variables]
        return replace(ig, name=name, variables=tuple(variables))
    ig_vars = list(ig.variables)
    cands = _candidates(code, cls, False)
    extra = sorted(((k, n, v) for n, (v, k) in cands.items() if n not in set(ig.names)), key=lambda t: t[0])
    keys = _ig_key(code, cls, ig_vars)
    rules = _domain_rules(code, cls)
    slots: dict[int, list] = {}  # index of the IG variable an added one goes before
    for k, n, v in extra:
        same_role = [i for i, ik in enumerate(keys) if ik[0] == k[0] and ik < k]
        if same_role:  # right after the last IG variable of its role that precedes it
            slot = same_role[-1] + 1
        else:  # else before the first IG variable that follows it
            slot = next((i for i, ik in enumerate(keys) if ik > k), len(keys))
        slots.setdefault(slot, []).append((n, v))
    merged: list[VariableSpec] = []
    for i in range(len(ig_vars) + 1):
        for n, v in slots.get(i, []):
            merged.append(_model_spec(v, code, len(merged) + 1, rules.advice.get(n, "")))
        if i < len(ig_vars):
            merged.append(replace(ig_vars[i], order=len(merged) + 1, source="IG"))
    return replace(ig, name=name, variables=tuple(merged))


@cache
def custom_domain(name: str, class_: str, label: str | None = None) -> DatasetSpec:
    """A domain SDTMIG 3.4 does not define, built from its general observation class (SDTMIG 3.4 §2.6).

    >>> xx = custom_domain("XX", "Findings", "Xenon Exposure Findings")
    >>> [v.name for v in xx.variables if v.core == "Req"], xx.variable("XXORRES").core, xx.keys
    (['STUDYID', 'DOMAIN', 'USUBJID', 'XXSEQ', 'XXTESTCD'], 'Perm', ('STUDYID', 'USUBJID', 'XXTESTCD', 'XXDTC'))
    """
    code = name.upper()
    cls = _class_name(class_)
    if not re.fullmatch(r"[A-Z][A-Z0-9]", code):
        raise CdiscKitError(f"custom domain code {name!r} must be 2 characters, a letter then a letter or digit")
    if code in RESERVED_CODES:
        raise CdiscKitError(f"{code} may not be used as a custom domain code (SDTMIG 3.4 §2.6 e)")
    if code in _datasets():
        raise CdiscKitError(f"{code} is an {SDTMIG} domain, not a custom one: use allowed_variables({code!r})")
    required = {"STUDYID", "DOMAIN", "USUBJID", f"{code}SEQ", code + TOPICS[cls][2:]}
    cands = _candidates(code, cls, True)
    rules = _domain_rules(code, cls)
    ordered = sorted(cands.items(), key=lambda item: item[1][1])
    variables = []
    for i, (n, (v, _)) in enumerate(ordered, start=1):
        spec = _model_spec(v, code, i, rules.advice.get(n, ""))
        if n in required:
            spec = replace(spec, core="Req")
        if n == "DOMAIN":
            spec = replace(spec, codelist=None, codelists=(), value_list=(code,))
        variables.append(spec)
    topic = code + TOPICS[cls][2:]
    keys = ["STUDYID", "USUBJID", topic] + ([f"{code}OBJ"] if cls == "Findings About" else [])
    keys.append(f"{code}DTC" if cls.startswith("Findings") else f"{code}STDTC")
    return DatasetSpec(code, label or _custom_label(code, cls), cls, "", SDTMIG, tuple(keys), tuple(variables))


def _custom_label(code: str, cls: str) -> str:
    for cl in available_codelists(("DOMAIN",)):
        if code in cl.decodes:  # a CDISC domain of another implementation guide (e.g. SDTMIG-MD)
            return cl.decodes[code].removesuffix(" Domain")[:40]
    return f"{code} ({cls} custom domain)"[:40]


def variable_permission(domain: str, variable: str, class_: str | None = None) -> Permission:
    """May ``variable`` be used in dataset ``domain`` under SDTMIG 3.4? With the source ("IG"/"MODEL") or the reason.

    >>> variable_permission("MH", "MHSEV").source, variable_permission("VS", "VSSEV").allowed
    ('MODEL', True)
    >>> print(variable_permission("AE", "AEOCCUR").reason)
    AEOCCUR may not be added to AE (SDTMIG 3.4 AE assumption 10)
    """
    domain, variable = domain.upper(), variable.upper()
    spec = allowed_variables(domain, class_)
    found = spec.variable(variable)
    if found is not None:
        if found.source == "IG":
            why = f"{variable} is in the {SDTMIG} {spec.name[:2] if spec.name[:4] != 'SUPP' else 'SUPPQUAL'} table"
        else:
            section = "SDTMIG 3.4 §2.6" if _base(domain) is None else _domain_rules(domain[:2], spec.class_).section
            why = f"{variable} is an {MODEL} {found.role.lower()} that {SDTMIG} allows in {domain} ({section})"
        note = f"; {found.advice}" if found.advice else ""
        return Permission(domain, variable, True, found.source, why + note, found)
    return Permission(domain, variable, False, "", _refusal(domain, variable, spec))


def _refusal(domain: str, variable: str, spec: DatasetSpec) -> str:
    """Why a variable is not allowed (the first rule that refuses it)."""
    code = domain[:2]
    cls = spec.class_
    if domain.startswith("SUPP") or (cls not in GENERAL_CLASSES and code not in _rules()["domains"]):
        what = "SUPPQUAL" if domain.startswith("SUPP") else domain
        return (
            f"{variable} is not in the {SDTMIG} {what} table, and {cls} datasets take no other variables "
            "(SDTMIG 3.4 §2.5 adds SDTM variables to the general observation classes only)"
        )
    rules = _domain_rules(code, cls)
    if variable in rules.not_permitted:
        return f"{variable} may not be added to {domain} (SDTMIG 3.4 {rules.not_permitted[variable]})"
    never = _never(code)
    owners = [v for v in _model() if v.concrete(code) == variable]
    if any(never.get(variable, set()) & {"any", v.class_} for v in owners):
        return f"{variable} is a SEND variable that must never be used in human clinical trials (SDTMIG 3.4 §2.7)"
    if owners:
        own = [v for v in owners if v.class_ in (cls, "Findings" if cls == "Findings About" else cls)]
        other = [v for v in owners if v not in own and v.class_ != "General Observations"]
        if not own and other:
            v = other[0]
            what = "the topic variable" if v.role == "Topic" else "a qualifier"
            classes = sorted({o.class_ for o in other}, key=GENERAL_CLASSES.index)
            of = f"the {classes[0]} class" if len(classes) == 1 else f"the {' and '.join(classes)} classes"
            return (
                f"{v.name} is {what} of {of} and {domain} is a{'n' if cls[0] in 'AEIOU' else ''} {cls} dataset: "
                "variables of another general observation class must not be added (SDTMIG 3.4 §2.6 c)"
            )
        return f"{variable} is an {MODEL} variable that {domain} may not carry ({rules.section})"
    prefixed = re.fullmatch(r"([A-Z][A-Z0-9])(\w+)", variable)
    if prefixed and prefixed.group(1) != code and any(v.name == "--" + prefixed.group(2) for v in _model()):
        return f"{variable} does not carry the domain code {code}: in {domain} it is {code}{prefixed.group(2)} (SDTMIG 3.4 §2.6 f)"
    supp = f"SUPP{domain}" if len(domain) <= 4 else "a SUPP-- dataset"
    return f"{variable} is neither in the {SDTMIG} {domain} table nor an {MODEL} variable of its class: put it in {supp} (SDTMIG 3.4 §8.4)"
