"""define.xml origins of SDTM variables, read off the mapping spec (what the data manager wrote in YAML)."""

from __future__ import annotations

import json


def _describe(assign) -> str:
    """One-line text of an assignment for define.xml: plain words for ``derive:``, else the spec itself.

    >>> _describe({"derive": "first_date", "of": ["EX.EXSTDTC"], "where": {"EXTRT": "C-CAR"}})
    'Earliest of EX.EXSTDTC per subject where EXTRT = C-CAR'
    >>> _describe({"derive": "age", "birth": "BRTHDTC", "reference": "RFICDTC"})
    'Age in whole years from BRTHDTC to RFICDTC'
    """
    if isinstance(assign, dict) and assign.get("derive") in ("first_date", "last_date"):
        text = ("Earliest" if assign["derive"] == "first_date" else "Latest") + " of " + ", ".join(assign["of"])
        text += " per subject"
        if assign.get("where"):
            text += " where " + " and ".join(f"{k} = {v}" for k, v in assign["where"].items())
        return text
    if isinstance(assign, dict) and assign.get("derive") == "age":
        return (
            f"Age in whole {str(assign.get('unit', 'years')).lower()} from {assign['birth']} to {assign['reference']}"
        )
    return json.dumps(assign, default=str, ensure_ascii=True)


def derive_origin(assign, form: str, joined: dict[str, str] | None = None) -> tuple[str, str]:
    """Origin type and text of one variable assignment of a mapping spec.

    >>> derive_origin("YEARS", "dm")
    ('Assigned', "Set to 'YEARS'")
    >>> derive_origin({"source": "SEX", "map": "sex"}, "dm")
    ('CRF', 'dm.SEX, mapped with codelist map sex')
    >>> derive_origin({"date": "ICDAT", "time": "ICTIM"}, "ic")[0]
    'CRF'
    """
    joined = joined or {}

    def where(col: str) -> str:
        return f"{joined.get(col, form)}.{col}"

    if not isinstance(assign, dict):
        return "Assigned", f"Set to {str(assign)!r}"
    if "const" in assign and len(assign) == 1:
        return "Assigned", f"Set to {str(assign['const'])!r}"
    if "source" in assign and not set(assign) - {"source", "clean", "map", "recode", "numeric", "codelist"}:
        cols = assign["source"] if isinstance(assign["source"], list) else [assign["source"]]
        text = " else ".join(where(c) for c in cols)
        if "map" in assign:
            text += f", mapped with codelist map {assign['map']}"
        return "CRF", text
    if "date" in assign and not set(assign) - {"date", "time"}:
        parts = [where(assign["date"])] + ([where(assign["time"])] if assign.get("time") else [])
        return "CRF", " + ".join(parts) + " as ISO 8601 (partial dates kept, never imputed)"
    return "Derived", f"From form {form}: {_describe(assign)}"


def derive_define_origins(study: dict) -> dict[tuple[str, str], tuple[str, str]]:
    """``{(dataset, variable): (origin type, text)}`` for every variable the study's mapping specs assign.

    A variable fed by several forms keeps CRF when every form collects it, otherwise it is Derived;
    the texts are joined so the reviewer sees every source.
    """
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for domain, spec in study["domains"].items():
        for source in spec.get("sources", []):
            joined = {c: j["form"] for j in source.get("join") or [] for c in j.get("columns", [])}
            for var, assign in (source.get("variables") or {}).items():
                found.setdefault((domain, var), []).append(derive_origin(assign, source.get("form", ""), joined))
            for qnam, supp in (source.get("supp") or {}).items():
                body = {k: v for k, v in supp.items() if k != "label"}
                found.setdefault((f"SUPP{domain}", f"QVAL.{qnam}"), []).append(
                    derive_origin(body, source.get("form", ""), joined)
                )
        for var, assign in (spec.get("derived") or {}).items():
            found.setdefault((domain, var), []).append(("Derived", _describe(assign)))
    out = {}
    for key, items in found.items():
        types = {t for t, _ in items}
        texts = list(dict.fromkeys(text for _, text in items))
        kind = types.pop() if len(types) == 1 else "Derived"
        out[key] = (kind, "; ".join(texts))
    return out
