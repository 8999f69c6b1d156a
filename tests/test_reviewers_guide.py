"""What `cdisckit run` leaves for a reviewer beyond the datasets: the cSDRG and ADRG drafted from metadata, define.xml
with dictionaries, comments and method text, creation stamps from the data, and the same-fact warnings in run.json."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from lxml import etree

from cdisckit.errors import SpecError
from cdisckit.pipeline import bundled_study_dir
from cdisckit.writers.guide import load_guide, load_guide_text

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
ODM, DEF = "{http://www.cdisc.org/ns/odm/v1.3}", "{http://www.cdisc.org/ns/def/v2.1}"


@pytest.fixture(scope="module")
def csdrg(bundled_run):
    return (bundled_run[0] / "sdtm" / "csdrg.html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#8211;", "-")


def test_csdrg_follows_the_phuse_layout_and_is_drafted_from_the_data(csdrg, bundled_run):
    out, _ = bundled_run
    heads = re.findall(r"<h2[^>]*>(.*?)</h2>", csdrg)
    assert heads[:4] == [
        "1. Introduction",
        "2. Protocol Description",
        "3. Subject Data Description",
        "4. Data Conformance Summary",
    ]
    text = _text(csdrg)
    for expected in (
        "Study Data Standards and Dictionary Inventory",
        "MedDRA 27.1 (Synthetic codes",
        "A Phase 1, Open-label, Dose-escalation and Combination Study of C-CAR031",  # TS TITLE
        "PHASE I TRIAL, open label, sequential study of C-CAR031 in Advanced hepatocellular carcinoma. 5 arms. "
        "39 subjects enrolled (120 planned).",  # study description from TS
        "TA - Trial Arms",
        "Tumour thrombus in the main portal vein",  # TI
        "AETERM blank",  # reconciliation: the one unmapped raw row
        "date of death",  # the same fact on two forms
        "dd.csv row 10 DTHDAT = UN-Oct-2025; ds.csv row 44 DSDAT = 31-Oct-2025",
    ):
        assert expected in text, expected
    for name in ("AE", "CM", "DM", "DS", "EX", "RS", "SE", "SUPPAE", "SV", "TR", "TU"):
        assert re.search(rf"<td>{name}</td>", csdrg), name
    # every conformance finding of the run is listed with the sponsor's explanation from reviewers-guide.yaml
    report = json.loads((out / "checks" / "sdtm.json").read_text())
    assert report["findings"]
    for f in report["findings"]:
        ids = ", ".join(dict.fromkeys([f["rule_id"], *(f.get("refs") or [])]))  # the rule and the ids it cites
        assert f"<td>{ids}</td><td>{f['dataset']}</td>" in csdrg
    assert "NO EXPLANATION GIVEN" not in csdrg
    assert "NA is a sponsor extension of the extensible codelist ONCRSR" in text
    # how the data were produced: each spec file with its SHA-256
    study_yaml = bundled_study_dir() / "study.yaml"
    digest = hashlib.sha256(study_yaml.read_bytes()).hexdigest()
    assert f"<td>study.yaml</td><td class=num>{study_yaml.stat().st_size}</td><td>{digest}</td>" in csdrg
    assert "design.yaml" in csdrg and "ae.csv" in csdrg


def test_adrg_lists_analysis_datasets_and_parameters(bundled_run):
    html = (bundled_run[0] / "adam" / "adrg.html").read_text(encoding="utf-8")
    heads = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert heads[0] == "1. Introduction" and "5. Analysis Dataset Descriptions" in heads
    assert "6. Data Conformance Summary" in heads and "7. Submission of Programs" in heads
    text = _text(html)
    for expected in ("ADSL", "ADTTE", "Progression-Free Survival", "adam.yaml", "Source Data Used for Analysis"):
        assert expected in text, expected


def test_define_xml_for_a_reviewer(bundled_run):
    out, _ = bundled_run
    sdtm = etree.parse(str(out / "sdtm" / "define.xml")).getroot()
    # creation date from the data: the data cut-off of study.yaml (TS DCUTDTC), never a fixed fake date
    assert sdtm.get("CreationDateTime") == "2026-12-31T00:00:00"
    adam = etree.parse(str(out / "adam" / "define.xml")).getroot()
    assert adam.get("CreationDateTime") == "2026-12-31T00:00:00"
    assert json.loads((out / "sdtm" / "dm.json").read_text())["datasetJSONCreationDateTime"] == "2026-12-31T00:00:00"
    groups = {g.get("Name"): g for g in sdtm.iter(ODM + "ItemGroupDef")}
    assert {"TS", "TA", "TE", "TV", "TI", "SE", "SV"} <= set(groups)
    assert groups["SUPPAE"].get("Domain") == "AE" and groups["SUPPDM"].get("Domain") == "DM"
    dicts = {e.get("Dictionary"): e.get("Version") for e in sdtm.iter(ODM + "ExternalCodeList")}
    assert dicts == {"MedDRA": "27.1", "WHODrug Global": "2025 Mar 1 B3"}
    items = {i.get("OID"): i for i in sdtm.iter(ODM + "ItemDef")}
    assert items["IT.AE.AEDECOD"].find("odm:CodeListRef", NS).get("CodeListOID") == "CL.MedDRA.text"
    assert items["IT.AE.EPOCH"].get(DEF + "CommentOID") == "COM.AE.EPOCH"
    assert items["IT.DM.DTHDTC"].get(DEF + "CommentOID") == "COM.DM.DTHDTC"
    # method text in words, never the YAML spec as JSON
    for md in sdtm.iter(ODM + "MethodDef"):
        desc = md.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
        assert not re.search(r"[{\[][\"']|[\"']: ", desc), desc  # no JSON or YAML mapping in a method
    armnrs = next(m for m in sdtm.iter(ODM + "MethodDef") if m.get("OID") == "MT.DM.ARMNRS")
    assert "'SCREEN FAILURE' when ARMCD is blank" in armnrs.findtext(
        "odm:Description/odm:TranslatedText", namespaces=NS
    )


def test_same_fact_warnings_land_in_run_json(bundled_run):
    out, result = bundled_run
    summary = json.loads((out / "run.json").read_text())
    [w] = summary["sdtm_warnings"]
    assert w["fact"] == "date of death" and w["subject"] == "201-009" and w["kind"] == "less precise"
    assert [(f["file"].rsplit("/", 1)[-1], f["row"], f["column"]) for f in w["forms"]] == [
        ("dd.csv", "10", "DTHDAT"),
        ("ds.csv", "44", "DSDAT"),
    ]


def test_guide_file_is_validated_with_line_and_key(tmp_path):
    with pytest.raises(SpecError) as e:
        load_guide_text("acronyms: {A: b}\nexplanaitions: {X: y}\n", "g.yaml")
    assert str(e.value).startswith("g.yaml, line 2, key explanaitions: unknown key")
    with pytest.raises(SpecError, match="line 2, key explanations.X: an explanation is a non-empty text"):
        load_guide_text("explanations:\n  X: ''\n", "g.yaml")
    assert load_guide(bundled_study_dir() / "reviewers-guide.yaml")["explanations"]
