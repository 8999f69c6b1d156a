"""Load and validate a study's trial design file (``design:`` in study.yaml, e.g. ``mappings/c-car031/design.yaml``).

The file holds the protocol's design facts: trial summary parameters (TS), elements (TE) with the rule that starts
each one for a subject, arms as sequences of elements (TA), the rules of the planned visits (TV), the eligibility
criteria (TI), and the coding dictionaries the study uses. Everything is checked when loaded, and a problem is a
:class:`~cdisckit.errors.SpecError` naming the file, line and key. The datasets are built by
:mod:`cdisckit.sdtm.trial_design` and :mod:`cdisckit.sdtm.derive_se`.

>>> import pathlib
>>> d = load_design(pathlib.Path(__file__).resolve().parent.parent / "mappings" / "c-car031" / "design.yaml")
>>> d["arms"]["LEN"]["elements"]
['SCRN', 'LD', 'CART', 'LEN', 'FU']
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from cdisckit.conditions import condition_problem
from cdisckit.errors import SpecError
from cdisckit.specio import load_yaml, spec_error
from cdisckit.standards import SPECS_DIR, codelist

DESIGN_KEYS = {"summary", "elements", "arms", "visits", "criteria", "dictionaries", "subject_end", "unscheduled_visit"}
ELEMENT_KEYS = {"element", "epoch", "testrl", "teenrl", "tedur", "start"}
START_KEYS = {"first_date", "last_date", "where", "offset_days", "not_if_blank"}
ARM_KEYS = {"arm", "elements", "branch", "transition"}
VISIT_KEYS = {"tvstrl", "tvenrl", "arms"}
CRITERION_KEYS = {"ietestcd", "ietest", "iecat", "iescat", "tirl", "tivers"}
DICTIONARY_KEYS = {"version", "variables", "note", "href"}
TS_VALUE_KEYS = {"value", "code", "reference", "version", "null_flavor", "derive", "of", "where", "description"}
TS_DERIVATIONS = {"first_date", "last_date", "count", "values", "data_cutoff"}
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
ISO_DURATION = re.compile(r"P(?=\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?\Z")
REF_VAR = re.compile(r"[A-Z][A-Z0-9]{1,7}\.[A-Z][A-Z0-9]{0,7}\Z")


@cache
def ts_parameters() -> dict:
    """The TS parameter metadata of ``specs/ts_parameters.yaml`` (codelists, formats, FDA-expected parameters)."""
    return yaml.safe_load((SPECS_DIR / "ts_parameters.yaml").read_text(encoding="utf-8"))


def _keys(obj, allowed: set, what: str, path: str):
    if not isinstance(obj, dict):
        raise spec_error(f"{what} must be a mapping", obj, None, path)
    for k in obj:
        if k not in allowed:
            raise spec_error(
                f"unknown key {k!r} in {what} (allowed: {', '.join(sorted(allowed))})", obj, k, f"{path}.{k}"
            )


def _text(obj, key, path, limit=200, required=True) -> str | None:
    v = obj.get(key) if isinstance(obj, dict) else None
    if v is None:
        if required:
            raise spec_error(f"{key!r} is required", obj, None, path)
        return None
    if isinstance(v, bool):
        raise spec_error('YAML read Yes/No/On/Off as true/false: quote it ("N")', obj, key, f"{path}.{key}")
    text = str(v)
    if len(text.encode("utf-8")) > limit:
        raise spec_error(f"longer than {limit} bytes (the XPT v5 limit)", obj, key, f"{path}.{key}")
    return text


def _ref(value, obj, key, path) -> str:
    if not isinstance(value, str) or not REF_VAR.match(value):
        raise spec_error(f"expected DATASET.VARIABLE (e.g. DM.RFICDTC), got {value!r}", obj, key, path)
    return value


def load_design(path: Path, *, epochs_ct: bool = True) -> dict:
    """Read and validate a trial design file; returns it as a plain dict with the file name under ``file``."""
    path = Path(path)
    doc = load_yaml(path, "trial design file")
    if not isinstance(doc, dict):
        raise SpecError("the trial design file must be a YAML mapping", file=str(path), line=1)
    _keys(doc, DESIGN_KEYS, Path(path).name, "design")
    for req in ("summary", "elements", "arms"):
        if req not in doc:
            raise SpecError(f"required key {req!r} missing", file=str(path), line=1, key=req)
    elements = _elements(doc["elements"], epochs_ct)
    arms = _arms(doc["arms"], elements)
    summary = _summary(doc["summary"], doc)
    visits = doc.get("visits") or {}
    if not isinstance(visits, dict):
        raise spec_error("visits must be a mapping {VISIT: {tvstrl: ...}}", doc, "visits", "visits")
    for name, v in visits.items():
        _keys(v, VISIT_KEYS, f"visit {name}", f"visits.{name}")
        _text(v, "tvstrl", f"visits.{name}")
        _text(v, "tvenrl", f"visits.{name}", required=False)
        for a in v.get("arms") or []:
            if a not in arms:
                raise spec_error(f"unknown arm {a!r}", v, "arms", f"visits.{name}.arms")
    criteria = doc.get("criteria") or []
    seen: set = set()
    for i, c in enumerate(criteria):
        p = f"criteria[{i}]"
        _keys(c, CRITERION_KEYS, "criterion", p)
        code = _text(c, "ietestcd", p, limit=8)
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", str(code)):
            raise spec_error("IETESTCD must be 1-8 upper-case letters, digits or _", c, "ietestcd", f"{p}.ietestcd")
        if code in seen:
            raise spec_error(f"duplicate IETESTCD {code!r}", c, "ietestcd", f"{p}.ietestcd")
        seen.add(code)
        _text(c, "ietest", p)
        cat = _text(c, "iecat", p)
        if cat not in codelist("IECAT").values:
            raise spec_error(f"IECAT {cat!r} is not in codelist IECAT (INCLUSION, EXCLUSION)", c, "iecat", f"{p}.iecat")
    for name, d in (doc.get("dictionaries") or {}).items():
        p = f"dictionaries.{name}"
        _keys(d, DICTIONARY_KEYS, f"dictionary {name}", p)
        _text(d, "version", p)
        for v in d.get("variables") or []:
            _ref(v, d, "variables", f"{p}.variables")
    if doc.get("subject_end") is not None:
        _ref(doc["subject_end"], doc, "subject_end", "subject_end")
    return {
        "file": str(path),
        "summary": summary,
        "elements": elements,
        "arms": arms,
        "visits": dict(visits),
        "criteria": list(criteria),
        "dictionaries": dict(doc.get("dictionaries") or {}),
        "subject_end": doc.get("subject_end") or "DM.RFPENDTC",
        "unscheduled_visit": doc.get("unscheduled_visit"),
        "doc": doc,
    }


def _elements(elements, epochs_ct: bool) -> dict:
    if not isinstance(elements, dict) or not elements:
        raise spec_error("elements must be a mapping {ETCD: {element: ..., ...}}", elements, None, "elements")
    epoch_ct = codelist("EPOCH")
    for etcd, e in elements.items():
        p = f"elements.{etcd}"
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", str(etcd)):
            raise spec_error("ETCD must be 1-8 upper-case letters, digits or _", elements, etcd, p)
        _keys(e, ELEMENT_KEYS, f"element {etcd}", p)
        _text(e, "element", p, limit=40 * 5)
        _text(e, "testrl", p)
        epoch = _text(e, "epoch", p)
        if epochs_ct and epoch not in epoch_ct.values and not epoch_ct.extensible:
            raise spec_error(f"{epoch!r} not in codelist EPOCH", e, "epoch", f"{p}.epoch")
        if e.get("tedur") is not None and not ISO_DURATION.match(str(e["tedur"])):
            raise spec_error("TEDUR must be an ISO 8601 duration such as P28D", e, "tedur", f"{p}.tedur")
        if e.get("start") is not None:
            s = e["start"]
            _keys(s, START_KEYS, f"start of element {etcd}", f"{p}.start")
            kinds = [k for k in ("first_date", "last_date") if k in s]
            if len(kinds) != 1:
                raise spec_error("give one of first_date or last_date", e, "start", f"{p}.start")
            refs = s[kinds[0]] if isinstance(s[kinds[0]], list) else [s[kinds[0]]]
            for r in refs:
                _ref(r, s, kinds[0], f"{p}.start.{kinds[0]}")
            if len({r.split(".")[0] for r in refs}) != 1:
                raise spec_error("the dates of one start rule come from one dataset", s, kinds[0], f"{p}.start")
            if "where" in s:
                problem = condition_problem(s["where"], f"{p}.start.where")
                if problem:
                    raise spec_error(problem[1], s, "where", problem[0])
            if "offset_days" in s and (isinstance(s["offset_days"], bool) or not isinstance(s["offset_days"], int)):
                raise spec_error("offset_days must be a whole number of days", s, "offset_days", f"{p}.start")
            if "not_if_blank" in s:
                _ref(s["not_if_blank"], s, "not_if_blank", f"{p}.start.not_if_blank")
    return dict(elements)


def _arms(arms, elements: dict) -> dict:
    if not isinstance(arms, dict) or not arms:
        raise spec_error("arms must be a mapping {ARMCD: {arm: ..., elements: [...]}}", arms, None, "arms")
    names: dict = {}
    for armcd, a in arms.items():
        p = f"arms.{armcd}"
        if len(str(armcd)) > 20:
            raise spec_error("ARMCD longer than 20 characters", arms, armcd, p)
        _keys(a, ARM_KEYS, f"arm {armcd}", p)
        arm = _text(a, "arm", p)
        if arm in names:
            raise spec_error(f"arm description {arm!r} also used by {names[arm]}", a, "arm", f"{p}.arm")
        names[arm] = armcd
        seq = a.get("elements")
        if not isinstance(seq, list) or not seq:
            raise spec_error("elements must be a non-empty list of ETCD", a, "elements", f"{p}.elements")
        for etcd in seq:
            if etcd not in elements:
                raise spec_error(f"unknown element {etcd!r} (not under elements:)", a, "elements", f"{p}.elements")
        if len(set(seq)) != len(seq):
            raise spec_error("an element appears twice in the arm", a, "elements", f"{p}.elements")
        for key in ("branch", "transition"):
            for etcd in a.get(key) or {}:
                if etcd not in seq:
                    raise spec_error(f"{key} on element {etcd!r}, which the arm does not have", a[key], etcd, p)
                _text(a[key], etcd, f"{p}.{key}")
    return dict(arms)


def _summary(summary, doc) -> dict:
    """TS parameters: ``TSPARMCD: value | [values] | {value, code, reference, version} | {null_flavor} | {derive}``."""
    if not isinstance(summary, dict):
        raise spec_error("summary must be a mapping {TSPARMCD: value}", doc, "summary", "summary")
    meta = ts_parameters()
    params = meta["parameters"]
    known = codelist("TSPARMCD").values
    for parmcd, raw in summary.items():
        p = f"summary.{parmcd}"
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,7}", str(parmcd)):
            raise spec_error("TSPARMCD must be 1-8 upper-case letters or digits", summary, parmcd, p)
        if parmcd not in known:
            raise spec_error(f"{parmcd!r} is not a TSPARMCD of CT (specs/ct/TSPARMCD.csv)", summary, parmcd, p)
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise spec_error("give at least one value", summary, parmcd, p)
        spec = params.get(parmcd, {})
        for i, item in enumerate(items):
            ip = p if len(items) == 1 else f"{p}[{i}]"
            if isinstance(item, bool):
                raise spec_error('YAML read Yes/No/On/Off as true/false: quote it ("N")', summary, parmcd, ip)
            if isinstance(item, dict):
                _keys(item, TS_VALUE_KEYS, f"TS value of {parmcd}", ip)
                if "derive" in item:
                    if item["derive"] not in TS_DERIVATIONS:
                        raise spec_error(
                            f"unknown derivation {item['derive']!r} (known: {', '.join(sorted(TS_DERIVATIONS))})",
                            item,
                            "derive",
                            f"{ip}.derive",
                        )
                    of = item.get("of")
                    if item["derive"] != "data_cutoff" and (
                        not isinstance(of, str) or not re.fullmatch(r"[A-Z][A-Z0-9]{1,7}(\.[A-Z][A-Z0-9]{0,7})?", of)
                    ):
                        raise spec_error("of: names one DATASET or DATASET.VARIABLE", item, "of", f"{ip}.of")
                    continue
                if "null_flavor" in item:
                    if item["null_flavor"] not in meta["null_flavors"]:
                        raise spec_error(
                            f"{item['null_flavor']!r} is not an ISO 21090 null flavor ({', '.join(meta['null_flavors'])})",
                            item,
                            "null_flavor",
                            f"{ip}.null_flavor",
                        )
                    if "value" in item:
                        raise spec_error("a null flavor replaces the value: give one of them", item, "value", ip)
                    continue
                value = _text(item, "value", ip)
                if item.get("reference"):  # a sponsor or external term: not checked against the CT codelist
                    spec = {k: v for k, v in spec.items() if k != "codelist"}
            else:
                value = _text({"value": item}, "value", ip)
            _check_ts_value(parmcd, value, spec, summary, parmcd, ip)
    missing = [c for c in meta["required"] if c not in summary]
    if missing:
        raise spec_error(
            f"TS parameter {missing[0]} is required (a Study Data Technical Rejection Criterion)",
            doc,
            "summary",
            "summary",
        )
    return dict(summary)


def _check_ts_value(parmcd: str, value, spec: dict, obj, key, path: str):
    fmt = spec.get("format")
    text = str(value)
    if fmt == "iso8601_date" and not ISO_DATE.match(text):
        raise spec_error(f"{parmcd} must be an ISO 8601 date (YYYY-MM-DD), got {text!r}", obj, key, path)
    if fmt == "iso8601_duration" and not ISO_DURATION.match(text):
        raise spec_error(f"{parmcd} must be an ISO 8601 duration such as P18Y, got {text!r}", obj, key, path)
    if fmt == "integer" and not re.fullmatch(r"\d+", text):
        raise spec_error(f"{parmcd} must be a whole number, got {text!r}", obj, key, path)
    if fmt == "number" and not re.fullmatch(r"\d+(\.\d+)?", text):
        raise spec_error(f"{parmcd} must be a number, got {text!r}", obj, key, path)
    if spec.get("codelist"):
        cl = codelist(spec["codelist"])
        if text not in cl.values:
            raise spec_error(
                f"{text!r} is not in codelist {cl.short_name} of {parmcd} ({', '.join(sorted(cl.values))})",
                obj,
                key,
                path,
            )
