"""The back-test in the report: its chart, and the section "How the model reproduces this
place's history" (shown only with observations, every text escaped)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from matplotlib.axes import Axes

from carefacility.report import plots
from carefacility.report.html import Chart, render_html
from carefacility.report.output_folder import staged_output
from carefacility.report.writer import write_report_files

EVIL = "<script>alert(1)</script>\"&'"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&amp;&#39;"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="300pt" '
       b'height="200pt"><rect width="10" height="10"/></svg>')


def _backtest() -> pd.DataFrame:
    return pd.DataFrame({
        "year": [2020, 2021, 2022, 2021, 2024],
        "basis": ["resident", "resident", "resident", "resident", ""],
        "metric": ["pop_60plus", "pop_60plus", "pop_60plus", "deaths", "beds"],
        "observed": [1000.0, 1050.0, 1100.0, 50.0, 400.0],
        "projected": [1010.0, 1040.0, 1150.0, 60.0, float("nan")],
        "error": [10.0, -10.0, 50.0, 10.0, float("nan")],
        "relative_error": [0.01, -10 / 1050, 50 / 1100, 0.2, float("nan")],
        "use": ["calibration", "backtest", "backtest", "backtest", "backtest"],
        "source": [EVIL, "communiqué 2021", "communiqué 2022", "https://example.org/d", "x"]})


def _kpis() -> pd.DataFrame:
    return pd.DataFrame({"year": [2021, 2022], "metric": ["beds", "beds"],
                         "mean": [400.0, 400.0], "ci_low": [400.0, 400.0],
                         "ci_high": [400.0, 400.0], "unit": ["beds", "beds"],
                         "replications": [2, 2]})


def _render(tables: dict[str, pd.DataFrame], lang: str = "en") -> str:
    chart = Chart(key="backtest_chart", title=EVIL, svg=SVG, caption=EVIL)
    return render_html(tables, {"carefacility_version": "x"}, title="t", lang=lang,
                       backtest_chart=chart)


@pytest.mark.parametrize("lang, heading", [
    ("en", "How the model reproduces this place&#39;s history"),
    ("zh", "模型对本地历史的再现")])
def test_section_with_observations(lang: str, heading: str) -> None:
    document = _render({"kpis": _kpis(), "backtest": _backtest()}, lang)
    assert '<section id="backtest">' in document
    assert f"<h2>{heading}</h2>" in document
    assert f'<a href="#backtest">{heading}</a>' in document  # in the contents
    section = document.split('<section id="backtest">')[1].split("</section>")[0]
    rows = re.findall(r'<tr class="(calibration|backtest)">', section)
    assert rows == ["calibration", "backtest", "backtest", "backtest", "backtest"]
    assert 'id="chart-backtest_chart"' in section
    # the source's markup is text, escaped once; a URL is text, not a link
    assert ESCAPED in section and EVIL not in document and "<script" not in document.lower()
    assert "&amp;lt;" not in document
    assert "https://example.org/d" in section and "<a href=\"https://" not in document
    assert "+1.0 %" in section and "-1.0 %" in section and "+50" in section
    # the section comes after the cross-check, before the run
    sections = re.findall(r'<section id="([a-z_]+)">', document)
    assert sections.index("backtest") == sections.index("metadata") - 1


def test_no_section_without_observations() -> None:
    for tables in ({"kpis": _kpis()}, {"kpis": _kpis(), "backtest": _backtest().head(0)}):
        document = _render(tables)
        assert 'id="backtest"' not in document
        assert "How the model reproduces" not in document
        assert "chart-backtest_chart" not in document


def test_summary_gives_the_mean_absolute_error_by_use() -> None:
    document = _render({"kpis": _kpis(), "backtest": _backtest()})
    # back-test rows with a projection: 10/1050, 50/1100, 0.2 -> mean 8.5 %
    assert "Back-test figures: 3, mean absolute relative error 8.5 %." in document
    assert "Calibration figures: 1, mean absolute relative error 1.0 %." in document


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chart_returns_axes_with_both_panels(lang: str) -> None:
    ax = plots.backtest_chart(_backtest(), lang=lang)
    assert isinstance(ax, Axes)
    figure = ax.get_figure()
    top, bottom = figure.axes
    assert top is ax
    assert top.get_yscale() == "log"  # deaths (50) and persons aged 60+ (1,150)
    names = [text.get_text() for text in top.get_legend().get_texts()]
    assert names[0] == plots.label("pop_60plus", lang) + (
        "（常住）" if lang == "zh" else " (resident)")
    # relative errors: one point per observation with a projection
    points = sum(len(collection.get_offsets()) for collection in bottom.collections)
    assert points == 4
    assert plots.label("relative_error", lang) == bottom.get_ylabel()


def test_chart_uses_a_linear_axis_for_figures_of_one_size() -> None:
    table = _backtest()
    ax = plots.backtest_chart(table[table["metric"] == "pop_60plus"])
    assert ax.get_yscale() == "linear"
    assert len(ax.get_lines()) == 1  # one series's projected line


def test_report_files_hold_the_chart_and_the_section(tmp_path) -> None:
    tables = {"kpis": _kpis(), "backtest": _backtest()}
    with staged_output(tmp_path / "out") as out:
        names = write_report_files(out, tables, {}, title="t")
    assert {"backtest_chart.png", "report.html"} <= set(names)
    assert "backtest_chart.svg" not in names  # SVG only when asked for
    document = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<section id="backtest">' in document and "chart-backtest_chart" in document
    with staged_output(tmp_path / "svg") as out:
        names = write_report_files(out, tables, {}, title="t", svg=True)
    assert {"backtest_chart.png", "backtest_chart.svg"} <= set(names)
    with staged_output(tmp_path / "none") as out:
        names = write_report_files(out, {"kpis": _kpis()}, {}, title="t")
    assert "backtest_chart.png" not in names
