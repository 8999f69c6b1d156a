"""Standards API: the complete CT package, and what SDTMIG 3.4 permits in a domain of a given class.

Expected values were looked up by hand in the CT 2025-03-28 package files and in SDTMIG 3.4 (sections
2.5-2.7, 4.1.4 and the domain assumptions quoted next to each test).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from cdisckit import sdtm_model, standards
from cdisckit.errors import CdiscKitError
from cdisckit.sdtm_model import allowed_variables, class_variables, custom_domain, domain_class, variable_permission
from cdisckit.standards import SPECS_DIR, codelist, codelist_index, codelist_names, sdtm_dataset


# ---------------------------------------------------------------- CT
def test_vital_signs_codelists():
    vs = codelist("VSTESTCD")
    assert (vs.code, vs.name, vs.extensible, vs.package) == ("C66741", "Vital Signs Test Code", True, "SDTM CT")
    assert {"SYSBP", "DIABP", "PULSE", "TEMP", "WEIGHT", "HEIGHT", "BMI"} <= vs.values
    assert vs.decodes["SYSBP"] == "Systolic Blood Pressure" and vs.nci_codes["SYSBP"] == "C25298"
    assert vs.decodes["TEMP"] == "Body Temperature" and vs.nci_codes["TEMP"] == "C174446"
    assert codelist("VSTEST").decodes["Diastolic Blood Pressure"] == "Diastolic Blood Pressure"
    units = codelist("VSRESU")
    assert (units.code, units.extensible) == ("C66770", True)
    assert {"mmHg", "beats/min", "breaths/min", "C", "F", "cm", "in", "kg", "LB", "kg/m2", "%"} <= units.values
    assert units.decodes["mmHg"] == "Millimeter of Mercury" and units.decodes["LB"] == "Pound"


def test_non_extensible_and_case_sensitive_values():
    ny = codelist("NY")
    assert (ny.code, ny.extensible, ny.values) == ("C66742", False, frozenset({"N", "NA", "U", "Y"}))
    assert ny.decodes["NA"] == "Not Applicable"  # "NA" is a term, never read as missing
    unit = codelist("UNIT")
    assert {"Pa", "PA"} <= unit.values and unit.decodes["Pa"] == "Pascal" and unit.decodes["PA"] == "Per Year"
    assert len(unit.values) == 929
    assert codelist("ROUTE").extensible and "ORAL" in codelist("ROUTE").values


def test_adam_and_define_xml_codelists():
    datefl = codelist("DATEFL")
    assert (datefl.code, datefl.extensible, datefl.package, datefl.values) == (
        "C81223",
        False,
        "ADaM CT",
        frozenset({"D", "M", "Y"}),
    )
    assert codelist("PARAMTYP").values == frozenset({"DERIVED"})
    assert codelist("DTYPE").extensible and {"LOCF", "AVERAGE", "WOCF"} <= codelist("DTYPE").values
    origin = codelist("ORIGINT")
    assert origin.package == "Define-XML CT" and origin.code == "C170449" and not origin.extensible
    from cdisckit.writers.define import ORIGIN_TYPES

    assert origin.values == frozenset(ORIGIN_TYPES)  # define.xml's origin types are exactly the Define-XML CT terms
    # published in two packages: the SDTM file answers
    assert codelist("TPCATRS").package == "SDTM CT" and codelist("TPCATRS").code == "C204414"


def test_every_codelist_an_ig_variable_names_is_available():
    """SDTMIG 3.4 tables name 430+ distinct codelists; all are in CT 2025-03-28 except C85495 (MS.MSRESCAT)."""
    variables, _ = standards._sdtm_tables()
    named = {c for cell in variables["codelist_names"] for c in standards._codelists_of(cell)}
    missing = sorted(n for n in named if n not in set(codelist_names()))
    assert missing == []
    assert "?C85495" in set(variables["codelist_names"])  # the one the package does not have, flagged upstream


def test_codelist_names_and_index():
    names = codelist_names()
    # 1,158 SDTM + 23 ADaM + 15 Define-XML codelists, 3 published twice, plus COUNTRY (ISO 3166-1)
    assert len(names) == 1158 + 23 + 15 - 3 + 1
    assert {"VSTESTCD", "LBTESTCD", "EGTESTCD", "DATEFL", "ORIGINT", "COUNTRY"} <= set(names)
    index = codelist_index()
    assert sum(int(r["n_terms"]) for r in index if r["ct_package"] == "SDTM CT") == 43698
    with pytest.raises(CdiscKitError, match="codelist NOPE is not in specs/ct"):
        codelist("NOPE")
    with pytest.raises(CdiscKitError, match="not in specs/ct"):
        codelist("../ct/NY")


def test_one_codelist_reads_one_file_without_pandas():
    """Start-up stays fast: asking for a codelist opens that codelist's file only and does not import pandas."""
    code = (
        "import builtins, sys, pathlib\n"
        "opened = []\n"
        "real = pathlib.Path.open\n"
        "def spy(self, *a, **k):\n"
        "    opened.append(self.name)\n"
        "    return real(self, *a, **k)\n"
        "pathlib.Path.open = spy\n"
        "import cdisckit.standards as s\n"
        "cl = s.codelist('VSTESTCD'); s.codelist('VSTESTCD')\n"
        "print(opened, 'pandas' in sys.modules, len(cl.values))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "['VSTESTCD.csv']" and out[1] == "False" and int(out[2]) > 50


# ---------------------------------------------------------------- SDTM model
def test_class_variables_from_sdtm_v2():
    go = {v.name: v for v in class_variables("General Observations")}
    assert (go["VISITNUM"].role, go["VISITNUM"].type, go["VISITNUM"].label) == ("Timing", "Num", "Visit Number")
    assert go["--SEQ"].role == "Identifier" and go["EPOCH"].type == "Char"
    assert [v.name for v in class_variables("Findings") if v.role == "Topic"] == ["--TESTCD"]
    assert [v.name for v in class_variables("Events") if v.role == "Topic"] == ["--TERM"]
    assert [v.name for v in class_variables("Interventions") if v.role == "Topic"] == ["--TRT"]
    assert [v.name for v in class_variables("Findings About")] == ["--OBJ"]
    with pytest.raises(CdiscKitError, match="not an SDTM v2.0 class"):
        class_variables("Observations")


def test_sdtm_dataset_is_unchanged_by_the_wider_view():
    """sdtm_dataset() stays the SDTMIG domain table: EX has no VISITNUM there; the wider view adds it."""
    ex = sdtm_dataset("EX")
    assert "VISITNUM" not in ex.names and ex.names[:4] == ["STUDYID", "DOMAIN", "USUBJID", "EXSEQ"]
    assert all(v.source == "" for v in ex.variables)
    wide = allowed_variables("EX")
    assert [v.name for v in wide.variables if v.source == "IG"] == ex.names
    assert (wide.label, wide.class_, wide.keys) == (ex.label, ex.class_, ex.keys)


def _names(spec, names):
    return [v.name for v in spec.variables if v.name in names]


def test_ex_allows_visit_timing_and_orders_it_as_sdtmig():
    """EX assumption 4a: VISITNUM may be added (then VISIT, VISITDY); timing goes among the IG timing variables."""
    ex = allowed_variables("EX")
    order = [v.name for v in ex.variables]
    # the qualifiers end with EXADJ (IG) and EXRSDISC (SDTM Interventions 40, after --ADJ 39); timing follows
    assert order[order.index("EXADJ") + 1 : order.index("EXADJ") + 3] == ["EXRSDISC", "VISITNUM"]
    assert _names(ex, {"VISITNUM", "VISIT", "VISITDY", "TAETORD", "EPOCH", "EXDTC", "EXSTDTC"}) == [
        "VISITNUM",
        "VISIT",
        "VISITDY",
        "TAETORD",
        "EPOCH",
        "EXDTC",
        "EXSTDTC",
    ]
    assert _names(ex, {"EXENDTC", "EXDY", "EXSTDY"}) == ["EXENDTC", "EXDY", "EXSTDY"]
    assert [v.order for v in ex.variables] == list(range(1, len(order) + 1))
    visit = variable_permission("EX", "VISITNUM")
    assert (visit.allowed, visit.source, visit.spec.label, visit.spec.type, visit.spec.core) == (
        True,
        "MODEL",
        "Visit Number",
        "Num",
        "Perm",
    )
    for ig in ("EPOCH", "EXSTDY", "EXDOSE", "EXTRT"):
        assert variable_permission("EX", ig).source == "IG"
    # EX assumption 6a: --MOOD "would generally not be used": allowed, with the advice
    assert variable_permission("EX", "EXMOOD").allowed
    assert "EX assumption 6a" in variable_permission("EX", "EXMOOD").spec.advice


def test_ex_refuses_other_classes_and_send_only_variables():
    topic = variable_permission("EX", "EXTESTCD")
    assert not topic and topic.source == "" and "topic variable of the Findings class" in topic.reason
    assert "§2.6 c" in topic.reason
    assert "qualifier of the Findings class" in variable_permission("EX", "EXORRES").reason
    assert "qualifier of the Events and Findings classes" in variable_permission("EX", "EXSEV").reason
    method = variable_permission("EX", "EXMETHOD")  # §2.7: --METHOD (Interventions) never in human trials
    assert not method and "§2.7" in method.reason
    assert not variable_permission("EX", "EXUSCHFL") and not variable_permission("EX", "EXRSTIND")


def test_mh_carries_meddra_hierarchy_and_severity():
    """The CDISC pilot MH has MHLLT, MHHLT, MHHLGT and MHSEV: Events qualifiers SDTMIG lets MH add."""
    mh = allowed_variables("MH")
    assert _names(mh, {"MHTERM", "MHMODIFY", "MHLLT", "MHDECOD", "MHHLT", "MHHLGT", "MHCAT", "MHSEV"}) == [
        "MHTERM",
        "MHMODIFY",
        "MHLLT",
        "MHDECOD",
        "MHHLT",
        "MHHLGT",
        "MHCAT",
        "MHSEV",
    ]
    for name, label, role in (
        ("MHLLT", "Lowest Level Term", "Variable Qualifier"),
        ("MHHLT", "High Level Term", "Variable Qualifier"),
        ("MHHLGT", "High Level Group Term", "Variable Qualifier"),
        ("MHSEV", "Severity/Intensity", "Record Qualifier"),
    ):
        p = variable_permission("MH", name)
        assert (p.allowed, p.source, p.spec.label, p.spec.type, p.spec.role, p.spec.core) == (
            True,
            "MODEL",
            label,
            "Char",
            role,
            "Perm",
        )
    assert variable_permission("MH", "MHLLTCD").spec.type == "Num"
    assert variable_permission("MH", "MHSEV").spec.codelist is None  # AE uses AESEV, CE SEVRS: no single answer
    assert "MH assumption 7" in variable_permission("MH", "MHSER").spec.advice
    assert not variable_permission("MH", "MHTESTCD") and not variable_permission("MH", "MHDOSE")


def test_vs_findings_qualifiers_and_refusals():
    """VS assumption 2: VSORNRLO, VSORNRHI, VSNRIND may be added; VS assumption 4 lists discouraged ones."""
    vs = allowed_variables("VS")
    assert _names(vs, {"VSSTRESU", "VSSTNRLO", "VSSTNRHI", "VSNRIND", "VSSTAT"}) == [
        "VSSTRESU",
        "VSSTNRLO",
        "VSSTNRHI",
        "VSNRIND",
        "VSSTAT",
    ]
    assert _names(vs, {"VSORRESU", "VSORNRLO", "VSORNRHI", "VSSTRESC"}) == [
        "VSORRESU",
        "VSORNRLO",
        "VSORNRHI",
        "VSSTRESC",
    ]
    nrind = variable_permission("VS", "VSNRIND").spec
    assert nrind.codelist == "NRIND" and nrind.source == "MODEL"  # LB, EG, ... all use NRIND
    assert variable_permission("VS", "VSSTRF").spec.codelist == "STENRF"
    assert "VS assumption 4" in variable_permission("VS", "VSFAST").spec.advice
    assert "extreme caution" in variable_permission("VS", "VSANTREG").spec.advice  # §2.7
    # no --OCCUR in Findings
    assert "qualifier of the Interventions and Events classes" in variable_permission("VS", "VSOCCUR").reason
    assert not variable_permission("VS", "VSRESLOC") and not variable_permission("VS", "VSRPDY")  # §2.7
    assert "domain code VS" in variable_permission("VS", "AESEV").reason  # --SEV exists, wrong prefix
    unknown = variable_permission("VS", "VSFOO")
    assert not unknown and "SUPPVS" in unknown.reason


def test_ae_restrictions_of_its_assumptions():
    """AE assumption 10: --OCCUR, --STAT, --REASND are not permitted; 5b: AEDTC may be used."""
    for name in ("AEOCCUR", "AESTAT", "AEREASND"):
        p = variable_permission("AE", name)
        assert not p and "AE assumption 10" in p.reason
    assert variable_permission("AE", "AEDTC").source == "MODEL"
    assert variable_permission("AE", "VISITNUM").source == "MODEL"
    assert variable_permission("AE", "AETOX").source == "MODEL"
    assert variable_permission("AE", "AESEV").source == "IG"
    assert not variable_permission("AE", "AETESTCD") and not variable_permission("AE", "AEORRES")


def test_special_purpose_datasets():
    """DM assumption 8a: only VISITNUM, VISIT, VISITDY and DMXFN; SE/SV: no time-point variables."""
    dm = allowed_variables("DM")
    assert [v.name for v in dm.variables if v.source == "MODEL"] == ["DMXFN", "VISITNUM", "VISIT", "VISITDY"]
    assert _names(dm, {"COUNTRY", "DMXFN", "VISITNUM", "DMDTC", "DMDY"}) == [
        "COUNTRY",
        "DMXFN",
        "VISITNUM",
        "DMDTC",
        "DMDY",
    ]
    assert not variable_permission("DM", "EPOCH") and "DM assumption 8a" in variable_permission("DM", "EPOCH").reason
    assert "SE assumption 11c" in variable_permission("SE", "SETPT").reason
    assert variable_permission("SV", "SVSEQ").source == "MODEL"  # SV assumption 14
    sv = allowed_variables("SV")
    assert _names(sv, {"VISITDY", "TAETORD", "EPOCH", "SVSTDTC"}) == ["VISITDY", "TAETORD", "EPOCH", "SVSTDTC"]
    assert [v.source for v in allowed_variables("TA").variables] == ["IG"] * len(sdtm_dataset("TA").variables)
    assert not variable_permission("TA", "TAGRPID") and not variable_permission("SUPPAE", "VISITNUM")
    assert variable_permission("SUPPAE", "QNAM").source == "IG"


def test_custom_findings_domain():
    """SDTMIG 3.4 §2.6: a custom Findings domain takes the identifiers, the Findings topic and qualifiers, timing."""
    xx = allowed_variables("XX", "Findings")
    assert xx == custom_domain("XX", "Findings")
    assert (xx.name, xx.class_, xx.standard, xx.label) == (
        "XX",
        "Findings",
        "SDTMIG 3.4",
        "XX (Findings custom domain)",
    )
    assert [v.name for v in xx.variables if v.core == "Req"] == ["STUDYID", "DOMAIN", "USUBJID", "XXSEQ", "XXTESTCD"]
    assert xx.keys == ("STUDYID", "USUBJID", "XXTESTCD", "XXDTC")
    assert xx.variable("DOMAIN").codelist is None and xx.variable("DOMAIN").value_list == ("XX",)
    names = [v.name for v in xx.variables]
    assert names.index("XXSEQ") < names.index("XXTESTCD") < names.index("XXTEST") < names.index("XXORRES")
    assert names.index("XXORRES") < names.index("XXSTRESC") < names.index("VISITNUM") < names.index("XXDTC")
    assert variable_permission("XX", "XXORRES", "Findings").source == "MODEL"
    assert variable_permission("XX", "XXTESTCD", "Findings").spec.label == "Short Name of Measurement, Test, or Exam"
    refused = variable_permission("XX", "XXOCCUR", "Findings")  # an Events/Interventions qualifier
    assert not refused and "§2.6 c" in refused.reason
    assert "topic variable of the Events class" in variable_permission("XX", "XXTERM", "Findings").reason
    assert not variable_permission("XX", "XXRESLOC", "Findings")  # §2.7 applies to custom domains too
    events = custom_domain("ZE", "Events", "Sponsor Events")
    assert (
        events.label == "Sponsor Events"
        and events.variable("ZETERM").core == "Req"
        and events.variable("ZETESTCD") is None
    )
    assert events.keys == ("STUDYID", "USUBJID", "ZETERM", "ZESTDTC")


def test_custom_domain_codes_and_classes():
    with pytest.raises(CdiscKitError, match="give its general observation class"):
        allowed_variables("XX")
    with pytest.raises(CdiscKitError, match="§2.6 e"):
        custom_domain("SQ", "Findings")
    with pytest.raises(CdiscKitError, match="2 characters"):
        custom_domain("XXX", "Findings")
    with pytest.raises(CdiscKitError, match="is an SDTMIG 3.4 domain"):
        custom_domain("VS", "Findings")
    with pytest.raises(CdiscKitError, match="not a general observation class"):
        custom_domain("XX", "Special-Purpose")
    with pytest.raises(CdiscKitError, match="VS is a Findings dataset"):
        allowed_variables("VS", "Events")
    assert domain_class("FAMH") == "Findings About" and allowed_variables("FAMH").name == "FAMH"
    assert variable_permission("FAMH", "FAOBJ").source == "IG"


def test_every_sdtmig_domain_keeps_its_table_in_order():
    """For every SDTMIG dataset: IG variables keep their order, added ones have SDTM labels <= 40 characters,
    and variables of a general observation class follow identifiers, topic, qualifiers, timing (§4.1.4)."""
    for name in standards.sdtm_datasets():
        ig = sdtm_dataset(name)
        wide = allowed_variables(name)
        assert [v.name for v in wide.variables if v.source == "IG"] == ig.names, name
        assert len({v.name for v in wide.variables}) == len(wide.variables), name
        assert all(len(v.label) <= 40 and v.type in ("Char", "Num") for v in wide.variables), name
        if ig.class_ in sdtm_model.GENERAL_CLASSES:
            groups = [sdtm_model._group(v.role) for v in wide.variables]
            assert groups == sorted(groups), name


def test_rules_file_names_only_sdtm_variables():
    """Every variable of specs/sdtm_model_rules.yaml exists in the SDTM v2.0 tables, every domain in SDTMIG 3.4."""
    rules = yaml.safe_load((SPECS_DIR / "sdtm_model_rules.yaml").read_text(encoding="utf-8"))
    model = {v.name for v in sdtm_model._model()}
    named = []
    for key in ("never", "caution"):
        named += [n for cls, items in rules[key].items() if cls != "section" for n in items]
    for entry in rules["domains"].values():
        for key in ("identifiers", "timing"):
            named += entry[key] if isinstance(entry.get(key), list) else []
        named += [n for items in entry.get("qualifiers", {}).values() if isinstance(items, list) for n in items]
        named += entry.get("not_permitted", {}).get("variables", [])
        named += [n for block in entry.get("generally_not_used", []) for n in block["variables"]]
    assert sorted(set(named) - model) == []
    assert set(rules["domains"]) <= set(standards.sdtm_datasets())
