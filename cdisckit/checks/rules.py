"""The rule catalogue: one entry per conformance rule, read from ``catalogue.yaml`` beside this module.

Each :class:`Rule` carries its severity (error where the standard says "must", warning where it says
"should"), the standard it comes from, the published ids it implements (CDISC SDTMIG conformance rules
CG####, FDA business / validator rules FB#### / SD####, FDA technical rejection criteria TRC####, the CDISC
CORE rule CORE-######) and the engine that evaluates it. Rules whose ``engine`` is ``gx`` are
great-expectations expectations generated from specs/ (``suites.py``) or from the rule's ``expect`` block
(``declared.py``); the others are vectorised pandas checks GX cannot express (byte lengths, labels,
partial-date order, cross-dataset links; ``native_rules.py``, ``cross_rules.py``). Both engines run all rules.

>>> RULES["SEQ-UNIQUE"].severity, RULES["SEQ-UNIQUE"].refs
('error', ('CG0028', 'CORE-000544'))
>>> RULES["BDSYCD-MISSING"].engine, RULES["BDSYCD-MISSING"].cdisc
('gx', ('CG0082',))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import SpecError
from ..specio import line_of, load_yaml
from ..standards import ADAMIG, CT_VERSION, SDTMIG

ERROR = "error"
WARNING = "warning"

CT = f"CDISC CT {CT_VERSION}"
ISO8601 = "ISO 8601"
XPT = "SAS XPORT v5 (TS-140) / FDA TCG"
TRC = "FDA Technical Rejection Criteria"
SPEC = "dataset spec"  # placeholder: replaced by the dataset's standard (SDTMIG 3.4 or ADaMIG 1.3)
_STANDARDS = {"spec": SPEC, "ct": CT, "iso8601": ISO8601, "xpt": XPT, "FDA TRC": TRC}

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
ENGINES = ("gx", "native")
_FIELDS = {"id", "severity", "standard", "engine", "message", "source", "cdisc", "fda", "core", "note", "expect"}


@dataclass(frozen=True)
class Rule:
    """One conformance rule; ``standard`` is :data:`SPEC` when it is the dataset's own standard."""

    id: str
    severity: str
    standard: str
    message: str
    engine: str = "native"
    source: str = ""
    cdisc: tuple[str, ...] = ()
    fda: tuple[str, ...] = ()
    core: tuple[str, ...] = ()
    note: str = ""
    expect: dict | None = field(default=None, compare=False)

    @property
    def refs(self) -> tuple[str, ...]:
        """Every published id the rule implements: CDISC, then FDA, then CORE."""
        return self.cdisc + self.fda + self.core


def _ids(entry: dict, key: str) -> tuple[str, ...]:
    value = entry.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError("expected a list of rule ids", file=CATALOGUE_FILE, line=line_of(entry, key), key=key)
    return tuple(value)


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[Rule, ...]:
    """The rules of a catalogue file, checked (unknown keys, severities and engines are SpecErrors)."""
    doc = load_yaml(path, "rule catalogue")
    out = []
    for entry in doc["rules"]:
        for key in entry:
            if key not in _FIELDS:
                raise SpecError("unknown key", file=path, line=line_of(entry, key), key=key)
        if entry.get("severity") not in (ERROR, WARNING):
            raise SpecError("severity must be error or warning", file=path, line=line_of(entry), key="severity")
        if entry.get("engine") not in ENGINES:
            raise SpecError("engine must be gx or native", file=path, line=line_of(entry), key="engine")
        std = str(entry.get("standard", "spec"))
        out.append(
            Rule(
                id=entry["id"],
                severity=entry["severity"],
                standard=_STANDARDS.get(std, std),
                message=entry["message"],
                engine=entry["engine"],
                source=entry.get("source", ""),
                cdisc=_ids(entry, "cdisc"),
                fda=_ids(entry, "fda"),
                core=_ids(entry, "core"),
                note=" ".join(str(entry.get("note", "")).split()),
                expect=entry.get("expect"),
            )
        )
    ids = [r.id for r in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SpecError(f"duplicate rule id(s) {', '.join(dup)}", file=path)
    return tuple(out)


RULES: dict[str, Rule] = {r.id: r for r in load_catalogue()}
GX_RULES = frozenset(r.id for r in RULES.values() if r.engine == "gx")
NATIVE_RULES = frozenset(RULES) - GX_RULES
DECLARED_RULES = tuple(r for r in RULES.values() if r.expect)

TESTCD_REGEX = r"^[A-Za-z_][A-Za-z0-9_]*$"
XPT_NAME_REGEX = r"^[A-Z_][A-Z0-9_]{0,7}$"

__all__ = ["ADAMIG", "SDTMIG", "RULES", "Rule", "GX_RULES", "NATIVE_RULES", "DECLARED_RULES"]


@cache
def core_differences(path: Path = CATALOGUE_FILE) -> tuple[dict, ...]:
    """CORE rules cdisckit does not implement because what they report is not an issue, with the reason."""
    doc = load_yaml(path, "rule catalogue")
    return tuple(
        {"core": d["core"], "ids": tuple(d.get("ids") or ()), "reason": " ".join(str(d["reason"]).split())}
        for d in doc.get("core_differences") or []
    )


def standard_of(rule: Rule, dataset_standard: str) -> str:
    """The standard a finding cites: the dataset's own standard for spec-driven rules."""
    return dataset_standard if rule.standard == SPEC else rule.standard
