"""report.html renders, is self-contained, embeds decodable figures and is byte-for-byte reproducible."""

from __future__ import annotations

import base64
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cdisckit.report import build_report
from cdisckit.report.figures import png_size

CHROMIUM = "/usr/bin/chromium"
N_FIGURES = 10  # waterfall, spider, swimmer, PFS per criterion (x2), DoR RECIST only (no MRSD), OS

RUN_SUMMARY = {
    "inputs": [{"file": "raw/dm.csv", "rows": 9}, {"file": "raw/ae.csv", "rows": 12}],
    "reconciliation": [{"form": "AE", "raw records": 12, "mapped": 11, "dropped": 1, "reason": "screen failure"}],
    "checks": [
        {"rule": "AD0001", "severity": "warning"},
        {"rule": "AD0002", "severity": "warning"},
        {"rule": "SD1002", "severity": "note"},
    ],
}


class Figures(HTMLParser):
    """Collects <img> sources and the text of inline <svg> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.imgs, self.svg_count, self.tags = [], 0, set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "svg":
            self.svg_count += 1


def inline_svgs(text: str) -> list[str]:
    out, pos = [], 0
    while (i := text.find("<svg", pos)) >= 0:
        j = text.index("</svg>", i) + len("</svg>")
        out.append(text[i:j])
        pos = j
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory, adam_factory):
    out = tmp_path_factory.mktemp("rep") / "out" / "report.html"
    build_report(adam_factory(), out, run_summary=RUN_SUMMARY)
    return out


def _check_png_figures(text: str, expected: int):
    p = Figures()
    p.feed(text)
    assert len(p.imgs) == expected
    for src in p.imgs:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        w, h = png_size(data)
        assert w > 100 and h > 100
    return p


def test_report_is_self_contained_with_png_figures(report):
    text = report.read_text(encoding="utf-8")
    p = _check_png_figures(text, N_FIGURES)
    assert not {"script", "link", "iframe"} & p.tags
    assert "http://" not in text and "https://" not in text
    assert [x.name for x in report.parent.iterdir()] == ["report.html"]  # temp file moved into place


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_report_opens_in_headless_chromium(report):
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--dump-dom",
            report.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    _check_png_figures(dom, N_FIGURES)
    assert "Overall survival" in dom


def test_report_content(report):
    text = report.read_text(encoding="utf-8")
    for s in (
        "SDTMIG 3.4",
        "ADaMIG 1.3",
        "CT 2025-03-28",
        "Reconciliation of raw records",
        "screen failure",
        "3/8 (37.5%) [8.5, 75.5]",  # RSPW6 overall with exact CI
        "5/8 (62.5%) [24.5, 91.5]",  # DCW6 overall
        "Cytokine release syndrome",
        "worst ASTCT",
        "Grade &ge;3",
        "Brookmeyer-Crowley",
        "log-log",
        "Clopper-Pearson",
        "Duration of response (MRSD)",
        "not available",
        "OS rate at 6 and 12 months",
        "75.0% (",
    ):
        assert s in text, s
    assert '<td>warning</td><td class="num">2</td>' in text  # check results counted by severity


def test_report_degrades_without_datasets(tmp_path, adam):
    out = build_report({"ADSL": adam["ADSL"]}, tmp_path / "r.html", title="Only ADSL")
    text = out.read_text(encoding="utf-8")
    assert "<h1>Only ADSL</h1>" in text
    assert "Safety analyses not available: ADAE not available" in text
    assert "No efficacy section: the study has no tumour response data (ADRS)" in text
    assert 'id="efficacy"' not in text and 'id="os"' not in text
    assert "Run summary not available" in text
    out = build_report({}, tmp_path / "empty.html")
    assert "not available" in out.read_text(encoding="utf-8")


def test_report_is_deterministic_png(tmp_path, report, adam):
    again = build_report(adam, tmp_path / "again.html", run_summary=RUN_SUMMARY)
    assert again.read_bytes() == report.read_bytes()


def test_svg_figures_valid_and_deterministic(tmp_path, adam_factory):
    a = build_report(adam_factory(), tmp_path / "a.html", figure_format="svg").read_bytes()
    b = build_report(adam_factory(), tmp_path / "b.html", figure_format="svg").read_bytes()
    assert a == b
    text = a.decode("utf-8")
    svgs = inline_svgs(text)
    assert len(svgs) == N_FIGURES and "data:image/png" not in text
    for s in svgs:
        root = ET.fromstring(s)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert float(root.get("width").removesuffix("pt")) > 0 and float(root.get("height").removesuffix("pt")) > 0
        assert len(list(root.iter())) > 50


def test_run_summary_in_pipeline_shape(tmp_path, adam):
    summary = {
        "cdisckit": "0.1.0",
        "study": "C-CAR031",
        "standards": {"SDTMIG": "3.4", "ADaMIG": "1.3", "CT": "2025-03-28"},
        "inputs": {"study_dir": "mappings/c-car031", "raw_dir": None},
        "reconciliation": [{"form": "DM", "raw_rows": 44, "mapped": 44}],
        "records_written": {"DM": 44, "ADSL": 44},
        "checks": {"sdtm": {"errors": 0, "warnings": 3}, "adam": {"errors": 0, "warnings": 1}},
    }
    text = build_report({"ADSL": adam["ADSL"]}, tmp_path / "r.html", run_summary=summary).read_text(encoding="utf-8")
    run = text[text.index('<h2 id="run">') :]
    assert run.count("2025-03-28") == 1 and "<b>C-CAR031</b>" in run and "<td>raw dir</td><td>-</td>" in run
    assert "<th>Warnings</th>" in run and '<td>ADAM</td><td class="num">0</td><td class="num">1</td>' in run
    assert '<td>DM</td><td class="num">44</td>' in run
    # no machine paths, no raw dictionary keys
    assert "mappings/c-car031" not in run and "<td>c-car031</td>" in run
    assert "records_written" not in run and "raw_dir" not in run and "Records written" in run
    assert text.index('id="key"') < text.index('id="subjects"') < text.index('id="run"')  # results first


def test_mapping_warnings_listed_as_a_table_with_file_names(tmp_path, adam):
    from cdisckit.report.html import WARNINGS_LISTED

    def warning(i):
        return {
            "fact": "date of death",
            "subject": f"101-{i:03d}",
            "kind": "less precise",
            "forms": [
                {"file": "/home/dm/export/dd.csv", "row": str(i), "column": "DTHDAT", "value": "UN-Oct-2025"},
                {"file": "/home/dm/export/ds.csv", "row": str(i + 40), "column": "DSDAT", "value": "31-Oct-2025"},
            ],
            "message": "date of death of subject ... (long text with the paths)",
        }

    summary = {"study": "S", "sdtm_warnings": [warning(i) for i in range(1, WARNINGS_LISTED + 4)]}
    text = build_report({"ADSL": adam["ADSL"]}, tmp_path / "r.html", run_summary=summary).read_text(encoding="utf-8")
    run = text[text.index('<h2 id="run">') :]
    assert "Mapping warnings" in run and "sdtm_warnings" not in run and "[{" not in run  # a table, not a repr
    assert "<td>101-001</td><td>date of death less precise</td>" in run
    assert "dd.csv row 1 DTHDAT &#x27;UN-Oct-2025&#x27;; ds.csv row 41 DSDAT &#x27;31-Oct-2025&#x27;" in run
    assert "/home/dm" not in run  # file names, not machine paths
    assert f"<td>101-{WARNINGS_LISTED:03d}</td>" in run and f"<td>101-{WARNINGS_LISTED + 1:03d}</td>" not in run
    assert "... and 3 more (all in run.json and the cSDRG)." in run
