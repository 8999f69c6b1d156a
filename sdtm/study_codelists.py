"""Study codelists: sponsor codelists and extensions of extensible CDISC codelists, declared in the study folder.

``study.yaml`` names the file(s): ``codelists: codelists.yaml``::

    codelists:
      ARMCD:                          # a sponsor codelist (no CDISC codelist has this name)
        name: Planned Arm Code
        terms: {Pbo: Placebo, Xan_Lo: Xanomeline Low Dose}     # submission value: decode
      OTHEVENT:                       # an extension of the extensible CDISC codelist OTHEVENT
        extends: OTHEVENT
        terms: {FINAL LAB VISIT: Final Lab Visit}

Validated when the study is loaded (SpecError with file, line and key): ``extends`` names a CDISC codelist that
is extensible; a sponsor codelist does not reuse a CDISC name; an extension adds terms CDISC does not have.
Mapping files use them like CDISC codelists (``codelist: ARMCD`` on an assignment or a map); the result is a
:class:`cdisckit.standards.Codelist` (``package`` ``"Sponsor"`` or ``"SDTM CT + sponsor extension"``) that
the checks and define.xml can list: ``study_codelists(study_dir)``.

>>> import pathlib
>>> cls = study_codelists(pathlib.Path(__file__).resolve().parent.parent / "mappings" / "cdiscpilot01")
>>> cls["ARMCD"].decodes["Pbo"], cls["ARMCD"].extensible
('Placebo', False)
"""

from __future__ import annotations

from pathlib import Path

from cdisckit.errors import CdiscKitError, SpecError
from cdisckit.specio import load_yaml, spec_error
from cdisckit.standards import Codelist, codelist, codelist_names

CODELIST_KEYS = {"name", "extends", "extensible", "terms", "description"}


def load_study_codelists(study_dir: Path, study_doc: dict) -> dict[str, Codelist]:
    """The study codelists of ``study.yaml``'s ``codelists:`` file(s), validated; {} when there are none."""
    files = study_doc.get("codelists")
    if not files:
        return {}
    out: dict[str, Codelist] = {}
    for f in files if isinstance(files, list) else [files]:
        path = Path(study_dir) / str(f)
        if not path.exists():
            raise spec_error(f"codelist file {f} not found", study_doc, "codelists", "codelists")
        out.update(validate_codelists(load_yaml(path), path))
    return out


def validate_codelists(doc, path) -> dict[str, Codelist]:
    """``{codelists: {NAME: {name, extends, extensible, terms}}}`` -> ``{NAME: Codelist}``."""
    if not isinstance(doc, dict) or set(doc) != {"codelists"} or not isinstance(doc["codelists"], dict):
        raise SpecError("a codelist file holds one key, codelists: {NAME: {...}}", file=str(path), line=1)
    cdisc = set(codelist_names())
    out = {}
    for short, c in doc["codelists"].items():
        pk = f"codelists.{short}"
        if not isinstance(c, dict):
            raise spec_error("a codelist is a mapping {name, terms, ...}", doc["codelists"], short, pk)
        for k in c:
            if k not in CODELIST_KEYS:
                raise spec_error(
                    f"unknown key {k!r} in codelist {short} (allowed: {', '.join(sorted(CODELIST_KEYS))})", c, k, pk
                )
        terms = c.get("terms")
        if isinstance(terms, list):
            terms = {t: None for t in terms}
        if not isinstance(terms, dict) or not terms:
            raise spec_error("terms: {submission value: decode} (or a list of values) is required", c, "terms", pk)
        for t in terms:
            if isinstance(t, bool) or t is None:
                raise spec_error('YAML read Yes/No/null as a non-text term: quote it ("No")', terms, t, f"{pk}.terms")
        values = {str(t): (str(d) if d is not None else str(t)) for t, d in terms.items()}
        base = c.get("extends")
        if base is not None:
            try:
                parent = codelist(str(base))
            except CdiscKitError:
                raise spec_error(f"extends: {base!r} is not a CDISC codelist (specs/ct)", c, "extends", pk) from None
            if not parent.extensible:
                raise spec_error(
                    f"CDISC codelist {base} is not extensible: a study cannot add terms to it", c, "extends", pk
                )
            dup = sorted(set(values) & parent.values)
            if dup:
                raise spec_error(
                    f"{', '.join(dup)} already in CDISC codelist {base}: list only the terms the study adds",
                    c,
                    "terms",
                    f"{pk}.terms",
                )
            out[str(short)] = Codelist(
                str(short),
                str(c.get("name", parent.name)),
                parent.code,
                True,
                parent.values | frozenset(values),
                {**parent.decodes, **values},
                f"{parent.package} + sponsor extension",
                dict(parent.nci_codes),
            )
        else:
            if str(short) in cdisc:
                raise spec_error(
                    f"{short} is a CDISC codelist: extend it with 'extends: {short}' or give the sponsor codelist "
                    "another name",
                    doc["codelists"],
                    short,
                    pk,
                )
            ext = c.get("extensible", False)
            if not isinstance(ext, bool):
                raise spec_error("extensible is true or false", c, "extensible", f"{pk}.extensible")
            out[str(short)] = Codelist(
                str(short), str(c.get("name", short)), "", ext, frozenset(values), values, "Sponsor", {}
            )
    return out


def study_codelists(study_dir: Path) -> dict[str, Codelist]:
    """The validated study codelists of a mapping folder (for checks and define.xml)."""
    path = Path(study_dir) / "study.yaml"
    return load_study_codelists(Path(study_dir), load_yaml(path))


def resolve_codelist(name: str, study_codelists: dict | None) -> Codelist:
    """A study codelist by name, else the CDISC one (CdiscKitError when neither exists)."""
    if study_codelists and name in study_codelists:
        return study_codelists[name]
    return codelist(name)
