"""define.xml 2.1 (SDTM and ADaM): XSD-valid, exactly the given datasets/variables, codelists restricted to the
values present, value-level metadata, origins/methods, deterministic bytes, and the HTML view."""

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from cdisckit.errors import SpecError
from cdisckit.writers.define import DEF, ODM, validate_define, write_define, write_define_html

NS = {"odm": ODM, "def": DEF}
STUDY = {
    "id": "C-CAR031",
    "name": "C-CAR031",
    "description": "Phase 1 study of C-CAR031 in HCC",
    "protocol": "C-CAR031-101",
}
CREATED = "2025-06-01T12:00:00"


def obj(values):
    return pd.Series(values, dtype=object)


def sdtm_frames():
    s, u = "C-CAR031", ["C-CAR031-001", "C-CAR031-002"]
    dm = pd.DataFrame(
        {
            "STUDYID": obj([s, s]),
            "DOMAIN": obj(["DM", "DM"]),
            "USUBJID": obj(u),
            "SUBJID": obj(["001", "002"]),
            "RFSTDTC": obj(["2024-01-10", "2024-02-01"]),
            "SITEID": obj(["101", "101"]),
            "AGE": [54.0, 61.0],
            "AGEU": obj(["YEARS", "YEARS"]),
            "SEX": obj(["M", "F"]),
            "RACE": obj(["ASIAN", "ASIAN"]),
            "ARMCD": obj(["DL1", "DL2"]),
            "ARM": obj(["Dose level 1", "Dose level 2"]),
            "COUNTRY": obj(["CHN", "CHN"]),
        }
    )
    ae = pd.DataFrame(
        {
            "STUDYID": obj([s] * 3),
            "DOMAIN": obj(["AE"] * 3),
            "USUBJID": obj([u[0], u[0], u[1]]),
            "AESEQ": [1.0, 2.0, 1.0],
            "AETERM": obj(["Fever", "Nausea", "Cytokine release syndrome"]),
            "AEDECOD": obj(["Pyrexia", "Nausea", "Cytokine release syndrome"]),
            "AESEV": obj(["MILD", "MODERATE", None]),
            "AESER": obj(["N", "N", "Y"]),
            "AESTDTC": obj(["2024-01-12", "2024-01", "2024-02-03T10:30"]),
            "AESTDY": [3.0, np.nan, 3.0],
        }
    )
    tu = pd.DataFrame(
        {
            "STUDYID": obj([s] * 2),
            "DOMAIN": obj(["TU"] * 2),
            "USUBJID": obj(u),
            "TUSEQ": [1.0, 1.0],
            "TULNKID": obj(["T01", "T01"]),
            "TUTESTCD": obj(["TUMIDENT", "TUMIDENT"]),
            "TUTEST": obj(["Tumor Identification", "Tumor Identification"]),
            "TUORRES": obj(["TARGET", "NON-TARGET"]),
            "TUSTRESC": obj(["TARGET", "NON-TARGET"]),
            "TULOC": obj(["LIVER", "LUNG"]),
            "TUDTC": obj(["2024-01-05", "2024-01-28"]),
        }
    )
    tr = pd.DataFrame(
        {
            "STUDYID": obj([s] * 3),
            "DOMAIN": obj(["TR"] * 3),
            "USUBJID": obj([u[0], u[0], u[1]]),
            "TRSEQ": [1.0, 2.0, 1.0],
            "TRLNKID": obj(["T01", "T01", "T01"]),
            "TRTESTCD": obj(["LDIAM", "LDIAM", "TUMSTATE"]),
            "TRTEST": obj(["Longest Diameter", "Longest Diameter", "Tumor State"]),
            "TRORRES": obj(["45", "30.5", "PRESENT"]),
            "TRORRESU": obj(["mm", "mm", None]),
            "TRSTRESC": obj(["45", "30.5", "PRESENT"]),
            "TRSTRESN": [45.0, 30.5, np.nan],
            "TRSTRESU": obj(["mm", "mm", None]),
            "VISITNUM": [1.0, 2.0, 1.0],
            "TRDTC": obj(["2024-01-05", "2024-03-01", "2024-01-28"]),
        }
    )
    rs = pd.DataFrame(
        {
            "STUDYID": obj([s] * 4),
            "DOMAIN": obj(["RS"] * 4),
            "USUBJID": obj([u[0], u[0], u[1], u[1]]),
            "RSSEQ": [1.0, 2.0, 1.0, 2.0],
            "RSTESTCD": obj(["OVRLRESP", "TRGRESP", "OVRLRESP", "NTRGRESP"]),
            "RSTEST": obj(["Overall Response", "Target Response", "Overall Response", "Non-target Response"]),
            "RSCAT": obj(["RECIST 1.1"] * 4),
            "RSORRES": obj(["PR", "PR", "SD", "NON-CR/NON-PD"]),
            "RSSTRESC": obj(["PR", "PR", "SD", "NON-CR/NON-PD"]),
            "VISITNUM": [2.0, 2.0, 2.0, 2.0],
            "RSDTC": obj(["2024-03-01", "2024-03-01", "2024-03-20", "2024-03-20"]),
        }
    )
    return {"DM": dm, "AE": ae, "TU": tu, "TR": tr, "RS": rs}


def adam_frames():
    s, u = "C-CAR031", ["C-CAR031-001", "C-CAR031-002"]
    adsl = pd.DataFrame(
        {
            "STUDYID": obj([s, s]),
            "USUBJID": obj(u),
            "SUBJID": obj(["001", "002"]),
            "SITEID": obj(["101", "101"]),
            "AGE": [54.0, 61.0],
            "SEX": obj(["M", "F"]),
            "TRT01P": obj(["Dose level 1", "Dose level 2"]),
            "TRTSDT": pd.to_datetime(["2024-01-10", "2024-02-01"]).astype("datetime64[ns]"),
            "EFFFL": obj(["Y", "N"]),
            "SAFFL": obj(["Y", "Y"]),
        }
    )
    adrs = pd.DataFrame(
        {
            "STUDYID": obj([s] * 4),
            "USUBJID": obj([u[0], u[0], u[1], u[1]]),
            "PARAMCD": obj(["OVR", "BOR", "OVR", "BOR"]),
            "PARAM": obj(
                [
                    "Overall Response by Investigator",
                    "Best Overall Response",
                    "Overall Response by Investigator",
                    "Best Overall Response",
                ]
            ),
            "PARCAT1": obj(["RECIST 1.1"] * 4),
            "AVALC": obj(["PR", "PR", "SD", "SD"]),
            "AVAL": [2.0, 2.0, 3.0, 3.0],
            "ADT": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-20", "2024-03-20"]).astype("datetime64[ns]"),
            "RSSEQ": [1.0, np.nan, 1.0, np.nan],
        }
    )
    adtte = pd.DataFrame(
        {
            "STUDYID": obj([s] * 2),
            "USUBJID": obj(u),
            "PARAMCD": obj(["PFS", "PFS"]),
            "PARAM": obj(["Progression-Free Survival (days)", "Progression-Free Survival (days)"]),
            "AVAL": [120.0, 45.5],
            "STARTDT": pd.to_datetime(["2024-01-10", "2024-02-01"]).astype("datetime64[ns]"),
            "ADT": pd.to_datetime(["2024-05-08", "2024-03-17"]).astype("datetime64[ns]"),
            "CNSR": [0.0, 1.0],
            "EVNTDESC": obj(["DISEASE PROGRESSION", None]),
        }
    )
    return {"ADSL": adsl, "ADRS": adrs, "ADTTE": adtte}


def _write(tmp_path, frames, standard, name="define.xml", **kw):
    return write_define(frames, tmp_path / name, standard=standard, study=STUDY, created=CREATED, **kw)


def _parse(path):
    return etree.parse(str(path)).getroot()


@pytest.mark.parametrize("standard,frames", [("SDTMIG", sdtm_frames), ("ADaMIG", adam_frames)])
def test_validates_against_define_2_1_xsd(tmp_path, standard, frames):
    path = _write(tmp_path, frames(), standard)
    assert validate_define(path) == []
    root = _parse(path)
    assert root.get(f"{{{DEF}}}Context") == "Submission"
    assert root.get("CreationDateTime") == CREATED
    mdv = root.find(".//odm:MetaDataVersion", NS)
    assert mdv.get(f"{{{DEF}}}DefineVersion") == "2.1.0"
    stds = {(s.get("Name"), s.get("Type"), s.get("Version")) for s in mdv.findall("def:Standards/def:Standard", NS)}
    ig = ("SDTMIG", "IG", "3.4") if standard == "SDTMIG" else ("ADaMIG", "IG", "1.3")
    assert ig in stds and ("CDISC/NCI", "CT", "2025-03-28") in stds
    assert root.find(".//odm:GlobalVariables/odm:ProtocolName", NS).text == "C-CAR031-101"


@pytest.mark.parametrize("standard,frames", [("SDTMIG", sdtm_frames), ("ADaMIG", adam_frames)])
def test_exactly_the_datasets_and_variables_of_the_frames(tmp_path, standard, frames):
    given = frames()
    mdv = _parse(_write(tmp_path, given, standard)).find(".//odm:MetaDataVersion", NS)
    items = {it.get("OID"): it for it in mdv.findall("odm:ItemDef", NS)}
    groups = {g.get("Name"): g for g in mdv.findall("odm:ItemGroupDef", NS)}
    assert set(groups) == set(given)
    referenced = set()
    for name, df in given.items():
        g = groups[name]
        refs = g.findall("odm:ItemRef", NS)
        assert [items[r.get("ItemOID")].get("Name") for r in refs] == list(df.columns)
        assert [r.get("OrderNumber") for r in refs] == [str(i) for i in range(1, len(df.columns) + 1)]
        referenced |= {r.get("ItemOID") for r in refs}
        leaf = g.find("def:leaf", NS)
        assert leaf.get("{http://www.w3.org/1999/xlink}href") == f"{name.lower()}.xpt"
        assert g.get(f"{{{DEF}}}ArchiveLocationID") == leaf.get("ID")
        assert g.get("Purpose") == ("Tabulation" if standard == "SDTMIG" else "Analysis")
        assert g.find("def:Class", NS).get("Name")
    vlm_items = {r.get("ItemOID") for r in mdv.findall("def:ValueListDef/odm:ItemRef", NS)}
    # no ItemDef that is neither a dataset variable nor a value-level item
    assert set(items) == referenced | vlm_items


def test_sdtm_item_details(tmp_path):
    mdv = _parse(_write(tmp_path, sdtm_frames(), "SDTMIG")).find(".//odm:MetaDataVersion", NS)
    it = {i.get("OID"): i for i in mdv.findall("odm:ItemDef", NS)}
    dm = mdv.find("odm:ItemGroupDef[@Name='DM']", NS)
    assert dm.get("Domain") == "DM" and dm.get("Repeating") == "No" and dm.get("SASDatasetName") == "DM"
    assert dm.find("odm:Description/odm:TranslatedText", NS).text == "Demographics"
    assert dm.find("def:Class", NS).get("Name") == "SPECIAL PURPOSE"
    refs = {r.get("ItemOID"): r for r in dm.findall("odm:ItemRef", NS)}
    assert refs["IT.DM.STUDYID"].get("Mandatory") == "Yes" and refs["IT.DM.STUDYID"].get("KeySequence") == "1"
    assert refs["IT.DM.USUBJID"].get("KeySequence") == "2" and refs["IT.DM.AGE"].get("Mandatory") == "No"
    assert it["IT.DM.USUBJID"].get("DataType") == "text" and it["IT.DM.USUBJID"].get("Length") == "12"
    assert it["IT.DM.AGE"].get("DataType") == "integer" and it["IT.DM.AGE"].get("Length") == "2"
    assert it["IT.TR.TRSTRESN"].get("DataType") == "float" and it["IT.TR.TRSTRESN"].get("SignificantDigits") == "1"
    assert it["IT.AE.AESTDTC"].get("DataType") == "partialDatetime" and it["IT.AE.AESTDTC"].get("Length") is None
    assert it["IT.DM.RFSTDTC"].get("DataType") == "date"
    assert it["IT.AE.AESEQ"].get("DataType") == "integer"

    def origin(oid):
        o = it[oid].find("def:Origin", NS)
        return o.get("Type"), o.get("Source")

    assert origin("IT.DM.STUDYID") == ("Protocol", None)
    assert origin("IT.DM.DOMAIN") == ("Assigned", None)
    assert origin("IT.AE.AESEQ")[0] == origin("IT.AE.AESTDY")[0] == origin("IT.DM.USUBJID")[0] == "Derived"
    assert origin("IT.AE.AETERM") == ("Collected", "Investigator")
    # derived variables point at a MethodDef that exists and carries text
    ae = mdv.find("odm:ItemGroupDef[@Name='AE']", NS)
    moid = ae.find("odm:ItemRef[@ItemOID='IT.AE.AESTDY']", NS).get("MethodOID")
    method = mdv.find(f"odm:MethodDef[@OID='{moid}']", NS)
    assert "RFSTDTC" in method.find("odm:Description/odm:TranslatedText", NS).text
    assert "AESTDTC" in method.find("odm:Description/odm:TranslatedText", NS).text


def test_origins_dict_overrides_defaults(tmp_path):
    origins = {
        ("DM", "AGE"): ("CRF", "Demographics page"),
        ("AE", "AEDECOD"): ("Assigned", "MedDRA coding"),
        ("DM", "ARMCD"): ("Derived", "Assigned from the randomisation list"),
        ("DM", "SEX"): None,
    }
    mdv = _parse(_write(tmp_path, sdtm_frames(), "SDTMIG", origins=origins)).find(".//odm:MetaDataVersion", NS)
    age = mdv.find("odm:ItemDef[@OID='IT.DM.AGE']/def:Origin", NS)
    assert (age.get("Type"), age.get("Source")) == ("Collected", "Investigator")
    assert age.find("odm:Description/odm:TranslatedText", NS).text == "Demographics page"
    assert mdv.find("odm:ItemDef[@OID='IT.AE.AEDECOD']/def:Origin", NS).get("Type") == "Assigned"
    ref = mdv.find("odm:ItemGroupDef[@Name='DM']/odm:ItemRef[@ItemOID='IT.DM.ARMCD']", NS)
    text = mdv.find(f"odm:MethodDef[@OID='{ref.get('MethodOID')}']/odm:Description/odm:TranslatedText", NS).text
    assert text == "Assigned from the randomisation list"
    assert mdv.find("odm:ItemDef[@OID='IT.DM.SEX']/def:Origin", NS).get("Type") == "Collected"  # None -> default
    with pytest.raises(SpecError):
        _write(tmp_path, sdtm_frames(), "SDTMIG", name="bad.xml", origins={("DM", "AGE"): ("Guessed", "")})


def _codelist_values(mdv, oid):
    cl = mdv.find(f"odm:CodeList[@OID='{oid}']", NS)
    return cl, [i.get("CodedValue") for i in cl if i.get("CodedValue") is not None]


def test_codelists_restricted_to_values_in_the_data(tmp_path):
    mdv = _parse(_write(tmp_path, sdtm_frames(), "SDTMIG")).find(".//odm:MetaDataVersion", NS)
    cl, values = _codelist_values(mdv, "CL.SEX")
    assert values == ["F", "M"]  # not U / UNDIFFERENTIATED
    assert cl.find("odm:Alias", NS).get("Name") == "C66731"
    item = cl.find("odm:CodeListItem[@CodedValue='M']", NS)
    assert item.find("odm:Decode/odm:TranslatedText", NS).text == "Male"
    assert item.find("odm:Alias", NS).get("Context") == "nci:ExtCodeID"
    _, ny = _codelist_values(mdv, "CL.NY")
    assert ny == ["N", "Y"]
    _, sev = _codelist_values(mdv, "CL.AESEV")
    assert sev == ["MILD", "MODERATE"]
    _, rsp = _codelist_values(mdv, "CL.ONCRSR")
    assert rsp == ["NON-CR/NON-PD", "PR", "SD"]
    _, tests = _codelist_values(mdv, "CL.ONCRTSCD")
    assert tests == ["NTRGRESP", "OVRLRESP", "TRGRESP"]
    assert mdv.find("odm:ItemDef[@OID='IT.RS.RSSTRESC']/odm:CodeListRef", NS).get("CodeListOID") == "CL.ONCRSR"
    # every referenced codelist exists and every codelist is referenced
    refs = {r.get("CodeListOID") for r in mdv.iterfind(".//odm:CodeListRef", NS)}
    assert refs == {c.get("OID") for c in mdv.findall("odm:CodeList", NS)}
    # numeric tumour sizes are not forced into the TR property codelist
    assert mdv.find("odm:ItemDef[@OID='IT.TR.TRSTRESC.LDIAM']/odm:CodeListRef", NS) is None


def test_value_level_metadata_tr_rs(tmp_path):
    mdv = _parse(_write(tmp_path, sdtm_frames(), "SDTMIG")).find(".//odm:MetaDataVersion", NS)
    vl = mdv.find("def:ValueListDef[@OID='VL.TR.TRSTRESC']", NS)
    assert [r.get("ItemOID") for r in vl.findall("odm:ItemRef", NS)] == [
        "IT.TR.TRSTRESC.LDIAM",
        "IT.TR.TRSTRESC.TUMSTATE",
    ]
    assert mdv.find("odm:ItemDef[@OID='IT.TR.TRSTRESC']/def:ValueListRef", NS).get("ValueListOID") == "VL.TR.TRSTRESC"
    # TRSTRESN only has values for LDIAM
    vl_n = mdv.find("def:ValueListDef[@OID='VL.TR.TRSTRESN']", NS)
    assert [r.get("ItemOID") for r in vl_n.findall("odm:ItemRef", NS)] == ["IT.TR.TRSTRESN.LDIAM"]
    wc_oid = vl.find("odm:ItemRef/def:WhereClauseRef", NS).get("WhereClauseOID")
    rc = mdv.find(f"def:WhereClauseDef[@OID='{wc_oid}']/odm:RangeCheck", NS)
    assert rc.get(f"{{{DEF}}}ItemOID") == "IT.TR.TRTESTCD" and rc.find("odm:CheckValue", NS).text == "LDIAM"
    # RS: by RSCAT and RSTESTCD
    vl = mdv.find("def:ValueListDef[@OID='VL.RS.RSSTRESC']", NS)
    assert len(vl.findall("odm:ItemRef", NS)) == 3
    wc_oid = vl.find("odm:ItemRef/def:WhereClauseRef", NS).get("WhereClauseOID")
    checks = [
        (rc.get(f"{{{DEF}}}ItemOID"), rc.find("odm:CheckValue", NS).text)
        for rc in mdv.find(f"def:WhereClauseDef[@OID='{wc_oid}']", NS)
    ]
    assert checks == [("IT.RS.RSCAT", "RECIST 1.1"), ("IT.RS.RSTESTCD", "NTRGRESP")]
    it = mdv.find("odm:ItemDef[@OID='IT.TR.TRSTRESC.LDIAM']", NS)
    assert (it.get("Name"), it.get("DataType"), it.get("Length")) == ("TRSTRESC", "text", "4")


def test_adam_define(tmp_path):
    origins = {
        ("ADRS", "AVALC.BOR"): ("Derived", "Best overall response per RECIST 1.1 from OVR records"),
        ("ADTTE", "AVAL"): ("Derived", "ADT - STARTDT + 1"),
    }
    mdv = _parse(_write(tmp_path, adam_frames(), "ADaMIG", origins=origins)).find(".//odm:MetaDataVersion", NS)
    groups = [g.get("Name") for g in mdv.findall("odm:ItemGroupDef", NS)]
    assert groups[0] == "ADSL"
    tte = mdv.find("odm:ItemGroupDef[@Name='ADTTE']", NS)
    assert tte.find("def:Class", NS).get("Name") == "BASIC DATA STRUCTURE"
    assert tte.find("def:Class/def:SubClass", NS).get("Name") == "TIME-TO-EVENT"
    assert tte.get("Domain") is None
    assert mdv.find("odm:ItemGroupDef[@Name='ADSL']/def:Class", NS).get("Name") == "SUBJECT LEVEL ANALYSIS DATASET"
    it = {i.get("OID"): i for i in mdv.findall("odm:ItemDef", NS)}
    assert (it["IT.ADSL.TRTSDT"].get("DataType"), it["IT.ADSL.TRTSDT"].get(f"{{{DEF}}}DisplayFormat")) == (
        "integer",
        "DATE9.",
    )
    age = it["IT.ADSL.AGE"].find("def:Origin", NS)
    assert age.get("Type") == "Predecessor" and age.find("odm:Description/odm:TranslatedText", NS).text == "DM.AGE"
    assert it["IT.ADRS.RSSEQ"].find("def:Origin", NS).find("odm:Description/odm:TranslatedText", NS).text == "RS.RSSEQ"
    assert it["IT.ADSL.EFFFL"].find("def:Origin", NS).get("Type") == "Derived"
    # VLM on AVAL/AVALC by PARAMCD for ADRS and ADTTE
    vl = mdv.find("def:ValueListDef[@OID='VL.ADRS.AVALC']", NS)
    assert [r.get("ItemOID") for r in vl.findall("odm:ItemRef", NS)] == ["IT.ADRS.AVALC.BOR", "IT.ADRS.AVALC.OVR"]
    bor = vl.find("odm:ItemRef[@ItemOID='IT.ADRS.AVALC.BOR']", NS)
    text = mdv.find(f"odm:MethodDef[@OID='{bor.get('MethodOID')}']/odm:Description/odm:TranslatedText", NS).text
    assert text.startswith("Best overall response")
    assert mdv.find("def:ValueListDef[@OID='VL.ADTTE.AVAL']/odm:ItemRef", NS).get("ItemOID") == "IT.ADTTE.AVAL.PFS"
    assert it["IT.ADTTE.AVAL.PFS"].get("DataType") == "float"
    # PARAMCD sponsor codelist decoded by PARAM
    cl, values = _codelist_values(mdv, "CL.ADRS.PARAMCD")
    assert values == ["BOR", "OVR"]
    assert (
        cl.find("odm:CodeListItem[@CodedValue='BOR']/odm:Decode/odm:TranslatedText", NS).text == "Best Overall Response"
    )
    assert cl.get(f"{{{DEF}}}StandardOID") is None


def test_same_input_gives_identical_bytes(tmp_path):
    a = _write(tmp_path, sdtm_frames(), "SDTMIG", name="a.xml")
    b = _write(tmp_path, sdtm_frames(), "SDTMIG", name="b.xml")
    assert a.read_bytes() == b.read_bytes()
    c = _write(tmp_path, adam_frames(), "ADaMIG", name="c.xml")
    d = _write(tmp_path, adam_frames(), "ADaMIG", name="d.xml")
    assert c.read_bytes() == d.read_bytes()


def test_html_view(tmp_path):
    path = _write(tmp_path, sdtm_frames(), "SDTMIG")
    html = write_define_html(path, tmp_path / "define.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for text in (
        "Demographics",
        'href="dm.xpt"',
        "VL.TR.TRSTRESC",
        "TRTESTCD = LDIAM",
        "Male",
        "C66731",
        "Algorithm to derive AE.AESTDY",
        "Collected (Investigator)",
    ):
        assert text in html, text
    assert "http://" not in html.replace('xmlns="http://www.w3.org/1999/xhtml"', "")  # offline: no remote assets
    again = write_define_html(path, tmp_path / "again.html").read_text(encoding="utf-8")
    assert again == html


def _supp_and_design_frames():
    frames = sdtm_frames()
    s = "C-CAR031"
    frames["SUPPAE"] = pd.DataFrame(
        {
            "STUDYID": obj([s]),
            "RDOMAIN": obj(["AE"]),
            "USUBJID": obj(["C-CAR031-001"]),
            "IDVAR": obj(["AESEQ"]),
            "IDVARVAL": obj(["1"]),
            "QNAM": obj(["AESI"]),
            "QLABEL": obj(["Adverse Event of Special Interest"]),
            "QVAL": obj(["Y"]),
            "QORIG": obj(["CRF"]),
        }
    )
    frames["TS"] = pd.DataFrame(
        {
            "STUDYID": obj([s]),
            "DOMAIN": obj(["TS"]),
            "TSSEQ": [1.0],
            "TSPARMCD": obj(["TPHASE"]),
            "TSPARM": obj(["Trial Phase Classification"]),
            "TSVAL": obj(["PHASE I TRIAL"]),
        }
    )
    frames["AE"]["AEPTCD"] = [90000001.0, 90000002.0, 90000003.0]
    frames["AE"]["EPOCH"] = obj(["TREATMENT", None, "TREATMENT"])
    return frames


def test_supp_trial_design_external_dictionaries_and_comments(tmp_path):
    dictionaries = {"MedDRA": {"version": "27.1", "variables": ["AE.AEDECOD", "AE.AEPTCD"]}}
    comments = {("AE", "EPOCH"): "EPOCH is blank when a partial AESTDTC straddles two epochs."}
    path = _write(tmp_path, _supp_and_design_frames(), "SDTMIG", dictionaries=dictionaries, comments=comments)
    assert validate_define(path) == []
    root = _parse(path)
    groups = {g.get("Name"): g for g in root.iter(f"{{{ODM}}}ItemGroupDef")}
    # Define-XML 2.1: a SUPP-- dataset's Domain is its parent domain, class RELATIONSHIP
    supp = groups["SUPPAE"]
    assert supp.get("Domain") == "AE" and supp.find("def:Class", NS).get("Name") == "RELATIONSHIP"
    ts = groups["TS"]
    assert ts.get("Domain") == "TS" and ts.get("IsReferenceData") == "Yes" and ts.get("Repeating") == "No"
    assert ts.find("def:Class", NS).get("Name") == "TRIAL DESIGN"
    # one external codelist per dictionary and data type, referenced by the coded variables
    lists = {c.get("OID"): c for c in root.iter(f"{{{ODM}}}CodeList")}
    text, num = lists["CL.MedDRA.text"], lists["CL.MedDRA.integer"]
    assert text.get("DataType") == "text" and num.get("DataType") == "integer"
    ext = text.find("odm:ExternalCodeList", NS)
    assert (ext.get("Dictionary"), ext.get("Version")) == ("MedDRA", "27.1")
    items = {i.get("OID"): i for i in root.iter(f"{{{ODM}}}ItemDef")}
    assert items["IT.AE.AEDECOD"].find("odm:CodeListRef", NS).get("CodeListOID") == "CL.MedDRA.text"
    assert items["IT.AE.AEPTCD"].find("odm:CodeListRef", NS).get("CodeListOID") == "CL.MedDRA.integer"
    # a comment is a def:CommentDef referenced by the ItemDef
    assert items["IT.AE.EPOCH"].get(f"{{{DEF}}}CommentOID") == "COM.AE.EPOCH"
    com = root.find(".//def:CommentDef[@OID='COM.AE.EPOCH']", NS)
    assert com.findtext("odm:Description/odm:TranslatedText", namespaces=NS).startswith("EPOCH is blank")
    html = write_define_html(path, tmp_path / "define.html").read_text(encoding="utf-8")
    assert "External dictionary MedDRA, version 27.1" in html and "Comment: EPOCH is blank" in html
