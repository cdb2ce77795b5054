"""report.html from its Jinja2 template: every text is escaped by the template (exactly once),
a variable missing from the context is an error, and the page is one self-contained document
that references nothing outside itself."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from importlib import resources

import jinja2
import pandas as pd
import pytest

from carefacility.report import html as report_html
from carefacility.report.html import Chart, render_html

EVIL = "<script>alert(1)</script>\"&'"
"""A label that is markup, and the three characters that break attributes and entities."""

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&amp;&#39;"
"""EVIL as the template's autoescaping writes it."""

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="300pt" '
       b'height="200pt"><rect width="10" height="10"/></svg>')


def _kpis() -> pd.DataFrame:
    rows = []
    for year in (2021, 2022):
        for metric, mean, unit in (("beds", 4500.0, "beds"), ("beds.nursing", 2088.0, "beds"),
                                   ("occupied_beds.general", 2000.0, "beds"),
                                   ("occupancy", 0.9, "fraction"),
                                   ("wait_mean_days", 40.0, "days"),
                                   ("share_served_within_threshold", 0.6, "fraction"),
                                   (f"day_centre.utilisation.{EVIL}", 0.7, EVIL)):
            rows.append({"year": year, "metric": metric, "mean": mean, "ci_low": mean * 0.9,
                         "ci_high": mean * 1.1, "unit": unit, "replications": 2})
    return pd.DataFrame(rows)


def _tables() -> dict[str, pd.DataFrame]:
    scorecard = pd.DataFrame({
        "target": [EVIL, EVIL, "beds_4500"], "label": [EVIL, EVIL, None],
        "year": [2021, 2022, 2022], "metric": ["occupancy", "occupancy", "beds"],
        "comparison": [">=", ">=", ">="], "threshold": [0.8, 0.8, 4500.0],
        "simulated_mean": [0.9, 0.7, 4500.0], "ci_low": [0.85, 0.6, 4500.0],
        "ci_high": [0.95, 0.75, 4500.0], "status": ["met", "missed", "met"],
        "shortfall": [0.0, 12.0, 0.0], "shortfall_unit": ["beds", EVIL, "beds"]})
    check = pd.DataFrame({"year": [2021, 2022], "beds": [4500.0, 4500.0],
                          "offered_load_beds": [4000.0, 4600.0],
                          "beds_needed_p95": [4100.0, 4700.0], "mean_wait_days": [3.0, 5.0],
                          "share_served_within_threshold": [0.9, 0.8]})
    return {"kpis": _kpis(), "scorecard": scorecard, "analytic_cross_check": check}


def _arguments(lang: str = "en") -> dict:
    return {"tables": _tables(),
            "metadata": {"carefacility_version": EVIL, EVIL: {"nested": EVIL}, "seed": 7},
            "title": EVIL, "lang": lang,
            "assumptions": [EVIL, f"s.yaml:27: ASSUMPTION: {EVIL}"],
            "summary": {"name": EVIL, "description": EVIL, "basis": "resident",
                        "zones": [EVIL, "月坛"], "homes": 3,
                        "waiting_discipline": EVIL, "overflow_to_general": True},
            "charts": [Chart(key="bed_demand", title=EVIL, svg=SVG, caption=EVIL)]}


def _render(lang: str = "en") -> str:
    arguments = _arguments(lang)
    return render_html(arguments.pop("tables"), arguments.pop("metadata"), **arguments)


class _Page(HTMLParser):
    """The start tags, the text, and the attribute values of a page, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [value or "" for _, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(document: str) -> _Page:
    page = _Page()
    page.feed(document)
    page.close()
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markup_in_any_text_is_escaped_once_and_never_a_tag(lang: str) -> None:
    document = _render(lang)
    assert "<script" not in document.lower()
    assert EVIL not in document and "\"&'" not in document
    assert ESCAPED in document
    assert "&amp;lt;" not in document and "&amp;#" not in document  # not escaped twice
    # title, summary, assumption, scorecard label/target/shortfall unit, KPI header, chart,
    # metadata key and value: each holds the text escaped
    assert document.count(ESCAPED) >= 12
    page = _parse(document)
    assert "script" not in page.tags
    text = "".join(page.text)
    # decoded by a browser's rules, the page shows the text as it was given
    assert text.count(EVIL) >= 10
    assert EVIL in page.attributes  # the chart's alt text, intact inside its attribute
    assert f"{EVIL} — " in text  # <title>


def test_scorecard_label_markup_stays_text_in_its_cell() -> None:
    document = _render()
    cell = re.search(r'<td class="target">(.*?)</td>', document)
    assert cell is not None
    assert cell.group(1) == f'{ESCAPED}<code class="target-id">{ESCAPED}</code>'
    assert '<span class="status met">met</span>' in document
    assert '<span class="status missed">missed</span>' in document


def test_scorecard_is_one_row_per_target_with_years_as_columns() -> None:
    document = _render()
    table = document[document.index('id="scorecard-table"'):]
    table = table[:table.index("</table>")]
    header = re.findall(r"<th>([^<]*)</th>", table[:table.index("</thead>")])
    assert header[:2] == ["Target", "Threshold"] and header[2:] == ["2021", "2022"]
    card = _arguments()["tables"]["scorecard"]
    assert table.count("<tr>") == 1 + card["target"].nunique()  # the header, one per target
    assert table.count('class="num status-cell') == len(card)
    assert table.count('<td class="na">') == card["target"].nunique() * 2 - len(card)


def test_environment_escapes_and_is_strict() -> None:
    environment = report_html._environment()
    assert environment is report_html._environment()  # created once
    assert environment.autoescape is True
    assert environment.undefined is jinja2.StrictUndefined
    template = environment.get_template(report_html.TEMPLATE)
    assert "<script>" not in template.render(_context())  # the full context renders


def _context() -> dict:
    arguments = _arguments()
    return report_html._context(arguments.pop("tables"), arguments.pop("metadata"),
                                **arguments)


@pytest.mark.parametrize("missing", ["title", "text", "sections", "summary", "assumptions",
                                     "scorecard", "charts", "caption_stop", "kpi_tables",
                                     "cross_check", "metadata", "version", "today",
                                     "html_lang"])
def test_a_missing_variable_raises(missing: str) -> None:
    context = _context()
    del context[missing]
    template = report_html._environment().get_template(report_html.TEMPLATE)
    with pytest.raises(jinja2.UndefinedError):
        template.render(context)


def test_a_missing_field_or_label_raises() -> None:
    template = report_html._environment().get_template(report_html.TEMPLATE)
    context = _context()
    del context["scorecard"]["targets"][0]["cells"][0]["status_text"]
    with pytest.raises(jinja2.UndefinedError):
        template.render(context)
    context = copy.deepcopy(_context())
    del context["text"]["cross_check_note"]
    with pytest.raises(jinja2.UndefinedError):
        template.render(context)


def test_no_scripts_and_no_remote_references() -> None:
    document = _render()
    assert not re.search(r"<script|<link|<iframe|<object|<embed|<base|@import|url\s*\(",
                         document, re.I)
    csp = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', document)
    assert csp == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                   "base-uri 'none'; form-action 'none'"]
    # the chart's SVG names http://www.w3.org, but only inside its base64 data: URL
    without_csp = document.replace(csp[0], "")
    assert "http://" not in without_csp and "https://" not in without_csp
    assert re.findall(r'\ssrc="([a-z]+):', document) == ["data"] * document.count(" src=")
    assert "data:image/svg+xml;base64," in document


def test_one_self_contained_document() -> None:
    document = _render()
    assert document.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert document.endswith("</html>\n")
    for tag in ("<html", "</html>", "<head>", "<body>", "<style>", "<main>"):
        assert document.count(tag) == 1, tag
    style = document[document.index("<style>"):document.index("</style>")]
    assert ":root {" in style and ".status.met" in style  # the CSS is inlined
    sections = re.findall(r'<section id="([a-z_]+)">', document)
    assert sections == ["summary", "assumptions", "scorecard", "charts", "kpis", "cross_check",
                        "metadata"]
    assert re.findall(r'<a href="#([a-z_]+)">', document) == sections
    for marker in ('id="scorecard-table"', 'id="cross-check"', 'id="run-metadata"',
                   'id="chart-bed_demand"', 'class="kpis"', 'width="460"'):
        assert marker in document, marker


def test_without_charts_or_scorecard_the_sections_say_so() -> None:
    document = render_html({"kpis": _kpis()}, {}, title="T", lang="zh")
    assert '<html lang="zh-CN">' in document
    assert re.findall(r'<section id="([a-z_]+)">', document) == [
        "summary", "assumptions", "scorecard", "kpis", "cross_check", "metadata"]
    assert '<p class="note" id="no-scorecard">本次运行没有需要评估的规划目标。</p>' in document
    assert "本次运行未列出假设。" in document and "本次运行没有对照表。" in document


def test_templates_ship_with_the_package() -> None:
    templates = resources.files("carefacility.report") / "templates"
    for name in (report_html.TEMPLATE, "_macros.html.j2", "report.css"):
        assert (templates / name).is_file(), name


def _eligibility_table(rule_text: str) -> pd.DataFrame:
    rows = []
    for role, rule, mean in (("scenario", "practice", 0.0), ("alternative", "strict", 140.0),
                             ("difference", "strict - practice", 140.0)):
        rows.append({"year": 2035, "role": role, "rule": rule, "eligible_bed_types": rule_text,
                     "metric": "waiting_list_year_end", "mean": mean, "ci_low": mean - 50,
                     "ci_high": mean + 50, "unit": "persons", "replications": 5})
    return pd.DataFrame(rows)


def test_eligibility_section_shows_both_rules_and_the_difference() -> None:
    hostile = "<script>alert(1)</script>"
    html = render_html({"eligibility_alternative": _eligibility_table(hostile)}, {},
                       title="t", lang="en")
    sections = re.findall(r'<section id="([a-z_]+)">', html)
    assert "eligibility" in sections
    table = html[html.index('id="eligibility-table"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 2  # header and the one figure of 2035
    assert "140" in table and "190]" in table  # the mean and its interval
    assert "<script>" not in html and "&lt;script&gt;" in html
    # without the table there is no section
    plain = render_html({}, {}, title="t", lang="en")
    assert "eligibility" not in re.findall(r'<section id="([a-z_]+)">', plain)


def _png(width_px: int, height_px: int, dpi: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width_px, height_px), "white").save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def test_a_chart_without_svg_is_embedded_as_png_with_its_title_as_alt_text() -> None:
    import base64

    png = _png(300, 200, 150)
    arguments = _arguments()
    arguments["charts"] = [Chart(key="bed_demand", title=EVIL, caption=EVIL, png=png)]
    document = render_html(arguments.pop("tables"), arguments.pop("metadata"), **arguments)
    images = re.findall(r'<img alt="([^"]*)" width="(\d+)" src="data:image/png;base64,([^"]+)"',
                        document)
    assert len(images) == 1 and "data:image/svg+xml" not in document
    alt, width, data = images[0]
    assert alt == ESCAPED and base64.b64decode(data) == png
    # shown as large as the same chart's SVG would be: 2 in at 150 dpi, 96 CSS px an inch,
    # enlarged by 1.15
    assert int(width) == round(300 / 150 * 96 * 1.15)
    # with both, the SVG is embedded
    both = report_html._chart_items([Chart(key="k", title="t", svg=SVG, png=png)])
    assert both[0]["media_type"] == "image/svg+xml"


def test_a_chart_needs_an_image() -> None:
    with pytest.raises(ValueError, match="SVG or its PNG"):
        Chart(key="bed_demand", title="t")
