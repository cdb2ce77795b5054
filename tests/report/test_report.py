"""The planning report: report.html is self-contained and escaped, results.xlsx matches the CSVs
beside it, `carefacility report` rebuilds from the stored files, and a failed rebuild changes
nothing."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from carefacility.cli import main
from carefacility.population.projection import project_population
from carefacility.report import excel as report_excel
from carefacility.report import fonts, plots
from carefacility.report import writer as report
from carefacility.report.excel import sheet_names
from carefacility.report.html import format_number, kpi_groups, render_html
from carefacility.report.writer import (
    rebuild_report,
    scenario_assumptions,
    scenario_summary,
    service_utilisation_frame,
    write_report,
)
from carefacility.runner.simulation import run
from carefacility.scenario.loader import load_scenario

XICHENG_FILE = Path(__file__).resolve().parents[2] / "scenarios" / "xicheng.yaml"


def first_assumption_ref() -> str:
    """``xicheng.yaml:N`` of the first comment of the file that starts with ASSUMPTION."""
    lines = XICHENG_FILE.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, 1)
                  if "#" in line and line.split("#", 1)[1].strip().startswith("ASSUMPTION"))
    return f"xicheng.yaml:{number}"


EXTERNAL = re.compile(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", re.I)


def _utilisation_kpis(years) -> pd.DataFrame:
    """Day-care and meal-point KPIs by zone, in the naming of the community-services model."""
    rows = []
    for year in years:
        for zone in ("月坛", "德胜"):
            for service, base in (("day_centre", 0.6), ("meal_point", 0.8)):
                mean = base + 0.01 * (year - years[0])
                rows.append({"year": year, "metric": f"{service}.utilisation.{zone}",
                             "mean": mean, "ci_low": mean - 0.05, "ci_high": mean + 0.05,
                             "unit": "fraction", "replications": 2})
    return pd.DataFrame(rows)


def _scorecard(kpis: pd.DataFrame) -> pd.DataFrame:
    """A hand-made scorecard in the column contract of carefacility.targets.scorecard, with
    markup in a label to check escaping."""
    rows = []
    for target, label, metric, comparison, threshold, years in (
            ("beds_per_1000", "Beds per 1,000 aged 60+ ≥ 45", "beds_per_1000_60plus", ">=",
             45.0, (2025, 2030)),
            ("nursing_share", "<b>护理型床位</b>占比 ≥ 55 %", "nursing_share", ">=", 0.55,
             (2025,)),
            ("within_30", "Admitted within 30 days ≥ 80 %", "share_served_within_threshold",
             ">=", 0.8, (2021, 2030))):
        for year in years:
            row = kpis[(kpis["metric"] == metric) & (kpis["year"] == year)].iloc[0]
            low, high = row["ci_low"], row["ci_high"]
            met = [(v >= threshold) for v in (low, high)]
            status = "met" if all(met) else "missed" if not any(met) else "at_risk"
            rows.append({"target": target, "label": label, "year": year, "metric": metric,
                         "comparison": comparison, "threshold": threshold,
                         "simulated_mean": row["mean"], "ci_low": low, "ci_high": high,
                         "status": status, "shortfall": 0.0 if status == "met" else 12.0,
                         "shortfall_unit": "beds"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def xicheng(request):
    root = Path(request.config.rootpath)
    scenario = load_scenario(root / "scenarios" / "xicheng.yaml")
    projection = project_population(scenario.population)
    result = run(scenario, replications=2, seed=7, executor="serial", projection=projection)
    years = sorted(result.kpis["year"].unique())
    kpis = pd.concat([result.kpis, _utilisation_kpis(years)], ignore_index=True)
    result = replace(result, kpis=kpis)
    return scenario, projection, result


CHARTS = ("scorecard_chart", "beds_occupied_planned", "waiting_times",
          "admitted_within_threshold", "occupancy_by_bed_type", "nursing_share",
          "service_utilisation", "elderly_population", "population_pyramid")
"""The charts of Xicheng's report besides the back-test's."""

IMAGE = re.compile(r'<img alt="([^"]*)"(?: width="\d+")? src="data:(image/[a-z+]+);base64,')


@pytest.fixture(scope="module")
def written(xicheng, tmp_path_factory) -> Path:
    scenario, projection, result = xicheng
    out = tmp_path_factory.mktemp("report") / "xicheng"
    write_report(result, out, projection=projection, scenario=scenario,
                 scorecard=_scorecard(result.kpis), lang="en")
    return out


def test_write_report_writes_tables_charts_html_and_workbook(written: Path) -> None:
    names = {p.name for p in written.iterdir()}
    for name in ("scorecard.csv", "kpis.csv", "kpis_by_replication.csv",
                 "analytic_cross_check.csv", "care_need.csv", "bed_demand.csv",
                 "elderly_summary.csv", "population.csv", "population_components.csv",
                 "run_metadata.json", report.CONTEXT_FILE, "report.html", "results.xlsx"):
        assert name in names, name
    for chart in CHARTS:
        assert f"{chart}.png" in names, chart
    assert not [name for name in names if name.endswith(".svg")]  # SVG only when asked for
    assert not [p for p in written.parent.iterdir() if "staging" in p.name]


def test_html_is_self_contained_and_escaped(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    assert EXTERNAL.search(html) is None
    assert "<script" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "&lt;b&gt;护理型床位&lt;/b&gt;" in html and "<b>护理型床位" not in html
    sections = re.findall(r'<section id="([a-z_]+)">', html)
    # xicheng.yaml lists observed figures: the back-test section comes before the run's; the
    # other eligibility rule is simulated beside every run
    assert sections == ["summary", "assumptions", "scorecard", "charts", "kpis", "eligibility",
                        "cross_check", "backtest", "metadata"]
    # 9 charts and the back-test's, as PNG (no SVG was asked for), each titled for a reader
    # who cannot see it
    images = IMAGE.findall(html)
    assert len(images) == 10 and {kind for _, kind in images} == {"image/png"}
    assert all(alt.strip() for alt, _ in images)
    assert "Occupied and planned beds" in {alt for alt, _ in images}
    assert "data:image/svg+xml" not in html
    for word in ("met", "missed"):
        assert f'class="status {word}">{word}<' in html
    # the summary, the assumptions of the scenario file and the run metadata are all there
    assert "4,500" in html and first_assumption_ref() in html and "carefacility_version" in html


def test_html_headings_follow_the_language(xicheng) -> None:
    _, _, result = xicheng
    tables = {"kpis": result.kpis, "analytic_cross_check":
              result.tables["analytic_cross_check"]}
    english = render_html(tables, result.metadata, title="T", lang="en")
    chinese = render_html(tables, result.metadata, title="T", lang="zh")
    assert '<html lang="en">' in english and "Cross-check against queueing theory" in english
    assert '<html lang="zh-CN">' in chinese and "与排队论计算的对照" in chinese
    assert "本次运行没有需要评估的规划目标" in chinese  # no scorecard given


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])


GRIDS = ["scorecard", "kpis_by_year", "population_by_year", "care_need_by_year",
         "bed_demand_by_year"]


def test_workbook_opens_with_the_bureau_grids(written: Path) -> None:
    sheets = pd.ExcelFile(written / "results.xlsx").sheet_names
    assert sheets == [*GRIDS, "about"]
    about = pd.read_excel(written / "results.xlsx", sheet_name="about").set_index("CSV file")
    kpis = about.loc["kpis.csv"]
    assert pd.isna(kpis["sheet"]) and "--long-sheets adds it" in kpis["note"]
    replications = about.loc["kpis_by_replication.csv"]
    assert pd.isna(replications["sheet"])
    assert replications["rows"] == len(_read_csv(written / "kpis_by_replication.csv"))
    assert replications["note"].startswith("not in this workbook: the table is in its CSV "
                                           "file only")


def test_long_sheets_match_the_csv_files(written: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in written.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    rebuild_report(folder, long_sheets=True)
    sheets = pd.read_excel(folder / "results.xlsx", sheet_name=None, keep_default_na=False,
                           na_values=[""])
    names = list(sheets)
    # the 23,700 rows of every replication's KPIs are in their CSV file only (by default)
    assert names[:len(GRIDS) + 7] == [*GRIDS, "scorecard_table", "kpis", "analytic_cross_check",
                                      "care_need", "bed_demand", "elderly_summary",
                                      "population"]
    assert names[-1] == "about" and "kpis_by_replication" not in names
    assert all(len(name) <= 31 for name in names)
    compared = 0
    for name, frame in sheets.items():
        if name == "about" or name in GRIDS:
            continue
        csv = folder / f"{name.removesuffix('_table')}.csv"
        assert csv.is_file(), name
        pd.testing.assert_frame_equal(frame, _read_csv(csv), check_dtype=False, obj=name)
        compared += 1
    assert compared == len(list(folder.glob("*.csv"))) - 1


def test_workbook_about_says_in_chinese_that_a_table_is_in_its_csv_file_only(
        tmp_path: Path) -> None:
    kpis = pd.DataFrame({"year": [2021], "metric": ["beds"], "mean": [1.0]})
    per_replication = pd.DataFrame({"replication": [0, 1], "year": 2021, "metric": "beds",
                                    "value": [1.0, 1.0]})
    sheets = report_excel.write_workbook(
        {"kpis": kpis, "kpis_by_replication": per_replication}, tmp_path / "r.xlsx", lang="zh",
        csv_only=("kpis_by_replication",))
    assert sheets == ["目标评估", "年度指标", "说明"]
    about = pd.read_excel(tmp_path / "r.xlsx", sheet_name="说明").set_index("CSV文件")
    assert about.loc["kpis_by_replication.csv", "行数"] == 2
    assert about.loc["kpis_by_replication.csv", "说明"].startswith(
        "此表未收入本工作簿，仅见于CSV文件")
    assert about.loc["kpis.csv", "说明"].startswith("见CSV文件（长格式")


def test_sheet_names_are_short_valid_and_unique() -> None:
    names = sheet_names(["a" * 40, "a" * 39 + "b", "x[1]:y?", "kpis"])
    assert all(len(name) <= 31 for name in names.values())
    assert len(set(names.values())) == 4
    assert names["x[1]:y?"] == "x_1__y_"


def test_too_long_table_keeps_its_header_and_a_note(tmp_path: Path) -> None:
    kpis = pd.DataFrame({"year": [2021, 2022, 2023], "metric": "beds", "mean": 1.0})
    report_excel.write_workbook({"kpis": kpis}, tmp_path / "r.xlsx", max_rows=2,
                                long_sheets=True)
    sheets = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)
    assert list(sheets["kpis"].columns) == ["year", "metric", "mean"] and sheets["kpis"].empty
    about = sheets["about"].set_index("sheet")
    assert about.loc["kpis", "rows"] == 3 and "use the CSV file" in about.loc["kpis", "note"]


def test_workbook_without_scorecard_starts_with_an_empty_one(tmp_path: Path) -> None:
    kpis = pd.DataFrame({"year": [2021], "metric": ["beds"], "mean": [1.0], "ci_low": [1.0],
                         "ci_high": [1.0], "unit": ["beds"], "replications": [1]})
    sheets = report_excel.write_workbook({"kpis": kpis}, tmp_path / "r.xlsx", long_sheets=True)
    assert sheets == ["scorecard", "kpis_by_year", "scorecard_table", "kpis", "about"]
    scorecard = pd.read_excel(tmp_path / "r.xlsx", sheet_name="scorecard_table")
    assert list(scorecard.columns) == report_excel.SCORECARD_COLUMNS and scorecard.empty
    about = pd.read_excel(tmp_path / "r.xlsx", sheet_name="about").set_index("CSV file")
    assert about.loc["scorecard.csv", "note"] == "no targets in this run"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_rebuild_from_stored_files(written: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in written.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    tables_before = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    before_html = (folder / "report.html").read_text(encoding="utf-8")
    rebuild_report(folder, lang="en")
    after_html = (folder / "report.html").read_text(encoding="utf-8")
    assert {p.name: p.read_bytes() for p in folder.glob("*.csv")} == tables_before
    # same content, rebuilt from the CSVs: the same sections, scorecard rows and charts
    assert after_html.count("<tr>") == before_html.count("<tr>")
    assert after_html.count("data:image/png") == before_html.count("data:image/png") == 10
    assert first_assumption_ref() in after_html  # assumptions kept in scenario_summary.json


def test_cli_report_rebuilds_in_chinese(written: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in written.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    outcome = CliRunner().invoke(main, ["report", str(folder), "--lang", "zh"])
    assert outcome.exit_code == 0, outcome.output
    assert "report.html" in outcome.output
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "规划目标评估" in html
    book = pd.ExcelFile(folder / "results.xlsx")
    assert book.sheet_names == ["目标评估", "年度指标", "人口", "照护需求", "床位需求", "说明"]
    assert "工作表" in pd.read_excel(book, sheet_name="说明").columns
    header = pd.read_excel(book, sheet_name="年度指标").columns.tolist()
    assert header[:3] == ["指标", "单位", "统计量"]


def test_cli_report_of_a_folder_without_kpis_is_bad_input(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert outcome.exit_code == 2
    assert "no kpis.csv" in outcome.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("broken", ["write_workbook", "render_html"])
def test_interrupted_rebuild_leaves_the_folder_unchanged(written: Path, tmp_path: Path,
                                                         monkeypatch, broken: str) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in written.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    before = _snapshot(folder)

    def fail_mid_write(*args, **kwargs):
        if broken == "write_workbook":  # half a workbook, then the failure
            Path(args[1]).write_bytes(b"PK\x03\x04 half-written")
        raise OSError("disk full")

    monkeypatch.setattr(report, broken, fail_mid_write)
    with pytest.raises(OSError, match="disk full"):
        rebuild_report(folder, lang="en")
    assert _snapshot(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["copy"]  # no staging folder left behind


def test_write_report_into_a_folder_with_other_files_needs_force(xicheng,
                                                                 tmp_path: Path) -> None:
    from carefacility.report.output_folder import OutputFolderError

    _, _, result = xicheng
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="--force"):
        write_report(result, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_scenario_summary_and_assumptions(xicheng, request) -> None:
    scenario, _, _ = xicheng
    summary = scenario_summary(scenario)
    assert summary["basis"] == "resident" and summary["base_date"] == "2020-11-01"
    assert summary["beds_start"] == {"date": "2021-01-01", "general": 2412, "nursing": 2088,
                                     "dementia": 0}
    assert summary["beds_end"]["year"] == 2035
    json.dumps(summary)  # stored in scenario_summary.json
    lines = scenario_assumptions(scenario)
    # each line names its place in the file, and that line of the file says it
    assert lines[0].startswith(f"{first_assumption_ref()}: ASSUMPTION")
    file_lines = XICHENG_FILE.read_text(encoding="utf-8").splitlines()
    for line in lines:
        number = int(line.split(":")[1])
        assert "ASSUMPTION" in file_lines[number - 1] or "ASSUMPTION" in line
    assert all("ASSUMPTION" in line for line in lines)
    assert not any("marked ASSUMPTION" in line for line in lines)  # the header convention


def test_scenario_assumptions_after_a_value(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\n# DERIVED from the census.\n#\n# ASSUMPTION: closed,\n"
                    "#   no migration.\nshare_male: 0.5   # ASSUMPTION\n"
                    "label: 'a # ASSUMPTION inside quotes'\n", encoding="utf-8")
    assert scenario_assumptions(path) == ["s.yaml:4: ASSUMPTION: closed, no migration.",
                                          "s.yaml:6: share_male: 0.5 — ASSUMPTION"]


def test_service_utilisation_frame_parses_zone_metrics() -> None:
    kpis = _utilisation_kpis([2021, 2022])
    kpis = pd.concat([kpis, pd.DataFrame({"year": [2021], "metric": ["meal_point.turned_away_"
                                                                   "share.月坛"],
                                          "mean": [0.1], "ci_low": [0.0], "ci_high": [0.2],
                                          "unit": ["fraction"], "replications": [2]})])
    frame = service_utilisation_frame(kpis)
    assert list(frame.columns) == ["year", "zone", "service", "mean", "ci_low", "ci_high"]
    assert len(frame) == 8 and set(frame["zone"]) == {"月坛", "德胜"}
    assert len(service_utilisation_frame(kpis, "turned_away_share")) == 1


def test_kpi_groups_and_number_format() -> None:
    groups = dict(kpi_groups(["occupancy.general", "beds", "wait_p95_days", "applicants",
                              "day_centre.utilisation.a", "something_new"]))
    assert groups["group_beds"] == ["beds", "occupancy.general"]
    assert groups["group_other"] == ["something_new"]
    assert format_number(0.4567, "fraction") == "45.7 %"
    assert format_number(4500.0, "beds") == "4,500"
    assert format_number(float("nan")) == "–"


# --------------------------------------------------------------------------------------------
# Options: SVG charts, the per-replication sheet, charts drawn on several processes
# --------------------------------------------------------------------------------------------

def test_svg_and_per_replication_sheet_on_request_and_rebuild_follows_its_options(
        xicheng, tmp_path: Path) -> None:
    scenario, projection, result = xicheng
    out = tmp_path / "run"
    write_report(result, out, projection=projection, scenario=scenario,
                 scorecard=_scorecard(result.kpis), svg=True, per_replication_sheet=True)
    names = {p.name for p in out.iterdir()}
    for chart in (*CHARTS, "backtest_chart"):
        assert {f"{chart}.png", f"{chart}.svg"} <= names, chart
    images = IMAGE.findall((out / "report.html").read_text(encoding="utf-8"))
    assert len(images) == 10 and {kind for _, kind in images} == {"image/svg+xml"}
    sheet = pd.read_excel(out / "results.xlsx", sheet_name="kpis_by_replication",
                          keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(sheet, _read_csv(out / "kpis_by_replication.csv"),
                                  check_dtype=False)
    about = pd.read_excel(out / "results.xlsx", sheet_name="about").set_index("sheet")
    assert pd.isna(about.loc["kpis_by_replication", "note"])

    # the options decide, whatever the folder held: the SVGs of the earlier write go with it
    rebuild_report(out)
    assert not list(out.glob("*.svg")) and {f"{c}.png" for c in CHARTS} <= {
        p.name for p in out.iterdir()}
    manifest = (out / ".carefacility-outputs").read_text(encoding="utf-8").split("\n")
    assert not [name for name in manifest if name.endswith(".svg")]
    images = IMAGE.findall((out / "report.html").read_text(encoding="utf-8"))
    assert len(images) == 10 and {kind for _, kind in images} == {"image/png"}
    assert "kpis_by_replication" not in pd.read_excel(out / "results.xlsx", sheet_name=None)
    rebuild_report(out, svg=True)
    assert len(list(out.glob("*.svg"))) == 10


def test_charts_drawn_on_processes_are_the_charts_drawn_here(xicheng, written: Path,
                                                             tmp_path: Path,
                                                             monkeypatch) -> None:
    if not report._can_fork():
        pytest.skip("charts are drawn on forked processes only (Linux, no other threads)")
    scenario, projection, result = xicheng
    drawn_here = []
    render = report._render_chart

    def spy(job):  # a forked worker appends to its own copy of the list
        drawn_here.append(job.key)
        return render(job)

    monkeypatch.setattr(report, "_render_chart", spy)
    out = tmp_path / "parallel"
    write_report(result, out, projection=projection, scenario=scenario,
                 scorecard=_scorecard(result.kpis), lang="en", workers=2)
    assert drawn_here == []  # every chart was drawn on a worker process
    serial = {p.name: p.read_bytes() for p in written.glob("*.png")}
    parallel = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert len(serial) == 10 and parallel.keys() == serial.keys()
    for name, image in serial.items():
        assert parallel[name] == image, name  # the same PNG, byte for byte
    assert (out / "report.html").read_bytes() == (written / "report.html").read_bytes()
    for path in written.glob("*.csv"):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def test_warnings_and_errors_of_chart_workers_reach_the_caller(xicheng, tmp_path: Path,
                                                               monkeypatch) -> None:
    if not report._can_fork():
        pytest.skip("charts are drawn on forked processes only (Linux, no other threads)")
    _, projection, result = xicheng
    # the workers inherit the environment and the patches: no system font, and a title with
    # a character (U+9F98) that the shipped font lacks warns in a worker
    monkeypatch.setenv(fonts.IGNORE_SYSTEM_FONTS_ENV, "1")
    fonts.system_cjk_family.cache_clear()
    with pytest.warns(plots.MissingCJKFontWarning, match="\u9f98"):
        write_report(result, tmp_path / "en", projection=projection, title="西城区\u9f98",
                     workers=2)
    fonts.system_cjk_family.cache_clear()

    def broken_install() -> str:
        raise RuntimeError("carefacility's Chinese chart font is missing")

    monkeypatch.setattr(fonts, "cjk_font_family", broken_install)
    with pytest.raises(RuntimeError, match="Chinese chart font is missing"):
        write_report(result, tmp_path / "zh", projection=projection, lang="zh", workers=2)
    assert not (tmp_path / "zh").exists()


# --------------------------------------------------------------------------------------------
# Chinese throughout: no English label in the zh report outside the scenario's own text
# --------------------------------------------------------------------------------------------

ALLOWED_ENGLISH = re.compile(
    r"carefacility( run| report)?|--until-decided|--set|--long-sheets|results\.xlsx|"
    r"[a-z_]+\.csv|CSV|M\(t\)/M/∞|M/M/[c∞]|Erlang|Dask|PNG|SVG|\bT\b")


def _strings(value: object) -> list[str]:
    """Every text inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def test_the_chinese_report_has_no_english_label(written: Path, tmp_path: Path) -> None:
    import html

    folder = tmp_path / "copy"
    folder.mkdir()
    for path in written.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    rebuild_report(folder, lang="zh")
    document = (folder / "report.html").read_text(encoding="utf-8")
    document = re.sub(r"<style.*?</style>|data:image/[^\"]+", "", document, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", document))
    # the scenario's own text: its name, description, assumptions, target labels and ids,
    # sources, file names and the run's settings
    own = _strings(json.loads((folder / "scenario_summary.json").read_text(encoding="utf-8")))
    metadata = json.loads((folder / "run_metadata.json").read_text(encoding="utf-8"))
    own += [str(metadata.get("scenario", "")), str(metadata.get("scenario_file", "")),
            *map(str, metadata.get("overrides", []))]
    scorecard = _read_csv(folder / "scorecard.csv")
    own += [*scorecard["label"].dropna(), *scorecard["target"]]
    own += list(_read_csv(folder / "backtest.csv")["source"].dropna())
    own += [part for line in own if ".yaml:" in line for part in line.split(": ", 1)]
    for line in sorted(set(own), key=len, reverse=True):
        text = text.replace(line, "")
    text = re.sub(r"[\w./-]+\.yaml(:\d+)?", "", text)  # where an assumption is in the file
    english = [word for line in text.splitlines()
               for word in re.findall(r"[A-Za-z][A-Za-z_.-]+", ALLOWED_ENGLISH.sub("", line))]
    assert english == [], [line for line in text.splitlines() if re.search("[A-Za-z]{2}",
                                                                           line)][:20]
