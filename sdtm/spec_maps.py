"""Validation of codelist maps (``ct-maps.yaml``): raw values -> submission values."""

from __future__ import annotations

from cdisckit.conditions import normalise_value
from cdisckit.errors import CdiscKitError
from cdisckit.specio import spec_error
from cdisckit.standards import codelist_names

from .study_codelists import resolve_codelist

MAP_KEYS = {"codelist", "values", "description"}


def known_codelist(name, obj, key, path_key, study_codelists=None):
    """The codelist ``name`` (a study codelist or CDISC CT), or a SpecError at the YAML key that names it."""
    if not isinstance(name, str) or (name not in codelist_names() and name not in (study_codelists or {})):
        raise spec_error(
            f"unknown codelist {name!r} (not in specs/ct nor in the study's codelists)", obj, key, path_key
        )
    try:
        return resolve_codelist(name, study_codelists)
    except CdiscKitError as exc:  # pragma: no cover - listed but unreadable
        raise spec_error(str(exc), obj, key, path_key) from None


def validate_maps(doc, path, study_codelists=None) -> dict:
    """``maps: {name: {codelist: SEX, values: {M: [Male, 1=Male]}}}``; targets checked against the codelist."""
    if doc is None:
        return {}
    if not isinstance(doc, dict) or set(doc) - {"maps"}:
        raise spec_error("a codelist map file holds one key, maps: {name: {...}}", doc, None, str(path))
    maps = doc.get("maps") or {}
    for name, m in maps.items():
        if not isinstance(m, dict):
            raise spec_error("a map is {codelist: ..., values: {...}}", maps, name, f"maps.{name}")
        for k in m:
            if k not in MAP_KEYS:
                raise spec_error(
                    f"unknown key {k!r} in map {name} (allowed: {', '.join(sorted(MAP_KEYS))})", m, k, f"maps.{name}"
                )
        values = m.get("values")
        if not isinstance(values, dict) or not values:
            raise spec_error("a map needs 'values: {target: [raw, ...]}'", m, "values", f"maps.{name}.values")
        if m.get("codelist"):
            cl = known_codelist(m["codelist"], m, "codelist", f"maps.{name}.codelist", study_codelists)
            if not cl.extensible:
                for target in values:
                    if target is not None and str(target) not in cl.values:
                        raise spec_error(
                            f"map target {target!r} is not in non-extensible codelist {cl.short_name}",
                            values,
                            target,
                            f"maps.{name}.values.{target}",
                        )
        seen: dict[str, object] = {}
        for target, raws in values.items():
            for raw in raws if isinstance(raws, list) else [raws]:
                if isinstance(raw, bool) or isinstance(target, bool):
                    raise spec_error(
                        'YAML read Yes/No/On/Off as true/false: quote it ("No")',
                        values,
                        target,
                        f"maps.{name}.values.{target}",
                    )
                norm = normalise_value(raw)
                if norm in seen and seen[norm] != target:
                    raise spec_error(
                        f"raw value {raw!r} maps to both {seen[norm]!r} and {target!r}",
                        values,
                        target,
                        f"maps.{name}.values.{target}",
                    )
                seen[norm] = target
    return maps
