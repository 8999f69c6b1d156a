"""Define-XML 2.1 (SDTMIG 3.4 / ADaMIG 1.3) from specs/ plus the data actually written, and an HTML view.

``write_define(datasets, path, standard=..., study=..., origins=...)`` describes exactly the datasets and
columns it is given (nothing from the IG that is not in the data):

* ItemGroupDef per dataset (label, class, structure, keys, ``def:leaf`` -> ``<name>.xpt``);
* ItemDef per variable: DataType and Length from the data (text length = longest value in UTF-8 bytes,
  ``--DTC`` -> date/datetime/partialDate/partialDatetime, ADaM ``*DT``/``*DTM`` -> integer with DATE9./DATETIME20.);
* ``def:Origin`` from ``origins[(dataset, variable)] = (type, text)``, then the ADaM declaration in specs/adam/,
  then defaults (SDTM: STUDYID Protocol, DOMAIN Assigned, USUBJID/--SEQ/--DY/EPOCH Derived, others Collected;
  ADaM: variables of DM or of the source domain Predecessor, others Derived); Derived variables get a MethodDef;
* CodeList per used codelist restricted to the values present (CodeListItem + Decode when the CT decode adds
  information, EnumeratedItem otherwise), NCI codes as ``Alias Context="nci:ExtCodeID"``; ADaM PARAMCD gets a
  sponsor codelist decoded by PARAM;
* value-level metadata: TR results by TRTESTCD, RS results by RSCAT/RSTESTCD, SUPPxx QVAL by QNAM, ADaM AVAL/AVALC
  by PARAMCD. A value-level origin can be given as ``origins[(dataset, "AVAL.PFS")]``.

The output is deterministic (``created`` is a parameter) and validates against the Define-XML 2.1 schema
shipped by odmlib (:func:`validate_define`).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from .. import __version__
from ..errors import CdiscKitError, SpecError
from ..io import staged_file
from ..standards import (
    ADAMIG,
    CT_VERSION,
    SDTMIG,
    SPECS_DIR,
    DatasetSpec,
    VariableSpec,
    adam_dataset,
    adam_variable,
    available_codelists,
    codelist,
    sdtm_dataset,
)
from .datasetjson import char_length, default_timestamp, is_datetime_column, iso_timestamp, numeric_kind

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: ODM, "def": DEF, "xlink": XLINK}

ORIGIN_TYPES = ("Assigned", "Collected", "Derived", "Not Available", "Other", "Predecessor", "Protocol")
_ORIGIN_ALIASES = {
    "crf": ("Collected", "Investigator"),
    "edt": ("Collected", "Vendor"),
    "collected": ("Collected", "Investigator"),
}
_ITEM_GROUP_CLASSES = {
    "ADAM OTHER",
    "BASIC DATA STRUCTURE",
    "DEVICE LEVEL ANALYSIS DATASET",
    "EVENTS",
    "FINDINGS",
    "FINDINGS ABOUT",
    "INTERVENTIONS",
    "MEDICAL DEVICE BASIC DATA STRUCTURE",
    "MEDICAL DEVICE OCCURRENCE DATA STRUCTURE",
    "OCCURRENCE DATA STRUCTURE",
    "REFERENCE DATA STRUCTURE",
    "RELATIONSHIP",
    "SPECIAL PURPOSE",
    "STUDY REFERENCE",
    "SUBJECT LEVEL ANALYSIS DATASET",
    "TRIAL DESIGN",
}
_SDTM_CLASS_ORDER = [
    "TRIAL DESIGN",
    "SPECIAL PURPOSE",
    "INTERVENTIONS",
    "EVENTS",
    "FINDINGS",
    "FINDINGS ABOUT",
    "RELATIONSHIP",
    "STUDY REFERENCE",
]
_ADAM_LABELS = {
    "ADSL": "Subject-Level Analysis Dataset",
    "ADAE": "Adverse Events Analysis Dataset",
    "ADRS": "Response Analysis Dataset",
    "ADTTE": "Time-to-Event Analysis Dataset",
    "ADTR": "Tumor Results Analysis Dataset",
}
_DERIVED_METHODS = {
    "SEQ": "Sequence number: 1, 2, ... within each USUBJID, in the order of the dataset keys.",
    "DY": "Study day of the date in the matching --DTC relative to DM.RFSTDTC: date - RFSTDTC + 1 when on or "
    "after RFSTDTC, date - RFSTDTC when before (no day 0).",
    "USUBJID": "Unique subject identifier: STUDYID and the collected subject identifier combined.",
    "EPOCH": "Trial epoch in which the observation started, from the subject's reference dates and study elements.",
}
_CODED = {"DECOD", "BODSYS", "BDSYCD", "LLT", "LLTCD", "PTCD", "HLT", "HLTCD", "HLGT", "HLGTCD", "SOC", "SOCCD"}
_ASSIGNED_SDTM = {"ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD", "AGEU"}
_RF_METHODS = {
    "RFSTDTC": "Reference start date/time: date/time of first study treatment (or as defined in the protocol).",
    "RFENDTC": "Reference end date/time: date/time of last study treatment or end of participation.",
    "RFXSTDTC": "Date/time of first study treatment: earliest EXSTDTC.",
    "RFXENDTC": "Date/time of last study treatment: latest EXENDTC (else EXSTDTC).",
    "RFPENDTC": "Date/time of end of participation: latest date/time of any subject record.",
}
_VLM_SDTM = {
    "TR": (("TRTESTCD",), ("TRORRES", "TRSTRESC", "TRSTRESN")),
    "RS": (("RSCAT", "RSTESTCD"), ("RSORRES", "RSSTRESC", "RSSTRESN")),
}
_VLM_ADAM = (("PARAMCD",), ("AVAL", "AVALC"))


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


# ---------------------------------------------------------------- schema
def define_schema_path() -> Path:
    """The Define-XML 2.1 XSD shipped by odmlib (``odmlib/schemas/define/2.1/define2-1-0.xsd``)."""
    spec = importlib.util.find_spec("odmlib")
    if spec is None or not spec.submodule_search_locations:
        raise CdiscKitError("odmlib is not installed; it provides the Define-XML 2.1 schema (pip install odmlib)")
    path = Path(list(spec.submodule_search_locations)[0]) / "schemas" / "define" / "2.1" / "define2-1-0.xsd"
    if not path.exists():
        raise CdiscKitError(f"Define-XML 2.1 schema not found at {path}")
    return path


def validate_define(path) -> list[str]:
    """Schema errors of a define.xml against the Define-XML 2.1 XSD (empty list when valid)."""
    schema = etree.XMLSchema(etree.parse(str(define_schema_path())))
    doc = etree.parse(str(path))
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# ---------------------------------------------------------------- helpers
def _oid(*parts) -> str:
    return ".".join(re.sub(r"[^A-Za-z0-9_\-]+", "_", str(p)).strip("_") or "_" for p in parts)


def _text(parent, tag: str, text: str, ns: str = ODM):
    el = etree.SubElement(parent, _q(ns, tag))
    tt = etree.SubElement(el, _q(ODM, "TranslatedText"))
    tt.set(XML_LANG, "en")
    tt.text = text
    return el


def _distinct(series: pd.Series):
    """The non-missing values, each distinct value once where that is exact, else every value.

    Text, numbers and naive datetimes: their distinct values have the same ``str`` as every value (and a column of
    10,000 subjects has a few hundred distinct values among 100,000s). Object columns mixing types (``1`` and
    ``True`` hash equal but print differently) keep every value.

    >>> list(_distinct(pd.Series(["b", None, "a", "b"], dtype=object))), list(_distinct(pd.Series([1, True])))
    (['b', 'a'], [1, True])
    >>> _distinct(pd.Series(["b", None, "a", "b"], dtype="str"))  # arrow-backed text, in order of appearance
    ['b', 'a']
    """
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.unique(pa.array(series)).drop_null().to_pylist()  # arrow-backed text: no copy of the column
    s = series.dropna()
    dtype = s.dtype
    exact = (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_datetime64_dtype(dtype)
        or pd.api.types.infer_dtype(s, skipna=False) in ("string", "empty")
    )
    return pd.unique(s) if exact else s


def _values(series: pd.Series) -> list[str]:
    """Distinct non-missing values as text (numbers without a trailing .0), sorted."""
    out = set()
    for v in _distinct(series):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)
        s = str(v)
        if s.strip():
            out.add(s)
    return sorted(out)


def _text_keys(series: pd.Series) -> pd.Series:
    """The values as ``str`` (None where missing), as a where-clause compares them; text columns as they are."""
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series.astype(object)
    return series.astype(object).map(lambda x: None if pd.isna(x) else str(x))


def _rows_by_combo(df: pd.DataFrame, where_vars: list[str]) -> dict[tuple[str, ...], np.ndarray]:
    """Row positions of every combination of the where-columns' values (as text; rows with a missing one left out).

    One grouping per dataset instead of one comparison of every row per combination and target variable.

    >>> df = pd.DataFrame({"PARAMCD": ["A", "B", "A", None], "AVISITN": [1.0, 1.0, 1.0, 2.0]})
    >>> sorted((k, v.tolist()) for k, v in _rows_by_combo(df, ["PARAMCD", "AVISITN"]).items())
    [(('A', '1.0'), [0, 2]), (('B', '1.0'), [1])]
    """
    keys = pd.DataFrame({w: _text_keys(df[w]).to_numpy() for w in where_vars})
    groups = keys.groupby(where_vars, sort=False, dropna=True).indices
    return {(k if isinstance(k, tuple) else (k,)): np.asarray(v) for k, v in groups.items()}


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _iso_kind(series: pd.Series) -> str:
    """Define-XML DataType of ISO 8601 text: date, datetime, partialDate, partialDatetime, incompleteDatetime."""
    vals = [str(v) for v in _distinct(series) if str(v).strip()]
    if not vals:
        return "datetime"
    if any("--" in v or v.startswith("-") for v in vals):
        return "incompleteDatetime"
    if any("T" in v for v in vals):
        full = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?\Z")
        return "datetime" if all(full.match(v) for v in vals) else "partialDatetime"
    return "date" if all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in vals) else "partialDate"


@dataclass
class _Type:
    data_type: str
    length: int | None = None
    significant: int | None = None
    display_format: str | None = None


def _item_type(name: str, s: pd.Series) -> _Type:
    if pd.api.types.is_datetime64_any_dtype(s):
        return _Type("integer", 8, None, "DATETIME20." if is_datetime_column(name, s) else "DATE9.")
    if pd.api.types.is_bool_dtype(s):
        return _Type("integer", 1)
    if pd.api.types.is_numeric_dtype(s):
        # lengths and decimals are maxima over the values: the distinct values give the same (np.unique)
        f = np.unique(pd.to_numeric(s).astype("float64").dropna().to_numpy())
        if numeric_kind(name, s) == "integer":
            return _Type("integer", max([1] + [len(str(int(v))) for v in f]))
        texts = [np.format_float_positional(v, trim="-") for v in f]
        digits = max([1] + [len(t.replace("-", "").replace(".", "")) for t in texts])
        decimals = max([0] + [len(t.split(".")[1]) if "." in t else 0 for t in texts])
        return _Type("float", digits, decimals)
    if name.endswith("DTC"):
        return _Type(_iso_kind(s))
    if name.endswith("DUR"):
        return _Type("durationDatetime")
    # the longest value in bytes: the longest distinct value
    return _Type("text", char_length(pd.Series(_distinct(s), dtype=object)))


@dataclass
class _Origin:
    type: str
    source: str | None = None
    text: str | None = None  # def:Origin/Description (Predecessor, Assigned ...)
    method: str | None = None  # MethodDef description for Derived


def _parse_origin(value, where: str) -> _Origin | None:
    if value is None:
        return None
    if isinstance(value, _Origin):
        return value
    if isinstance(value, str):
        value = (value, None)
    typ, text = (tuple(value) + (None,))[:2]
    key = str(typ).strip().lower()
    if key in _ORIGIN_ALIASES:
        t, source = _ORIGIN_ALIASES[key]
        return _Origin(t, source, text or None)
    for t in ORIGIN_TYPES:
        if t.lower() == key:
            if t == "Derived":
                return _Origin(t, None, None, text or None)
            return _Origin(t, None, text or None)
    raise SpecError(f"origin type {typ!r} is not one of CRF, {', '.join(ORIGIN_TYPES)}", key=where)


@dataclass
class _Var:
    name: str
    label: str
    typ: _Type
    mandatory: bool
    key_seq: int | None
    role: str
    origin: _Origin
    codelist_oid: str | None = None
    vlm_oid: str | None = None
    item_oid: str = ""
    method_oid: str | None = None
    comment_oid: str | None = None


@dataclass
class _CL:
    oid: str
    name: str
    data_type: str
    short_name: str | None  # CT short name, None for sponsor lists
    values: set = field(default_factory=set)
    decodes: dict = field(default_factory=dict)  # sponsor lists


# ---------------------------------------------------------------- specs and defaults
def _adam_structures(name: str, df: pd.DataFrame) -> tuple[str, ...]:
    if name == "ADSL":
        return ("ADSL",)
    if name == "ADAE" or ("PARAMCD" not in df.columns and "AEDECOD" in df.columns):
        return ("OCCDS", "BDS", "ADSL")
    return ("BDS", "ADSL")


def _fallback_spec(name: str, df: pd.DataFrame, standard: str) -> DatasetSpec:
    """Metadata for a dataset without a declaration: labels from the IG templates, the frame's attrs or the name."""
    labels = df.attrs.get("column_labels") or {}
    if standard == ADAMIG:
        structures = _adam_structures(name, df)
        if name == "ADSL":
            cls, structure, keys = "SUBJECT LEVEL ANALYSIS DATASET", "One record per subject", ["STUDYID", "USUBJID"]
        elif "OCCDS" in structures:
            cls, structure = "OCCURRENCE DATA STRUCTURE", "One record per subject per event"
            keys = ["STUDYID", "USUBJID", "AEDECOD", "ASTDT", "AESEQ"]
        else:
            cls = "BASIC DATA STRUCTURE"
            structure = "One record per subject per parameter" + (
                "" if "CNSR" in df.columns or "AVISITN" not in df.columns else " per analysis visit"
            )
            keys = ["STUDYID", "USUBJID", "PARAMCD"] + ([] if "CNSR" in df.columns else ["AVISITN", "ADT"])
        vars_ = []
        for i, col in enumerate(df.columns, 1):
            v = adam_variable(col, structures)
            if v is None:
                v = VariableSpec(col, labels.get(col) or col, "Char", "Perm", i, sponsor=True)
            vars_.append(replace(v, order=i))
        label = df.attrs.get("label") or _ADAM_LABELS.get(name, name)
        return DatasetSpec(name, label, cls, structure, ADAMIG, tuple(k for k in keys if k in df.columns), tuple(vars_))
    sdtm_vars = tuple(
        VariableSpec(c, labels.get(c) or c, "Char", "Perm", i, sponsor=True) for i, c in enumerate(df.columns, 1)
    )
    return DatasetSpec(name, df.attrs.get("label") or name, "", "", SDTMIG, (), sdtm_vars)


def _spec_for(name: str, df: pd.DataFrame, standard: str, specs: dict | None) -> tuple[DatasetSpec, bool]:
    """(spec, is_standard). ADaM without a specs/adam declaration falls back to the ADaMIG templates."""
    if specs and name in specs:
        return specs[name], True
    try:
        if standard == ADAMIG:
            return adam_dataset(name), True
        return sdtm_dataset(name), True
    except CdiscKitError:
        return _fallback_spec(name, df, standard), standard == ADAMIG


def _sdtm_has(domain: str, var: str) -> bool:
    try:
        return sdtm_dataset(domain).variable(var) is not None
    except CdiscKitError:
        return False


_SUBJECT_DESIGN = {
    "SE": "From the trial design's element start rules applied to the subject's dates (first element start, next "
    "element start = this element's end).",
    "SV": "From the visits present in the visit forms: first and last date of the visit's records.",
}


def _default_origin(ds: str, var: str, standard: str, spec_var: VariableSpec | None, label: str) -> _Origin:
    if spec_var is not None and spec_var.origin:
        o = _parse_origin((spec_var.origin, spec_var.method or None), f"specs {ds}.{var}.origin")
        assert o is not None  # a (type, text) pair always parses to an origin (or raises SpecError)
        if o.type == "Derived" and not o.method:
            o.method = spec_var.method or _no_method(ds, var, label)
        if o.type == "Predecessor" and not o.text:
            o.text = spec_var.method or None
        if o.type != "Predecessor" or o.text:
            return o
    suffix = var[2:] if len(var) > 2 else ""
    if standard == SDTMIG:
        if var == "STUDYID":
            return _Origin("Protocol")
        if var in ("DOMAIN", "RDOMAIN"):
            return _Origin("Assigned")
        if var in ("USUBJID", "EPOCH"):
            return _Origin("Derived", method=_DERIVED_METHODS[var])
        if suffix == "SEQ":
            return _Origin("Derived", method=_DERIVED_METHODS["SEQ"].replace("--", var[:2]))
        if suffix in ("DY", "STDY", "ENDY"):
            dtc = var[:-2] + "DTC"
            return _Origin("Derived", method=_DERIVED_METHODS["DY"].replace("--DTC", dtc))
        if (
            suffix in ("TESTCD", "TEST", "CAT", "SCAT")
            or var in _ASSIGNED_SDTM
            or (ds.startswith("SUPP") and var in ("IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QORIG", "QEVAL"))
        ):
            return _Origin("Assigned")
        if var in _RF_METHODS:
            return _Origin("Derived", method=_RF_METHODS[var])
        if suffix in _CODED:
            return _Origin("Assigned", text="Coded from the collected term with the sponsor's dictionary.")
        if suffix in ("STRESC", "STRESN", "STRESU"):
            return _Origin(
                "Derived",
                method=f"Standardized result copied or converted from {var[:2]}ORRES"
                f"{'U' if suffix == 'STRESU' else ''}.",
            )
        from cdisckit.sdtm_model import domain_class

        if domain_class(ds) == "Trial Design":  # TA TE TV TI TS: the protocol's design (the study's design file)
            return _Origin("Protocol")
        if ds in _SUBJECT_DESIGN:
            return _Origin("Derived", method=_SUBJECT_DESIGN[ds])
        return _Origin("Collected", "Investigator")
    # ADaM: copied from SDTM -> Predecessor; everything else Derived
    source = ds[2:] if ds.startswith("AD") else ""
    for dom in ("DM", source, var[:2]):
        if dom and _sdtm_has(dom, var):
            return _Origin("Predecessor", text=f"{dom}.{var}")
    if var in ("ASEQ",) or suffix == "SEQ":
        return _Origin("Derived", method=_DERIVED_METHODS["SEQ"])
    return _Origin("Derived", method=_no_method(ds, var, label))


def _no_method(ds: str, var: str, label: str) -> str:
    return f"{label}: derivation as specified in the analysis plan for {ds}.{var} (no method text was supplied)."


def _choose_codelist(names: tuple[str, ...], values: list[str]) -> str | None:
    """The first CT codelist covering all values, else the first extensible one whose other values are text."""
    loaded = available_codelists(names)
    if not values:
        return None
    for cl in loaded:
        if all(v in cl.values for v in values):
            return cl.short_name
    for cl in loaded:
        extra = [v for v in values if v not in cl.values]
        if any(v in cl.values for v in values) and not any(_is_number(v) for v in extra):
            return cl.short_name
    return None


@functools.cache
def _ct_terms(short_name: str) -> tuple[dict, str]:
    """Term NCI codes and the CT package ('SDTM'/'ADaM') of a codelist, from specs/ct (read once per process;
    the callers only read the dict)."""
    ct = SPECS_DIR / "ct"
    path = ct / f"{short_name}.csv"
    if not path.exists():
        path = ct / f"ADAM_{short_name}.csv"
    if short_name == "COUNTRY" or not path.exists():
        return {}, ""
    t = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    package = "ADaM" if t["ct_package"].iloc[0].startswith("ADaM") else "SDTM"
    return dict(zip(t["submission_value"], t["nci_code"])), package


def _class_element(standard: str, name: str, spec: DatasetSpec, df: pd.DataFrame) -> tuple[str, str | None]:
    cls = (spec.class_ or "").upper().replace("-", " ").strip()
    if standard == SDTMIG:
        return (
            cls if cls in _ITEM_GROUP_CLASSES else "SPECIAL PURPOSE" if name.startswith("SUPP") else "FINDINGS"
        ), None
    sub = None
    if "TIME-TO-EVENT" in cls or name == "ADTTE" or "CNSR" in df.columns:
        cls, sub = "BASIC DATA STRUCTURE", "TIME-TO-EVENT"
    elif name == "ADAE" or cls.startswith("OCCURRENCE"):
        cls = "OCCURRENCE DATA STRUCTURE"
        sub = "ADVERSE EVENT" if name == "ADAE" else None
    elif cls not in _ITEM_GROUP_CLASSES:
        cls = (
            "SUBJECT LEVEL ANALYSIS DATASET"
            if name == "ADSL"
            else ("BASIC DATA STRUCTURE" if "PARAMCD" in df.columns else "ADAM OTHER")
        )
    return cls, sub


# ---------------------------------------------------------------- builder
def build_define(
    datasets: dict[str, pd.DataFrame],
    *,
    standard: str,
    study: dict,
    origins: dict | None = None,
    created=None,
    specs: dict[str, DatasetSpec] | None = None,
    context: str = "Submission",
    stylesheet: str | None = None,
    comments: dict | None = None,
    dictionaries: dict | None = None,
) -> etree._ElementTree:
    """The Define-XML 2.1 document as an lxml tree (see :func:`write_define`)."""
    std_key = str(standard).replace(" ", "").upper()
    if std_key.startswith("SDTMIG"):
        standard, purpose, ig_name, ig_version = SDTMIG, "Tabulation", "SDTMIG", "3.4"
    elif std_key.startswith("ADAMIG"):
        standard, purpose, ig_name, ig_version = ADAMIG, "Analysis", "ADaMIG", "1.3"
    else:
        raise SpecError(f"standard must be SDTMIG or ADaMIG, not {standard!r}", key="standard")
    study = dict(study or {})
    study_id = study.get("id") or study.get("study_id") or study.get("studyid") or study.get("STUDYID")
    if not study_id:
        raise SpecError("study needs an 'id' (the study identifier)", key="study.id")
    study_name = study.get("name") or study.get("study_name") or str(study_id)
    study_desc = study.get("description") or study_name
    protocol = study.get("protocol") or study.get("protocol_name") or str(study_id)
    origins = {(str(k[0]).upper(), str(k[1])): v for k, v in (origins or {}).items()}
    comments = {(str(k[0]).upper(), str(k[1])): str(v) for k, v in (comments or {}).items() if v}
    dictionary_of = {  # (dataset, variable) -> dictionary name, from {name: {version, variables: [DS.VAR]}}
        tuple(str(ref).upper().split(".", 1)): name
        for name, d in (dictionaries or {}).items()
        for ref in d.get("variables") or []
    }
    external: dict[str, tuple[str, str, str, str | None]] = {}  # oid -> (dictionary, version, data type, href)
    created = iso_timestamp(created) if created is not None else default_timestamp()
    std_oid = _oid("STD", ig_name, ig_version)

    # --- collect metadata ---------------------------------------------------------------------------
    names = [str(n).upper() for n in datasets]
    frames = {str(n).upper(): df.reset_index(drop=True) for n, df in datasets.items()}
    info = {}
    for name in names:
        spec, is_std = _spec_for(name, frames[name], standard, specs)
        info[name] = (spec, is_std)

    def ds_order(n):
        spec = info[n][0]
        if standard == ADAMIG:
            return (0 if n == "ADSL" else 1, n)
        cls = _class_element(standard, n, spec, frames[n])[0]
        base = n[4:] if n.startswith("SUPP") else n
        return (_SDTM_CLASS_ORDER.index(cls) if cls in _SDTM_CLASS_ORDER else 99, base, n)

    names.sort(key=ds_order)

    codelists: dict[str, _CL] = {}
    methods: dict[str, tuple[str, str]] = {}  # oid -> (name, description)
    item_groups = []  # (name, spec, is_std, [vars], df)
    value_lists = []  # (vl_oid, [(var, where_oid)])
    where_clauses = {}  # oid -> [(item_oid, value)]
    vlm_items: list[_Var] = []

    def register_codelist(short: str, vals: list[str], data_type: str) -> str:
        oid = _oid("CL", short)
        if oid not in codelists:
            cl = codelist(short)
            codelists[oid] = _CL(oid, cl.name or short, data_type, short)
        codelists[oid].values.update(vals)
        return oid

    def origin_for(ds: str, var: str, spec_var, label: str) -> _Origin:
        if (ds, var) in origins:
            o = _parse_origin(origins[(ds, var)], f"origins[{ds}, {var}]")
            if o is not None:
                if o.type == "Derived" and not o.method:
                    o.method = _default_origin(ds, var, standard, spec_var, label).method
                return o
        return _default_origin(ds, var, standard, spec_var, label)

    def attach_method(o: _Origin, oid_parts: tuple, title: str) -> str | None:
        if o.type != "Derived":
            return None
        oid = _oid("MT", *oid_parts)
        methods[oid] = (title, o.method or f"Derivation of {title}.")
        return oid

    for name in names:
        df = frames[name]
        spec, is_std = info[name]
        keys = [k for k in spec.keys if k in df.columns]
        vars_ = []
        for col in df.columns:
            sv = spec.variable(col)
            label = (
                (sv.label if sv is not None and sv.label else None)
                or (df.attrs.get("column_labels") or {}).get(col)
                or col
            )
            typ = _item_type(col, df[col])
            o = origin_for(name, col, sv, label)
            v = _Var(
                col,
                label,
                typ,
                bool(sv is not None and sv.core == "Req"),
                keys.index(col) + 1 if col in keys else None,
                (sv.role if sv is not None and standard == SDTMIG else "") or "",
                o,
                item_oid=_oid("IT", name, col),
            )
            cands = (sv.codelists or ((sv.codelist,) if sv.codelist else ())) if sv is not None else ()
            vals = _values(df[col]) if typ.data_type in ("text", "integer", "float") else []
            short = _choose_codelist(tuple(cands), vals) if cands else None
            if short:
                v.codelist_oid = register_codelist(short, vals, "text" if typ.data_type == "text" else typ.data_type)
            if (name, col) in dictionary_of and typ.data_type in ("text", "integer", "float"):
                dname = dictionary_of[(name, col)]
                dtype = "text" if typ.data_type == "text" else "integer"
                oid = _oid("CL", dname, dtype)
                d = (dictionaries or {})[dname]
                external[oid] = (dname, str(d.get("version", "")), dtype, d.get("href"))
                v.codelist_oid = oid
            if (name, col) in comments:
                v.comment_oid = _oid("COM", name, col)
            if standard == ADAMIG and col == "PARAMCD" and vals:
                oid = _oid("CL", name, "PARAMCD")
                cl = codelists.setdefault(oid, _CL(oid, f"Parameter Code ({name})", "text", None))
                if "PARAM" in df.columns:
                    pairs = df[["PARAMCD", "PARAM"]].dropna().drop_duplicates("PARAMCD")
                    cl.decodes.update(dict(zip(pairs["PARAMCD"].astype(str), pairs["PARAM"].astype(str))))
                cl.values.update(vals)
                v.codelist_oid = oid
            v.method_oid = attach_method(o, (name, col), f"{name}.{col}")
            vars_.append(v)
        # value-level metadata
        if standard == SDTMIG:
            if name.startswith("SUPP"):
                rule: tuple[tuple[str, ...], tuple[str, ...]] | None = (("QNAM",), ("QVAL",))
            else:
                rule = _VLM_SDTM.get(name)
        else:
            rule = _VLM_ADAM if "PARAMCD" in df.columns else None
        if rule:
            where_vars = [w for w in rule[0] if w in df.columns]
            by_name = {v.name: v for v in vars_}
            if where_vars and where_vars[-1] == rule[0][-1]:
                combos = df[where_vars].dropna().drop_duplicates()
                combos = sorted(tuple(str(x) for x in r) for r in combos.itertuples(index=False))
                rows_of = _rows_by_combo(df, where_vars)
                for target in rule[1]:
                    if target not in df.columns:
                        continue
                    parent = by_name[target]
                    refs = []
                    for combo in combos:
                        rows = rows_of.get(combo)
                        if rows is None:
                            continue
                        sub = df[target].iloc[rows]
                        if not sub.notna().any():
                            continue
                        wc_oid = _oid("WC", name, *[p for w, val in zip(where_vars, combo) for p in (w, val)])
                        where_clauses[wc_oid] = [(_oid("IT", name, w), val) for w, val in zip(where_vars, combo)]
                        key_full = f"{target}.{'.'.join(combo)}"
                        key_last = f"{target}.{combo[-1]}"
                        if (name, key_full) in origins or (name, key_last) in origins:
                            raw = origins.get((name, key_full), origins.get((name, key_last)))
                            o = _parse_origin(raw, f"origins[{name}, {key_full}]") or parent.origin
                            if o.type == "Derived" and not o.method:
                                o.method = parent.origin.method
                        elif (
                            name.startswith("SUPP")
                            and "QORIG" in df.columns
                            and len(qorig := _values(df["QORIG"].iloc[rows])) == 1
                        ):
                            parsed = (
                                _parse_origin(qorig[0], f"{name}.QORIG")
                                if qorig[0].lower() in [t.lower() for t in ORIGIN_TYPES] + list(_ORIGIN_ALIASES)
                                else None
                            )
                            o = parsed or parent.origin  # a QORIG string always parses to an origin
                            if o.type == "Derived" and not o.method:
                                o.method = f"Supplemental qualifier {combo[-1]} derived as described in QEVAL/QLABEL."
                        else:
                            o = parent.origin
                        vlabel = f"{parent.label} ({' / '.join(combo)})"
                        if name.startswith("SUPP") and "QLABEL" in df.columns:
                            qlabel = _values(df["QLABEL"].iloc[rows])
                            vlabel = qlabel[0] if len(qlabel) == 1 else vlabel
                        vi = _Var(
                            target,
                            vlabel,
                            _item_type(target, sub),
                            bool(sub.notna().all()),
                            None,
                            "",
                            o,
                            item_oid=_oid("IT", name, target, *combo),
                        )
                        if parent.codelist_oid:
                            vi.codelist_oid = parent.codelist_oid
                        vi.method_oid = (
                            attach_method(
                                o,
                                (name, target, *combo),
                                f"{name}.{target} where "
                                + " and ".join(f"{w} = {val}" for w, val in zip(where_vars, combo)),
                            )
                            if o is not parent.origin
                            else parent.method_oid
                        )
                        vlm_items.append(vi)
                        refs.append((vi, wc_oid))
                    if refs:
                        parent.vlm_oid = _oid("VL", name, target)
                        value_lists.append((parent.vlm_oid, refs))
        item_groups.append((name, spec, is_std, vars_, df))

    # --- write XML ------------------------------------------------------------------------------------
    root = etree.Element(_q(ODM, "ODM"), nsmap=NSMAP)
    root.set("FileType", "Snapshot")
    root.set("FileOID", _oid("DEF", study_id, ig_name))
    root.set("CreationDateTime", created)
    root.set("ODMVersion", "1.3.2")
    root.set("Originator", "cdisckit")
    root.set("SourceSystem", "cdisckit")
    root.set("SourceSystemVersion", __version__)
    root.set(_q(DEF, "Context"), context)
    st = etree.SubElement(root, _q(ODM, "Study"), OID=_oid("STUDY", study_id))
    gv = etree.SubElement(st, _q(ODM, "GlobalVariables"))
    etree.SubElement(gv, _q(ODM, "StudyName")).text = str(study_name)
    etree.SubElement(gv, _q(ODM, "StudyDescription")).text = str(study_desc)
    etree.SubElement(gv, _q(ODM, "ProtocolName")).text = str(protocol)
    mdv = etree.SubElement(st, _q(ODM, "MetaDataVersion"))
    mdv.set("OID", _oid("MDV", study_id, ig_name, ig_version))
    mdv.set("Name", f"{study_name}, {ig_name} {ig_version} Data Definitions")
    mdv.set("Description", f"{study_desc}: {purpose.lower()} datasets ({ig_name} {ig_version}, CDISC CT {CT_VERSION})")
    mdv.set(_q(DEF, "DefineVersion"), "2.1.0")

    # Standards: the IG, the CT package of the IG and any other CT package referenced by a codelist
    ct_packages = {"SDTM" if standard == SDTMIG else "ADaM"}
    cl_package = {}
    for oid, cl in codelists.items():
        if cl.short_name:
            _, pkg = _ct_terms(cl.short_name)
            cl_package[oid] = pkg
            if pkg:
                ct_packages.add(pkg)
    stds = etree.SubElement(mdv, _q(DEF, "Standards"))
    etree.SubElement(
        stds, _q(DEF, "Standard"), OID=std_oid, Name=ig_name, Type="IG", Version=ig_version, Status="Final"
    )
    ct_oids = {}
    for pkg in sorted(ct_packages, key=lambda p: (p != ("SDTM" if standard == SDTMIG else "ADaM"), p)):
        ct_oids[pkg] = _oid("STD", "CT", pkg, CT_VERSION)
        etree.SubElement(
            stds,
            _q(DEF, "Standard"),
            OID=ct_oids[pkg],
            Name="CDISC/NCI",
            Type="CT",
            PublishingSet=pkg,
            Version=CT_VERSION,
            Status="Final",
        )

    for vl_oid, refs in value_lists:
        vl = etree.SubElement(mdv, _q(DEF, "ValueListDef"), OID=vl_oid)
        for i, (vi, wc_oid) in enumerate(refs, 1):
            ir = etree.SubElement(
                vl,
                _q(ODM, "ItemRef"),
                ItemOID=vi.item_oid,
                OrderNumber=str(i),
                Mandatory="Yes" if vi.mandatory else "No",
            )
            if vi.method_oid:
                ir.set("MethodOID", vi.method_oid)
            etree.SubElement(ir, _q(DEF, "WhereClauseRef"), WhereClauseOID=wc_oid)
    for wc_oid, checks in where_clauses.items():
        wc = etree.SubElement(mdv, _q(DEF, "WhereClauseDef"), OID=wc_oid)
        for item_oid, val in checks:
            rc = etree.SubElement(wc, _q(ODM, "RangeCheck"), Comparator="EQ", SoftHard="Soft")
            rc.set(_q(DEF, "ItemOID"), item_oid)
            etree.SubElement(rc, _q(ODM, "CheckValue")).text = val

    for name, spec, is_std, vars_, df in item_groups:
        ig = etree.SubElement(mdv, _q(ODM, "ItemGroupDef"))
        ig.set("OID", _oid("IG", name))
        cls, sub = _class_element(standard, name, spec, df)
        if standard == SDTMIG:  # Define-XML 2.1: a SUPP-- dataset carries the domain of its parent records
            ig.set("Domain", name[4:] if name.startswith("SUPP") else name)
        ig.set("Name", name)
        ig.set("Repeating", "No" if name in ("DM", "ADSL") or cls == "TRIAL DESIGN" else "Yes")
        ig.set("IsReferenceData", "Yes" if cls == "TRIAL DESIGN" else "No")
        ig.set("SASDatasetName", name[:8])
        ig.set("Purpose", purpose)
        ig.set(
            _q(DEF, "Structure"),
            spec.structure
            or ("One record per subject" if name in ("DM", "ADSL") else "One or more records per subject"),
        )
        ig.set(_q(DEF, "ArchiveLocationID"), _oid("LF", name))
        if is_std:
            ig.set(_q(DEF, "StandardOID"), std_oid)
        else:
            ig.set(_q(DEF, "IsNonStandard"), "Yes")
        _text(ig, "Description", spec.label or name)
        for i, v in enumerate(vars_, 1):
            ir = etree.SubElement(ig, _q(ODM, "ItemRef"), ItemOID=v.item_oid)
            if v.method_oid:
                ir.set("MethodOID", v.method_oid)
            ir.set("OrderNumber", str(i))
            ir.set("Mandatory", "Yes" if v.mandatory else "No")
            if v.key_seq:
                ir.set("KeySequence", str(v.key_seq))
            if v.role:
                ir.set("Role", v.role)
        cl_el = etree.SubElement(ig, _q(DEF, "Class"), Name=cls)
        if sub:
            etree.SubElement(cl_el, _q(DEF, "SubClass"), Name=sub)
        leaf = etree.SubElement(ig, _q(DEF, "leaf"), ID=_oid("LF", name))
        leaf.set(_q(XLINK, "href"), f"{name.lower()}.xpt")
        etree.SubElement(leaf, _q(DEF, "title")).text = f"{name.lower()}.xpt"

    def item_def(v: _Var, desc: str | None):
        it = etree.SubElement(mdv, _q(ODM, "ItemDef"), OID=v.item_oid, Name=v.name, DataType=v.typ.data_type)
        if v.typ.length is not None:
            it.set("Length", str(v.typ.length))
        if v.typ.significant is not None:
            it.set("SignificantDigits", str(v.typ.significant))
        it.set("SASFieldName", v.name[:8])
        if v.typ.display_format:
            it.set(_q(DEF, "DisplayFormat"), v.typ.display_format)
        if v.comment_oid:
            it.set(_q(DEF, "CommentOID"), v.comment_oid)
        if desc:
            _text(it, "Description", desc)
        if v.codelist_oid:
            etree.SubElement(it, _q(ODM, "CodeListRef"), CodeListOID=v.codelist_oid)
        og = etree.SubElement(it, _q(DEF, "Origin"), Type=v.origin.type)
        if v.origin.source:
            og.set("Source", v.origin.source)
        if v.origin.text:
            _text(og, "Description", v.origin.text)
        if v.vlm_oid:
            etree.SubElement(it, _q(DEF, "ValueListRef"), ValueListOID=v.vlm_oid)

    for _, _, _, vars_, _ in item_groups:
        for v in vars_:
            item_def(v, v.label)
    for vi in vlm_items:
        item_def(vi, vi.label)

    for oid, cl in codelists.items():
        ce = etree.SubElement(mdv, _q(ODM, "CodeList"), OID=oid, Name=cl.name, DataType=cl.data_type)
        if cl.short_name:
            ct = codelist(cl.short_name)
            terms, pkg = _ct_terms(cl.short_name)
            if pkg:
                ce.set(_q(DEF, "StandardOID"), ct_oids[pkg])
            decodes = ct.decodes
            in_ct = ct.values
        else:
            terms, decodes, in_ct = {}, cl.decodes, frozenset(cl.values)
        vals = sorted(cl.values)
        use_decode = any((dec := decodes.get(v)) and dec.strip().upper() != v.upper() for v in vals)
        for val in vals:
            el = etree.SubElement(ce, _q(ODM, "CodeListItem" if use_decode else "EnumeratedItem"), CodedValue=val)
            if val not in in_ct:
                el.set(_q(DEF, "ExtendedValue"), "Yes")
            if use_decode:
                _text(el, "Decode", decodes.get(val) or val)
            if terms.get(val):
                etree.SubElement(el, _q(ODM, "Alias"), Context="nci:ExtCodeID", Name=terms[val])
        if cl.short_name and cl.short_name != "COUNTRY":
            code = codelist(cl.short_name).code
            if code:
                etree.SubElement(ce, _q(ODM, "Alias"), Context="nci:ExtCodeID", Name=code)

    for oid, (dname, version, dtype, href) in sorted(external.items()):
        ce = etree.SubElement(mdv, _q(ODM, "CodeList"), OID=oid, Name=f"{dname} {version}".strip(), DataType=dtype)
        ext = etree.SubElement(ce, _q(ODM, "ExternalCodeList"), Dictionary=dname, Version=version)
        if href:
            ext.set("href", str(href))

    for oid, (title, text) in methods.items():
        md = etree.SubElement(
            mdv, _q(ODM, "MethodDef"), OID=oid, Name=f"Algorithm to derive {title}", Type="Computation"
        )
        _text(md, "Description", text)
    for (ds, var), text in sorted(comments.items()):
        if ds in frames and var in frames[ds].columns:
            _text(etree.SubElement(mdv, _q(DEF, "CommentDef"), OID=_oid("COM", ds, var)), "Description", text)

    tree = etree.ElementTree(root)
    if stylesheet:
        pi = etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{stylesheet}"')
        root.addprevious(pi)
    return tree


def write_define(
    datasets: dict[str, pd.DataFrame],
    path,
    *,
    standard: str,
    study: dict,
    origins: dict | None = None,
    created=None,
    specs: dict[str, DatasetSpec] | None = None,
    context: str = "Submission",
    stylesheet: str | None = None,
    comments: dict | None = None,
    dictionaries: dict | None = None,
) -> Path:
    """Write define.xml (Define-XML 2.1) for ``datasets`` and return its path.

    ``standard``: ``"SDTMIG"`` or ``"ADaMIG"``. ``study``: ``id`` (required), ``name``, ``description``,
    ``protocol``. ``origins``: ``{(dataset, variable): (origin type, source/method text) | None}``; types CRF
    (= Collected, Source Investigator), Collected, Derived (text = method), Assigned, Predecessor (text =
    e.g. ``DM.AGE``), Protocol, Not Available, Other; ``(dataset, "AVAL.PFS")`` sets a value-level origin.
    ``created`` (datetime or ISO text) is CreationDateTime; it is never taken from the clock.
    ``specs`` overrides the dataset metadata (otherwise specs/ via cdisckit.standards).
    ``comments``: ``{(dataset, variable): text}`` -> def:CommentDef referenced by the ItemDef (def:CommentOID).
    ``dictionaries``: ``{name: {version, variables: ["AE.AEDECOD", ...], href}}`` -> one external codelist
    (ExternalCodeList Dictionary/Version) per dictionary and data type, referenced by those variables.
    """
    tree = build_define(
        datasets,
        standard=standard,
        study=study,
        origins=origins,
        created=created,
        specs=specs,
        context=context,
        stylesheet=stylesheet,
        comments=comments,
        dictionaries=dictionaries,
    )
    path = Path(path)
    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    with staged_file(path) as tmp:
        tmp.write_bytes(data)
    return path


# ---------------------------------------------------------------- HTML view
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;margin:0;color:#1d2733;background:#fff}
nav{position:fixed;top:0;left:0;bottom:0;width:15rem;overflow:auto;background:#f3f5f8;border-right:1px solid #d6dbe2;
padding:1rem;font-size:.85rem;box-sizing:border-box}
nav a{display:block;color:#1f4e8c;text-decoration:none;padding:.1rem 0} nav h2{font-size:.9rem;margin:.8rem 0 .3rem}
main{margin-left:15rem;padding:1rem 2rem;max-width:80rem}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:2px solid #1f4e8c;padding-bottom:.2rem}
h3{font-size:1rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0 1rem}
th,td{border:1px solid #d6dbe2;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#e8edf4} tr:nth-child(even) td{background:#fafbfc}
.meta{color:#4a5668;font-size:.85rem} code{font-size:.85em}
@media print{nav{display:none} main{margin-left:0}}
"""


def write_define_html(define_path, html_path) -> Path:
    """A self-contained HTML view of a define.xml (datasets, variables, value-level metadata, codelists,
    methods), viewable offline. No CDISC stylesheet ships with the installed packages, so it is rendered here."""
    import lxml.html
    from lxml.html import builder as E

    doc = etree.parse(str(define_path))
    ns = {"odm": ODM, "def": DEF, "xlink": XLINK}

    def tt(el, path="odm:Description/odm:TranslatedText"):
        if el is None:
            return ""
        found = el.find(path, ns)
        return (found.text or "") if found is not None else ""

    mdv = doc.find(".//odm:MetaDataVersion", ns)
    gv = doc.find(".//odm:GlobalVariables", ns)
    items = {it.get("OID"): it for it in mdv.findall("odm:ItemDef", ns)}
    methods = {m.get("OID"): m for m in mdv.findall("odm:MethodDef", ns)}
    cls_ = {c.get("OID"): c for c in mdv.findall("odm:CodeList", ns)}
    vls = {v.get("OID"): v for v in mdv.findall("def:ValueListDef", ns)}
    wcs = {w.get("OID"): w for w in mdv.findall("def:WhereClauseDef", ns)}
    item_names = {oid: it.get("Name") for oid, it in items.items()}
    comments = {c.get("OID"): tt(c) for c in mdv.findall("def:CommentDef", ns)}

    def type_text(it):
        t = it.get("DataType")
        if it.get("Length"):
            t += f" ({it.get('Length')}{'.' + it.get('SignificantDigits') if it.get('SignificantDigits') else ''})"
        return t

    def origin_cell(it, ref):
        og = it.find("def:Origin", ns)
        if og is None:
            return [""]
        parts = [og.get("Type") + (f" ({og.get('Source')})" if og.get("Source") else "")]
        desc = tt(og)
        if desc:
            parts += [E.BR(), desc]
        moid = ref.get("MethodOID") if ref is not None else None
        if moid in methods:
            parts += [E.BR(), E.A(tt(methods[moid]), href=f"#{moid}")]
        if it.get(_q(DEF, "CommentOID")) in comments:
            parts += [E.BR(), E.I("Comment: " + comments[it.get(_q(DEF, "CommentOID"))])]
        return parts

    def codelist_cell(it):
        ref = it.find("odm:CodeListRef", ns)
        if ref is None:
            return ""
        oid = ref.get("CodeListOID")
        return E.A(cls_[oid].get("Name") if oid in cls_ else oid, href=f"#{oid}")

    def where_text(wc_oid):
        wc = wcs.get(wc_oid)
        if wc is None:
            return wc_oid
        return " and ".join(
            f"{item_names.get(rc.get(_q(DEF, 'ItemOID')), '?')} "
            f"{'=' if rc.get('Comparator') == 'EQ' else rc.get('Comparator')} "
            + ", ".join(cv.text or "" for cv in rc.findall("odm:CheckValue", ns))
            for rc in wc.findall("odm:RangeCheck", ns)
        )

    groups = mdv.findall("odm:ItemGroupDef", ns)
    title = f"Define-XML: {gv.findtext('odm:StudyName', namespaces=ns)}"
    nav = E.NAV(E.H2("Datasets"), *[E.A(g.get("Name"), href=f"#{g.get('OID')}") for g in groups])
    if vls:
        nav.append(E.H2("Value level"))
        nav.extend(E.A(oid, href=f"#{oid}") for oid in vls)
    nav.append(E.H2(E.A("Codelists", href="#codelists")))
    nav.append(E.H2(E.A("Methods", href="#methods")))
    main = E.E.main(
        E.H1(title),
        E.P(
            {"class": "meta"},
            gv.findtext("odm:StudyDescription", namespaces=ns) or "",
            E.BR(),
            f"Protocol: {gv.findtext('odm:ProtocolName', namespaces=ns)}",
            E.BR(),
            f"{mdv.get('Name')} · Define-XML {mdv.get(_q(DEF, 'DefineVersion'))} · created "
            f"{doc.getroot().get('CreationDateTime')}",
        ),
    )
    stds = mdv.find("def:Standards", ns)
    if stds is not None:
        main.append(E.H2("Standards"))
        main.append(
            E.TABLE(
                E.TR(E.TH("Standard"), E.TH("Type"), E.TH("Publishing set"), E.TH("Version"), E.TH("Status")),
                *[
                    E.TR(
                        E.TD(s.get("Name")),
                        E.TD(s.get("Type")),
                        E.TD(s.get("PublishingSet") or ""),
                        E.TD(s.get("Version")),
                        E.TD(s.get("Status")),
                    )
                    for s in stds
                ],
            )
        )
    main.append(E.H2("Datasets"))
    rows = []
    for g in groups:
        leaf = g.find("def:leaf", ns)
        cls_el = g.find("def:Class", ns)
        cls_name = cls_el.get("Name") if cls_el is not None else ""
        sub = cls_el.find("def:SubClass", ns) if cls_el is not None else None
        if sub is not None:
            cls_name += f" / {sub.get('Name')}"
        keys = sorted(
            (int(r.get("KeySequence")), item_names.get(r.get("ItemOID"), ""))
            for r in g.findall("odm:ItemRef", ns)
            if r.get("KeySequence")
        )
        rows.append(
            E.TR(
                E.TD(E.A(g.get("Name"), href=f"#{g.get('OID')}")),
                E.TD(tt(g)),
                E.TD(cls_name),
                E.TD(g.get(_q(DEF, "Structure")) or ""),
                E.TD(", ".join(k for _, k in keys)),
                E.TD(E.A(leaf.findtext("def:title", namespaces=ns), href=leaf.get(_q(XLINK, "href"))))
                if leaf is not None
                else E.TD(""),
            )
        )
    main.append(
        E.TABLE(
            E.TR(
                E.TH("Dataset"), E.TH("Description"), E.TH("Class"), E.TH("Structure"), E.TH("Keys"), E.TH("Location")
            ),
            *rows,
        )
    )
    for g in groups:
        main.append(E.H2(f"{g.get('Name')} ({tt(g)})", id=g.get("OID")))
        rows = []
        for ref in g.findall("odm:ItemRef", ns):
            it = items[ref.get("ItemOID")]
            vl = it.find("def:ValueListRef", ns)
            name_cell = [it.get("Name")]
            if vl is not None:
                name_cell += [E.BR(), E.A("value level", href=f"#{vl.get('ValueListOID')}")]
            rows.append(
                E.TR(
                    E.TD(*name_cell),
                    E.TD(tt(it)),
                    E.TD(ref.get("KeySequence") or ""),
                    E.TD(ref.get("Mandatory")),
                    E.TD(type_text(it)),
                    E.TD(it.get(_q(DEF, "DisplayFormat")) or ""),
                    E.TD(codelist_cell(it)),
                    E.TD(*origin_cell(it, ref)),
                )
            )
        main.append(
            E.TABLE(
                E.TR(
                    E.TH("Variable"),
                    E.TH("Label"),
                    E.TH("Key"),
                    E.TH("Mandatory"),
                    E.TH("Type"),
                    E.TH("Format"),
                    E.TH("Controlled terms"),
                    E.TH("Origin / method"),
                ),
                *rows,
            )
        )
    if vls:
        main.append(E.H2("Value-level metadata"))
        for oid, vl in vls.items():
            main.append(E.H3(oid, id=oid))
            rows = []
            for ref in vl.findall("odm:ItemRef", ns):
                it = items[ref.get("ItemOID")]
                wc = ref.find("def:WhereClauseRef", ns)
                rows.append(
                    E.TR(
                        E.TD(it.get("Name")),
                        E.TD(where_text(wc.get("WhereClauseOID")) if wc is not None else ""),
                        E.TD(type_text(it)),
                        E.TD(ref.get("Mandatory")),
                        E.TD(codelist_cell(it)),
                        E.TD(*origin_cell(it, ref)),
                    )
                )
            main.append(
                E.TABLE(
                    E.TR(
                        E.TH("Variable"),
                        E.TH("Where"),
                        E.TH("Type"),
                        E.TH("Mandatory"),
                        E.TH("Controlled terms"),
                        E.TH("Origin / method"),
                    ),
                    *rows,
                )
            )
    main.append(E.H2("Codelists", id="codelists"))
    for oid, cl in cls_.items():
        alias = cl.find("odm:Alias", ns)
        head = f"{cl.get('Name')} ({oid}{', NCI ' + alias.get('Name') if alias is not None else ''})"
        main.append(E.H3(head, id=oid))
        ext = cl.find("odm:ExternalCodeList", ns)
        if ext is not None:
            main.append(E.P(f"External dictionary {ext.get('Dictionary')}, version {ext.get('Version')}"))
            continue
        rows = []
        for item in cl:
            if item.tag not in (_q(ODM, "CodeListItem"), _q(ODM, "EnumeratedItem")):
                continue
            a = item.find("odm:Alias", ns)
            ext = " (extended)" if item.get(_q(DEF, "ExtendedValue")) == "Yes" else ""
            rows.append(
                E.TR(
                    E.TD(item.get("CodedValue") + ext),
                    E.TD(tt(item, "odm:Decode/odm:TranslatedText")),
                    E.TD(a.get("Name") if a is not None else ""),
                )
            )
        main.append(E.TABLE(E.TR(E.TH("Coded value"), E.TH("Decode"), E.TH("NCI code")), *rows))
    main.append(E.H2("Methods", id="methods"))
    main.append(
        E.TABLE(
            E.TR(E.TH("Method"), E.TH("Type"), E.TH("Description")),
            *[E.TR(E.TD(m.get("Name"), id=oid), E.TD(m.get("Type")), E.TD(tt(m))) for oid, m in methods.items()],
        )
    )
    page = E.HTML(E.HEAD(E.META(charset="utf-8"), E.TITLE(title), E.STYLE(_CSS)), E.BODY(nav, main))
    html = lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode", pretty_print=True)
    html_path = Path(html_path)
    with staged_file(html_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return html_path
