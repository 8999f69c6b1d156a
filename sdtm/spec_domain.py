"""Validation of one domain mapping file (``dm.yaml``, ``vs.yaml``, ...) and the references between files.

A target variable must be one the SDTM model allows in the domain (:func:`cdisckit.sdtm_model.allowed_variables`:
the SDTMIG 3.4 domain table plus the class variables SDTMIG lets the domain add, e.g. VISITNUM in EX); a domain
SDTMIG does not define is a custom domain built from its ``class:``. Raw column references are collected in
``_refs`` (form, column, yaml-obj, key, key-path) and checked against the declared columns now and against the
CSV headers before mapping.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from cdisckit.conditions import condition_columns, condition_problem
from cdisckit.errors import CdiscKitError, SpecError
from cdisckit.sdtm_model import allowed_variables, variable_permission
from cdisckit.specio import LineDict, spec_error
from cdisckit.standards import DatasetSpec, codelist, sdtm_datasets

from .derive_dates import format_problem
from .spec_maps import known_codelist
from .transforms import calc_names, number, parse_calc

DOMAIN_KEYS = {"domain", "class", "label", "description", "sources", "derived", "timing", "sort", "seq", "units"}
BLOCK_KEYS = {"form", "description", "join", "where", "drop", "first_per", "visit", "long", "variables", "supp"}
JOIN_KEYS = {"form", "columns", "pick", "order", "where"}
DROP_KEYS = {"when", "reason"}
FIRST_PER_KEYS = {"keys", "order"}
LONG_KEYS = {"key", "value", "columns", "blank"}
UNIT_KEYS = {"from", "to", "multiply", "add", "decimals"}
PRODUCERS = ("source", "const", "date", "template", "concat", "calc", "cases", "decode", "derive")
MODIFIERS = {
    "time",
    "format",
    "pivot",
    "sep",
    "clean",
    "extract",
    "split",
    "substr",
    "pad",
    "recode",
    "map",
    "numeric",
    "round",
    "codelist",
    "when",
}
SUPP_KEYS = {"label", "qorig", "qeval"}
CLEAN_OPS = {"strip", "upper", "lower", "title", "collapse", "ascii"}
DERIVATIONS = {
    "first_date": {"of", "where"},
    "last_date": {"of", "where"},
    "most_complete_date": {"of", "where"},
    "age": {"birth", "reference", "unit"},
}
TIMING_KEYS = {"study_day", "epoch", "last_before_exposure"}
LOBX_KEYS = {"date", "by", "value", "reference", "where"}
#: A template field: ``{NAME}``; names may hold dots (raw columns such as ``IT.AGE``).
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
VISIT_VARS = ("VISITNUM", "VISIT", "VISITDY")
DM_DATES = ("RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC", "DTHDTC")


def _check_keys(obj, allowed: set, what: str, prefix: str = ""):
    if not isinstance(obj, dict):
        raise spec_error(f"{what} must be a mapping", obj, path_key=prefix or None)
    for k in obj:
        if k not in allowed:
            raise spec_error(
                f"unknown key {k!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                obj,
                k,
                f"{prefix}.{k}" if prefix else str(k),
            )


def template_names(template: str, obj, key, pk) -> list[str]:
    """The field names of a template; a brace that is not a ``{NAME}`` field is a SpecError (never literal text).

    >>> template_names("01-{PATNUM}", {}, "usubjid", "usubjid")
    ['PATNUM']
    """
    text = str(template)
    rest = PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        bad = re.search(r"\{[^}]*\}?|\}", rest)
        raise spec_error(
            f"template field {bad.group() if bad else rest!r} is not {{NAME}} (a raw column or variable)", obj, key, pk
        )
    return PLACEHOLDER.findall(text)


def domain_dataset(doc) -> DatasetSpec:
    """What the SDTM model allows in the domain of a mapping file: an SDTMIG domain, or a custom one from class."""
    domain = str(doc["domain"]).upper()
    if domain in sdtm_datasets():
        if doc.get("class"):
            raise spec_error(f"{domain} is an SDTMIG domain: its class is not set by the study", doc, "class", "class")
        return allowed_variables(domain)
    if not re.fullmatch(r"[A-Z]{2}", domain):
        raise spec_error(f"unknown SDTM domain {domain!r} (a custom domain code is 2 letters)", doc, "domain")
    if not doc.get("class"):
        raise spec_error(
            f"{domain} is not an SDTMIG 3.4 domain: a custom domain needs class: (Findings, Events, Interventions)",
            doc,
            "domain",
        )
    try:
        return allowed_variables(domain, str(doc["class"]), doc.get("label"))
    except CdiscKitError as exc:
        raise spec_error(str(exc), doc, "class", "class") from None


def _not_allowed(domain: str, var, ds: DatasetSpec) -> str:
    try:
        reason = variable_permission(domain, str(var), None if domain in sdtm_datasets() else ds.class_).reason
    except CdiscKitError:
        reason = ""
    return f"unknown target variable {var!r}: the SDTM model does not allow it in {domain}" + (
        f" ({reason})" if reason else ""
    )


# ------------------------------------------------------------------ domain YAML
def validate_domain(doc, study) -> dict:
    """Check one domain mapping; returns it with ``_refs`` (raw columns), ``_dataset`` (allowed variables),
    ``_produced`` (variables the mapping fills) and ``_file``."""
    fname = getattr(doc, "file", "?")
    if not isinstance(doc, dict):
        raise SpecError("a domain mapping must be a YAML mapping", file=fname, line=1)
    _check_keys(doc, DOMAIN_KEYS, Path(fname).name)
    if "domain" not in doc:
        raise SpecError("required key 'domain' missing", file=fname, line=1, key="domain")
    domain = str(doc["domain"]).upper()
    ds = domain_dataset(doc)
    names = set(ds.names)
    refs: list[tuple] = []
    produced = {"STUDYID", "DOMAIN", "USUBJID", f"{domain}SEQ"}
    supp_qnams: dict[object, object] = {}
    units = _validate_units(doc, domain, names)
    if not isinstance(doc.get("sources") or [], list):
        raise spec_error("sources is a list of source blocks", doc, "sources", "sources")
    for bi, block in enumerate(doc.get("sources") or []):
        where = f"sources[{bi}]"
        _check_keys(block, BLOCK_KEYS, "source block", where)
        form = block.get("form")
        if form not in study["forms"]:
            raise spec_error(
                f"unknown form {form!r} (declare it under forms: in study.yaml)", block, "form", f"{where}.form"
            )
        targets: set[object] = set()

        def ref(col, obj, key, pk, _form=form, _targets=targets):
            if col in _targets or (isinstance(col, str) and col.startswith("_")) or col in {"STUDYID", "USUBJID"}:
                return
            refs.append((_form, col, obj, key, pk))

        refs.append((form, study["forms"][form]["subject"], block, "form", f"{where}.form"))
        joined = set()
        for ji, j in enumerate(block.get("join") or []):
            _check_keys(j, JOIN_KEYS, "join", f"{where}.join[{ji}]")
            if j.get("form") not in study["forms"]:
                raise spec_error(f"unknown form {j.get('form')!r}", j, "form", f"{where}.join[{ji}].form")
            refs.append((j["form"], study["forms"][j["form"]]["subject"], j, "form", f"{where}.join[{ji}].form"))
            cols = j.get("columns") or []
            if not isinstance(cols, (list, dict)):
                raise spec_error("columns lists raw columns, or maps new names to them", j, "columns", where)
            for new, c in cols.items() if isinstance(cols, dict) else ((c, c) for c in cols):
                refs.append(
                    (j["form"], c, j["columns"], new if isinstance(cols, dict) else None, f"{where}.join[{ji}].columns")
                )
                joined.add(new)
            if j.get("order"):
                refs.append((j["form"], j["order"], j, "order", f"{where}.join[{ji}].order"))
            if "where" in j:
                jform = j["form"]

                def jref(col, obj, key, pk, _f=jform):
                    refs.append((_f, col, obj, key, pk))

                _validate_cond(j["where"], f"{where}.join[{ji}].where", jref, j, "where")
        targets |= joined
        if "long" in block:
            targets |= _validate_long(block["long"], f"{where}.long", ref, names, domain)
        if "where" in block:
            _validate_cond(block["where"], f"{where}.where", ref, block, "where")
        for di, d in enumerate(block.get("drop") or []):
            _check_keys(d, DROP_KEYS, "drop", f"{where}.drop[{di}]")
            if "reason" not in d or "when" not in d:
                raise spec_error("drop needs 'when' and 'reason'", d, None, f"{where}.drop[{di}]")
            _validate_cond(d["when"], f"{where}.drop[{di}].when", ref, d, "when")
        if "first_per" in block:
            fp = block["first_per"]
            _check_keys(fp, FIRST_PER_KEYS, "first_per", f"{where}.first_per")
            for c in fp.get("keys") or []:
                ref(c, fp, "keys", f"{where}.first_per.keys")
            if fp.get("order"):
                ref(fp["order"], fp, "order", f"{where}.first_per.order")
        if block.get("visit"):
            if not study.get("visits") or form not in (study["visits"].get("forms") or {}):
                raise spec_error(
                    f"visit: true needs form {form!r} under visits.forms in study.yaml",
                    block,
                    "visit",
                    f"{where}.visit",
                )
            vis = [v for v in VISIT_VARS if v in names]
            if isinstance(block["visit"], list):
                for v in block["visit"]:
                    if v not in VISIT_VARS or v not in names:
                        raise spec_error(
                            f"visit: lists {', '.join(vis) or 'nothing'} ({v!r} is not one {domain} may take)",
                            block,
                            "visit",
                            f"{where}.visit",
                        )
                vis = list(block["visit"])
            elif block["visit"] is not True:
                raise spec_error("visit: true, or a list of VISITNUM, VISIT, VISITDY", block, "visit", f"{where}.visit")
            if not vis:
                raise spec_error(f"the SDTM model allows no VISITNUM/VISIT in {domain}", block, "visit", where)
            targets |= set(vis)
        variables = block.get("variables") or {}
        if not isinstance(variables, dict):
            raise spec_error("variables must be a mapping", block, "variables", f"{where}.variables")
        for var, a in variables.items():
            pk = f"{where}.variables.{var}"
            if not str(var).startswith("_") and var not in names:
                raise spec_error(_not_allowed(domain, var, ds), variables, var, pk)
            if units and var in units["outputs"]:
                raise spec_error(
                    f"{var} is filled by the domain's units: conversions; do not assign it", variables, var, pk
                )
            _validate_assignment(a, variables, var, pk, study, ref, ds.variable(var), in_derived=False)
            targets.add(var)
        for qnam, a in (block.get("supp") or {}).items():
            pk = f"{where}.supp.{qnam}"
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", str(qnam)):
                raise spec_error("QNAM must be 1-8 upper-case letters/digits", block["supp"], qnam, pk)
            if not isinstance(a, dict) or "label" not in a:
                raise spec_error("a supp qualifier needs 'label'", block["supp"], qnam, pk)
            if len(str(a["label"])) > 40:
                raise spec_error("QLABEL longer than 40 characters", a, "label", f"{pk}.label")
            if supp_qnams.setdefault(qnam, a["label"]) != a["label"]:
                raise spec_error("same QNAM with a different label in another block", a, "label", f"{pk}.label")
            core = LineDict({k: v for k, v in a.items() if k not in SUPP_KEYS})
            src = cast(LineDict, a)  # the YAML loader builds every mapping as a LineDict
            core.lines, core.line, core.file = src.lines, src.line, src.file
            _validate_assignment(core, block["supp"], qnam, pk, study, ref, None, in_derived=False)
        produced |= {t for t in targets if isinstance(t, str) and not t.startswith("_") and t in names}
    for var, a in (doc.get("derived") or {}).items():
        pk = f"derived.{var}"
        if var not in names:
            raise spec_error(_not_allowed(domain, var, ds), doc["derived"], var, pk)
        _validate_assignment(a, doc["derived"], var, pk, study, lambda *x: None, ds.variable(var), in_derived=True)
        produced.add(var)
    if units:
        produced |= units["outputs"]
    if "timing" in doc:
        produced |= _validate_timing(doc["timing"], domain, names, produced)
    for key in ("sort", "seq"):
        if key in doc:
            if not isinstance(doc[key], list) or not doc[key]:
                raise spec_error(f"{key} lists variables of {domain}", doc, key, key)
            for s in doc[key]:
                if s not in names:
                    raise spec_error(f"unknown {key} variable {s!r}: not a variable of {domain}", doc, key, key)
    # forms that declare their columns are checked now; the others against their CSV header before mapping
    from .spec import _declared

    for form, col, obj, key, pk in refs:
        _declared(study["forms"][form], col, obj, key, pk, form)
    out = dict(doc)
    out["domain"] = domain
    out["_refs"] = refs
    out["_file"] = fname
    out["_dataset"] = ds
    out["_produced"] = produced
    out["_units"] = units
    return out


def _validate_long(lg, pk, ref, names, domain) -> set:
    """``long: {key: VSTESTCD, value: VSORRES, columns: {SYSBP: SYS_BP, ...}, blank: keep|drop}``."""
    _check_keys(lg, LONG_KEYS, "long", pk)
    for req in ("key", "value", "columns"):
        if req not in lg:
            raise spec_error(
                f"long needs {req!r} (key: --TESTCD, value: --ORRES, columns: {{code: column}})", lg, None, pk
            )
    for role in ("key", "value"):
        v = lg[role]
        if not isinstance(v, str) or (not v.startswith("_") and v not in names):
            raise spec_error(
                f"long {role} {v!r} is not a variable of {domain} (or a _helper)", lg, role, f"{pk}.{role}"
            )
    cols = lg["columns"]
    if not isinstance(cols, dict) or not cols:
        raise spec_error("columns maps each test code to the raw column holding its result", lg, "columns", pk)
    for code, col in cols.items():
        if not isinstance(col, str):
            raise spec_error("columns: {CODE: RAW_COLUMN}", cols, code, f"{pk}.columns.{code}")
        ref(col, cols, code, f"{pk}.columns.{code}")
    if lg.get("blank", "drop") not in ("keep", "drop"):
        raise spec_error("blank is keep (a record with an empty result) or drop", lg, "blank", f"{pk}.blank")
    return {lg["key"], lg["value"]}


def _validate_units(doc, domain, names) -> dict | None:
    """``units: [{from: LB, to: kg, multiply: 0.45359237, decimals: 2}, ...]`` -> --STRESC/--STRESN/--STRESU."""
    if "units" not in doc:
        return None
    u = doc["units"]
    if not isinstance(u, list):
        raise spec_error("units lists the conversions {from, to, multiply, add, decimals}", doc, "units", "units")
    need = [f"{domain}ORRES", f"{domain}STRESC", f"{domain}STRESN", f"{domain}STRESU"]
    if any(v not in names for v in need):
        raise spec_error(f"units: needs a findings domain with {', '.join(need)}", doc, "units", "units")
    for i, c in enumerate(u):
        pk = f"units[{i}]"
        _check_keys(c, UNIT_KEYS, "unit conversion", pk)
        for req in ("from", "to"):
            if req not in c:
                raise spec_error(f"a unit conversion needs {req!r}", c, None, pk)
        for k in ("multiply", "add"):
            if k in c:
                try:
                    number(c[k])
                except (ValueError, ZeroDivisionError):
                    raise spec_error(f"{k} is a number or a fraction such as 5/9", c, k, f"{pk}.{k}") from None
        if "decimals" in c and (not isinstance(c["decimals"], int) or isinstance(c["decimals"], bool)):
            raise spec_error("decimals is a whole number", c, "decimals", f"{pk}.decimals")
    return {"conversions": list(u), "outputs": set(need[1:])}


def _validate_timing(t, domain, names, produced) -> set:
    _check_keys(t, TIMING_KEYS, "timing", "timing")
    out = set()
    for dy, dtc in (t.get("study_day") or {}).items():
        for v in (dy, dtc):
            if v not in names:
                raise spec_error(f"unknown variable {v!r} in {domain}", t["study_day"], dy, f"timing.study_day.{dy}")
        if dtc not in produced:
            raise spec_error(
                f"{dy} is computed from {dtc}, which the {domain} mapping does not fill",
                t["study_day"],
                dy,
                f"timing.study_day.{dy}",
            )
        out.add(dy)
    if t.get("epoch"):
        if t["epoch"] not in names or t["epoch"] not in produced:
            raise spec_error(
                f"epoch date {t['epoch']!r} is not a date the {domain} mapping fills", t, "epoch", "timing.epoch"
            )
        out.add("EPOCH")
    for flag, how in (t.get("last_before_exposure") or {}).items():
        pk = f"timing.last_before_exposure.{flag}"
        if flag not in names:
            raise spec_error(f"unknown variable {flag!r} in {domain}", t["last_before_exposure"], flag, pk)
        _check_keys(how, LOBX_KEYS, "last_before_exposure", pk)
        if how.get("date") not in produced:
            raise spec_error(f"date {how.get('date')!r} is not a date the {domain} mapping fills", how, "date", pk)
        for b in how.get("by") or []:
            if b not in produced:
                raise spec_error(f"by variable {b!r} is not filled by the {domain} mapping", how, "by", f"{pk}.by")
        if how.get("value") and how["value"] not in produced:
            raise spec_error(f"value {how['value']!r} is not filled by the {domain} mapping", how, "value", pk)
        if how.get("reference") and how["reference"] not in DM_DATES:
            raise spec_error(
                f"reference is a DM date ({', '.join(DM_DATES)}), not {how['reference']!r}", how, "reference", pk
            )
        if "where" in how:
            problem = condition_problem(how["where"], f"{pk}.where")
            if problem:
                raise spec_error(problem[1], how, "where", problem[0])
            for c in condition_columns(how["where"]):
                if c not in produced:
                    raise spec_error(
                        f"condition names {c!r}, which {domain} does not fill", how, "where", f"{pk}.where"
                    )
        out.add(flag)
    return out


def _validate_cond(cond, pk, ref, parent=None, parent_key=None):
    """A condition of :mod:`cdisckit.conditions` (values, lists, null, not, comparisons with a value or another
    column or date, matches, any/all); every column it names is a raw column reference."""
    problem = condition_problem(cond, pk)
    if problem:
        raise spec_error(problem[1], cond if isinstance(cond, dict) else parent, None, problem[0])
    for col in condition_columns(cond):
        ref(col, cond if isinstance(cond, dict) else parent, col, f"{pk}.{col}")


def _validate_assignment(a, parent, var, pk, study, ref, vspec, in_derived):
    if not isinstance(a, dict):  # scalar = constant
        _check_const(a, vspec, parent, var, pk, study)
        return
    allowed = set(PRODUCERS) | MODIFIERS
    if a.get("derive"):
        allowed |= DERIVATIONS.get(a["derive"], set())
    _check_keys(a, allowed, f"assignment of {var}", pk)
    producers = [p for p in PRODUCERS if p in a]
    if len(producers) != 1 and not (producers == [] and "when" in a):
        raise spec_error(
            f"give exactly one of {', '.join(PRODUCERS)} (found {', '.join(producers) or 'none'})", parent, var, pk
        )
    if "when" in a and not isinstance(parent, list):
        raise spec_error("'when' is only allowed inside cases", a, "when", f"{pk}.when")
    if "when" in a:
        _validate_cond(a["when"], f"{pk}.when", ref, a, "when")
    for col_key in ("source", "date", "time"):
        if col_key in a:
            cols = a[col_key] if isinstance(a[col_key], list) else [a[col_key]]
            for c in cols:
                if not isinstance(c, str):
                    raise spec_error(f"{col_key} names a raw column or variable", a, col_key, f"{pk}.{col_key}")
                ref(c, a, col_key, f"{pk}.{col_key}")
    if ("format" in a or "pivot" in a) and "date" not in a:
        raise spec_error("format/pivot belong to a date: assignment", a, "format" if "format" in a else "pivot", pk)
    if "format" in a:
        problem = format_problem(a["format"], a.get("pivot"))
        if problem:
            raise spec_error(problem, a, "format", f"{pk}.format")
    if "template" in a:
        for c in template_names(a["template"], a, "template", f"{pk}.template"):
            if c not in VISIT_VARS:
                ref(c, a, "template", f"{pk}.template")
    if "concat" in a:
        if not isinstance(a["concat"], list) or not a["concat"] or not all(isinstance(c, str) for c in a["concat"]):
            raise spec_error("concat lists raw columns or variables (sep: text between them)", a, "concat", pk)
        for c in a["concat"]:
            ref(c, a, "concat", f"{pk}.concat")
    if "sep" in a and "concat" not in a:
        raise spec_error("sep belongs to concat:", a, "sep", f"{pk}.sep")
    if "calc" in a:
        try:
            tree = parse_calc(a["calc"])
        except SpecError as exc:
            raise spec_error(str(exc.args[0]) if exc.args else "bad calc", a, "calc", f"{pk}.calc") from None
        for c in calc_names(tree):
            ref(c, a, "calc", f"{pk}.calc")
    if "const" in a:
        _check_const(a["const"], vspec, a, "const", f"{pk}.const", study)
    if "clean" in a:
        ops = a["clean"] if isinstance(a["clean"], list) else [a["clean"]]
        for op in ops:
            if op not in CLEAN_OPS:
                raise spec_error(
                    f"unknown clean-up {op!r} (allowed: {', '.join(sorted(CLEAN_OPS))})", a, "clean", f"{pk}.clean"
                )
    _validate_text_ops(a, pk)
    if "map" in a:
        m = a["map"]
        if isinstance(m, str):
            if m not in study["maps"]:
                raise spec_error(f"unknown codelist map {m!r} (not in the study's ct_maps)", a, "map", f"{pk}.map")
        elif not isinstance(m, dict):
            raise spec_error(
                "map must name a map in ct_maps or be an inline {target: [raw, ...]}", a, "map", f"{pk}.map"
            )
    if "recode" in a and not isinstance(a["recode"], dict):
        raise spec_error("recode must be a mapping {raw: value}", a, "recode", f"{pk}.recode")
    if "codelist" in a:
        known_codelist(a["codelist"], a, "codelist", f"{pk}.codelist", study.get("codelists"))
    if "decode" in a:
        ds_var = a["decode"]
        if not isinstance(ds_var, str):
            raise spec_error(
                "decode names the --TESTCD variable whose CT decode is wanted", a, "decode", f"{pk}.decode"
            )
    if "derive" in a:
        if a["derive"] not in DERIVATIONS:
            raise spec_error(
                f"unknown derivation {a['derive']!r} (known: {', '.join(sorted(DERIVATIONS))})",
                a,
                "derive",
                f"{pk}.derive",
            )
        if not in_derived:
            raise spec_error("derive: is only allowed in the domain's derived: section", a, "derive", f"{pk}.derive")
        if a["derive"] in ("first_date", "last_date", "most_complete_date"):
            of = a.get("of")
            if not isinstance(of, list) or not of:
                raise spec_error("of: lists DOMAIN.VARIABLE dates, e.g. [EX.EXSTDTC]", a, "of", f"{pk}.of")
            for item in of:
                if not isinstance(item, str) or not re.fullmatch(r"[A-Z]{2,8}\.[A-Z0-9_]+", item):
                    raise spec_error(f"{item!r} is not DOMAIN.VARIABLE (e.g. EX.EXSTDTC)", a, "of", f"{pk}.of")
            if "where" in a:
                problem = condition_problem(a["where"], f"{pk}.where")
                if problem:
                    raise spec_error(problem[1], a, "where", problem[0])
        if a["derive"] == "age":
            for k in ("birth", "reference"):
                if not isinstance(a.get(k), str):
                    raise spec_error(f"age needs {k}: a date variable", a, k if k in a else "derive", pk)
    if "cases" in a:
        cases = a["cases"]
        if not isinstance(cases, list) or not cases:
            raise spec_error("cases must be a non-empty list", a, "cases", f"{pk}.cases")
        for i, c in enumerate(cases):
            if isinstance(c, dict) and set(c) == {"when"}:
                _validate_cond(c["when"], f"{pk}.cases[{i}].when", ref, c, "when")  # when alone = missing value
                continue
            _validate_assignment(c, cases, var, f"{pk}.cases[{i}]", study, ref, vspec, in_derived)


def _validate_text_ops(a, pk):
    if "extract" in a:
        try:
            re.compile(str(a["extract"]))
        except re.error as exc:
            raise spec_error(f"extract: not a regular expression: {exc}", a, "extract", f"{pk}.extract") from None
    if "split" in a:
        s = a["split"]
        ok = isinstance(s, dict) and set(s) <= {"sep", "part"} and isinstance(s.get("sep"), str) and s["sep"]
        ok = ok and isinstance(s.get("part"), int) and not isinstance(s.get("part"), bool) and s["part"] != 0
        if not ok:
            raise spec_error("split: {sep: '-', part: 1} (part 1-based, negative from the end)", a, "split", pk)
    if "substr" in a:
        s = a["substr"]
        ok = isinstance(s, dict) and set(s) <= {"start", "length"} and isinstance(s.get("start"), int)
        ok = ok and s["start"] >= 1 and (s.get("length") is None or (isinstance(s["length"], int) and s["length"] > 0))
        if not ok:
            raise spec_error("substr: {start: 1, length: 3} (1-based, as SAS SUBSTR)", a, "substr", pk)
    if "pad" in a:
        s = a["pad"]
        ok = isinstance(s, dict) and set(s) <= {"width", "fill", "side"} and isinstance(s.get("width"), int)
        ok = ok and len(str(s.get("fill", "0"))) == 1 and s.get("side", "left") in ("left", "right")
        if not ok:
            raise spec_error("pad: {width: 3, fill: '0', side: left|right}", a, "pad", pk)
    if "round" in a and (not isinstance(a["round"], int) or isinstance(a["round"], bool) or a["round"] < 0):
        raise spec_error("round: number of decimals (0 or more)", a, "round", f"{pk}.round")


def _check_const(value, vspec, obj, key, pk, study=None):
    if value is None or vspec is None or not vspec.codelist:
        return
    try:
        cl = codelist(vspec.codelist)
    except CdiscKitError:
        return
    if not cl.extensible and str(value) not in cl.values:
        raise spec_error(f"{value!r} is not in non-extensible codelist {cl.short_name} of {vspec.name}", obj, key, pk)


# ------------------------------------------------------------------ across files
def check_cross_references(study: dict) -> None:
    """References from one file to another: derivations' ``of:`` and ``where:`` (domain mapped, variable filled),
    DM dates used for study days, epochs and flags, the USUBJID template's fields (raw columns of every used form).
    """
    doms = study["domains"]
    for name, spec in doms.items():
        for var, a in (spec.get("derived") or {}).items():
            _check_derived_refs(study, name, var, a, spec)
    uses_dm = any((s.get("timing") or {}).get("study_day") for s in doms.values())
    ref_var = study["study_day_reference"]
    cfg = study["config"]
    if uses_dm:
        _dm_date(study, ref_var, cfg, "study_day_reference", "study_day_reference")
    for i, e in enumerate(study.get("epochs") or []):
        if e.get("start") and any((s.get("timing") or {}).get("epoch") for s in doms.values()):
            _dm_date(study, e["start"], e, "start", f"epochs[{i}].start")
    for spec in doms.values():
        for flag, how in ((spec.get("timing") or {}).get("last_before_exposure") or {}).items():
            _dm_date(
                study,
                how.get("reference", "RFXSTDTC"),
                how,
                "reference" if "reference" in how else "date",
                f"timing.last_before_exposure.{flag}",
            )
    # the USUBJID template and each form's structural columns, for every form a mapping reads
    fields = [f for f in template_names(study["usubjid"], cfg, "usubjid", "usubjid") if f != "STUDYID"]
    used = {r[0] for s in doms.values() for r in s["_refs"]} | set((study.get("visits") or {}).get("forms") or {})
    study_refs = []
    vforms = (study.get("visits") or {}).get("forms") or {}
    for form in sorted(used):
        info = study["forms"][form]
        study_refs += [(form, f, cfg, "usubjid", "usubjid") for f in fields]
        yaml = info.get("_yaml") or cfg
        explicit_site = isinstance(yaml, dict) and "site" in yaml
        for role, needed in (("record", True), ("visit", form in vforms), ("site", explicit_site)):
            if info.get(role) and needed:
                explicit = isinstance(yaml, dict) and role in yaml
                where = (yaml, role, f"forms.{form}.{role}") if explicit else (cfg, "columns", f"columns.{role}")
                study_refs.append((form, info[role], *where))
    from .spec import _declared

    for form, col, obj, key, pk in study_refs:
        _declared(study["forms"][form], col, obj, key, pk, form)
    study["_study_refs"] = study_refs


def _dm_date(study, var, obj, key, pk):
    dm = study["domains"].get("DM")
    if dm is None:
        raise spec_error(f"{var} is a DM date, but the study maps no DM", obj, key, pk)
    if var not in DM_DATES or var not in dm["_produced"]:
        filled = sorted(v for v in DM_DATES if v in dm["_produced"])
        raise spec_error(
            f"{var!r} is not a reference date the DM mapping fills (it fills {', '.join(filled) or 'none'})",
            obj,
            key,
            pk,
        )


def _check_derived_refs(study, name, var, a, spec):
    if not isinstance(a, dict):
        return
    if "cases" in a:
        for c in a["cases"]:
            _check_derived_refs(study, name, var, c, spec)
        return
    pk = f"derived.{var}"
    for item in a.get("of") or []:
        dom, _, col = item.partition(".")
        if dom not in study["domains"]:
            raise spec_error(
                f"{item}: the study maps no {dom} domain (it maps {', '.join(study['domains'])})", a, "of", f"{pk}.of"
            )
        target = study["domains"][dom]
        if col not in target["_produced"]:
            raise spec_error(f"{item}: the {dom} mapping does not fill {col}", a, "of", f"{pk}.of")
    if a.get("where") and a.get("of"):
        doms = {i.partition(".")[0] for i in a["of"]}
        for c in condition_columns(a["where"]):
            dom, dot, var = c.partition(".")
            if dot and dom in doms:  # DOMAIN.VARIABLE: a condition on that domain's rows only
                if var not in study["domains"][dom]["_produced"]:
                    raise spec_error(f"condition names {c!r}, which {dom} does not fill", a, "where", f"{pk}.where")
                continue
            if not any(c in study["domains"][d]["_produced"] for d in doms):
                raise spec_error(
                    f"condition names {c!r}, which none of {', '.join(sorted(doms))} fills", a, "where", f"{pk}.where"
                )
    if a.get("derive") == "age":
        for k in ("birth", "reference"):
            if a[k] not in spec["_produced"]:
                raise spec_error(f"{a[k]!r} is not filled by the {name} mapping", a, k, f"{pk}.{k}")
