"""Charts return their Axes, draw without warnings, and never draw Chinese as empty boxes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.axes import Axes

from carefacility.population.projection import project_population
from carefacility.report import plots
from carefacility.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def projection(request):
    root = Path(request.config.rootpath)
    return project_population(load_scenario(root / "scenarios" / "xicheng.yaml").population)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_charts_draw_without_warnings(projection, lang: str, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.population_pyramid(projection.population, (2020, 2035), lang=lang,
                                      title="西城区 Xicheng")
        assert isinstance(ax, Axes)
        # the Chinese font ships with the package: Chinese text is kept in English charts too
        assert ax.get_title() == "西城区 Xicheng"
        paths = plots.save_figure(ax, tmp_path / "pyramid")
        ax = plots.elderly_trend(projection.elderly, lang=lang)
        assert isinstance(ax, Axes)
        assert ax.get_xlabel() == plots.label("year", lang)
        paths += plots.save_figure(ax, tmp_path / "trend")
    assert all(path.stat().st_size > 1000 for path in paths)


def test_draws_on_a_given_axes(projection) -> None:
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plots.elderly_trend(projection.elderly, ax=ax) is ax
    assert len(ax.get_lines()) == 2


# --- charts of a run: hand-made tables in the shapes the simulation, targets and community-
# --- service modules produce

YEARS = list(range(2021, 2027))


def _kpi_rows(metric: str, values, unit: str, half_width: float = 0.0) -> list[dict]:
    return [{"year": year, "metric": metric, "mean": value, "ci_low": value - half_width,
             "ci_high": value + half_width, "unit": unit, "replications": 5}
            for year, value in zip(YEARS, values, strict=True)]


def make_kpis() -> pd.DataFrame:
    """A small KPI table: bed types (dementia without beds), waits with an undefined year."""
    nan = float("nan")
    rows = []
    for bed_type, beds, occupied in (("general", 600, [400, 500, 580, 600, 600, 600]),
                                     ("nursing", 400, [300, 320, 330, 350, 360, 380]),
                                     ("dementia", 0, [0] * 6)):
        rows += _kpi_rows(f"occupied_beds.{bed_type}", occupied, "beds", 10.0)
        rate = [o / beds if beds else nan for o in occupied]
        rows += _kpi_rows(f"occupancy.{bed_type}", rate, "fraction", 0.02)
    rows += _kpi_rows("beds", [1000, 1000, 1050, 1100, 1100, 1100], "beds")
    rows += _kpi_rows("beds.nursing", [400, 400, 450, 500, 500, 500], "beds")
    rows += _kpi_rows("beds.dementia", [0] * 6, "beds")
    rows += _kpi_rows("nursing_share", [0.4, 0.4, 0.43, 0.45, 0.45, 0.45], "fraction of beds")
    for quantile, scale in (("p50", 1.0), ("p90", 2.5), ("p95", 3.0)):
        rows += _kpi_rows(f"wait_{quantile}_days",
                          [nan, 0, 5 * scale, 20 * scale, 40 * scale, 60 * scale], "days", 4.0)
    rows += _kpi_rows("share_served_within_threshold", [1.0, 1.0, 0.9, 0.6, 0.4, 0.3],
                      "fraction of admissions (threshold 30 days)", 0.05)
    return pd.DataFrame(rows)


def make_cross_check() -> pd.DataFrame:
    return pd.DataFrame({"year": YEARS, "beds": [1000, 1000, 1050, 1100, 1100, 1100],
                         "offered_load_beds": [900, 960, 1020, 1080, 1140, 1200]})


def make_scorecard() -> pd.DataFrame:
    """A scorecard in the column contract of carefacility.targets.scorecard."""
    return pd.DataFrame({
        "target": ["beds_per_1000", "beds_per_1000", "nursing_share", "within_30_days"],
        "label": ["Beds per 1,000 aged 60+ ≥ 45", "Beds per 1,000 aged 60+ ≥ 45",
                  "护理型床位占比 ≥ 55 %", "Admitted within 30 days ≥ 80 %"],
        "year": [2025, 2026, 2025, 2026],
        "metric": ["beds_per_1000_60plus", "beds_per_1000_60plus", "nursing_share",
                   "share_served_within_threshold"],
        "comparison": [">=", ">=", ">=", ">="],
        "threshold": [45.0, 45.0, 0.55, 0.8],
        "simulated_mean": [46.0, 44.0, 0.45, 0.78],
        "ci_low": [46.0, 44.0, 0.45, 0.70],
        "ci_high": [46.0, 44.0, 0.45, 0.86],
        "status": ["met", "missed", "missed", "at_risk"],
        "shortfall": [0.0, 250.0, 110.0, float("nan")],
        "shortfall_unit": ["beds", "beds", "nursing beds", ""],
    })


def make_utilisation() -> pd.DataFrame:
    """Tidy day-care / meal-point utilisation by zone (as the community-service KPIs give)."""
    rows = []
    for year in YEARS:
        for index, zone in enumerate(("月坛", "德胜", "north")):
            for service, base in (("day_centre", 0.5), ("meal_point", 0.7)):
                mean = base + 0.05 * (year - YEARS[0]) + 0.03 * index
                rows.append({"year": year, "zone": zone, "service": service, "mean": mean,
                             "ci_low": mean - 0.04, "ci_high": mean + 0.04})
    return pd.DataFrame(rows)


def make_elderly(band: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"year": YEARS, "zone": "all",
                          "pop_60plus": [1000.0, 1050, 1100, 1150, 1200, 1250],
                          "pop_80plus": [200.0, 205, 210, 220, 230, 245],
                          "share_60plus": [0.2, 0.21, 0.22, 0.23, 0.24, 0.25]})
    if band:
        frame["pop_60plus_low"] = frame["pop_60plus"] * 0.95
        frame["pop_60plus_high"] = frame["pop_60plus"] * 1.05
    return frame


RUN_CHARTS = {
    "bed_demand_supply": lambda lang: plots.bed_demand_supply(make_kpis(), make_cross_check(),
                                                              lang=lang),
    "waiting_times": lambda lang: plots.waiting_times(make_kpis(), lang=lang),
    "admitted_within_threshold": lambda lang: plots.admitted_within_threshold(
        make_kpis(), target=0.8, lang=lang),
    "occupancy_by_type": lambda lang: plots.occupancy_by_type(make_kpis(), lang=lang),
    "nursing_share": lambda lang: plots.nursing_share(make_kpis(), target=0.55, lang=lang),
    "service_utilisation": lambda lang: plots.service_utilisation(make_utilisation(),
                                                                  lang=lang),
    "service_utilisation_one": lambda lang: plots.service_utilisation(
        make_utilisation(), service="meal_point", year=2024, lang=lang),
    "scorecard_chart": lambda lang: plots.scorecard_chart(make_scorecard(), lang=lang),
    "elderly_trend_band": lambda lang: plots.elderly_trend(make_elderly(True), lang=lang),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("chart", sorted(RUN_CHARTS))
def test_run_charts_return_axes_without_warnings(chart: str, lang: str, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = RUN_CHARTS[chart](lang)
        assert isinstance(ax, Axes)
        assert ax.get_title()
        paths = plots.save_figure(ax, tmp_path / chart, svg=True)
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert all(path.stat().st_size > 1000 for path in paths)


def test_charts_are_png_unless_svg_is_asked_for_and_the_png_is_reproducible(
        tmp_path: Path) -> None:
    ax = RUN_CHARTS["waiting_times"]("en")
    paths = plots.save_figure(ax, tmp_path / "waits")
    assert [p.name for p in paths] == ["waits.png"] and not (tmp_path / "waits.svg").exists()
    png, svg = plots.figure_images(ax)
    assert svg is None and paths[0].read_bytes() == png
    assert png.startswith(b"\x89PNG") and b"pHYs" in png  # the resolution: 150 dpi
    again = plots.figure_images(RUN_CHARTS["waiting_times"]("en"), svg=True)
    assert again[0] == png  # a chart drawn again gives the same PNG, byte for byte
    assert again[1] is not None and again[1].lstrip().startswith(b"<?xml")


def test_run_charts_draw_on_a_given_axes() -> None:
    from matplotlib.figure import Figure

    for chart in ("bed_demand_supply", "waiting_times", "occupancy_by_type"):
        ax = Figure().add_subplot()
        function = getattr(plots, chart)
        assert function(make_kpis(), ax=ax) is ax


def test_bed_chart_leaves_out_bed_types_without_beds() -> None:
    ax = plots.bed_demand_supply(make_kpis(), make_cross_check())
    labels = [line.get_label() for line in ax.get_lines()]
    assert not any("Dementia" in text for text in labels)
    assert sum("General beds" in text for text in labels) == 2  # occupied and planned
    assert plots.label("offered_load", "en") in labels
    planned_general = next(line for line in ax.get_lines()
                           if line.get_label() == "General beds: planned")
    # without the dated schedule: the beds in force at each year's end, from the first year's
    # start (a year y runs from y - 0.5 to y + 0.5 on the axis)
    assert list(planned_general.get_ydata()) == [600] * 7
    assert list(planned_general.get_xdata()) == [YEARS[0] - 0.5, *(y + 0.5 for y in YEARS)]


def test_dated_build_steps_are_drawn_on_their_dates() -> None:
    schedule = pd.DataFrame({
        "date": ["2021-01-01"] * 3 + ["2022-07-02"] * 3 + ["2023-12-31"] * 3,
        "bed_type": ["general", "nursing", "dementia"] * 3,
        "beds": [600, 400, 0, 600, 450, 0, 600, 500, 0]})
    ax = plots.bed_demand_supply(make_kpis(), make_cross_check(), schedule=schedule)
    nursing = next(line for line in ax.get_lines()
                   if line.get_label() == "Nursing-type beds: planned")
    x, y = nursing.get_xdata(), nursing.get_ydata()
    # 1 January is the year's start (y - 0.5), 2 July (day 183) about its middle, 31 December
    # its last day
    assert x[0] == 2020.5 and y[0] == 400
    assert x[1] == pytest.approx(2021.5 + 182 / 365) and y[1] == 450
    assert x[2] == pytest.approx(2023.5 - 1 / 365) and y[2] == 500
    assert x[-1] == YEARS[-1] + 0.5 and y[-1] == 500  # held to the end of the last year
    total = next(line for line in ax.get_lines() if line.get_label() == "All beds: planned")
    assert list(total.get_ydata()[:3]) == [1000, 1050, 1100]


def test_source_line_sits_under_the_chart() -> None:
    ax = plots.nursing_share(make_kpis())
    height = ax.get_figure().get_size_inches()[1]
    plots.add_source_line(ax, "Source: somewhere", "en")
    figure = ax.get_figure()
    assert figure.get_size_inches()[1] == pytest.approx(height + 0.2)
    assert figure.get_supxlabel() == "Source: somewhere"


@pytest.mark.parametrize(("metric", "text"), [
    ("day_centre.coverage_communities", "100.0 %"), ("p_wait", "100.0 %"),
    ("share_served_within_threshold", "100.0 %"), ("beds", "1.0")])
def test_shares_of_every_kind_are_percentages(metric: str, text: str) -> None:
    assert plots.format_value(1.0, metric) == text
    assert plots.format_value(-0.0, "p_wait") == "0.0 %"


def test_admitted_within_reads_the_threshold_from_the_unit() -> None:
    assert plots.threshold_days(make_kpis()) == 30
    ax = plots.admitted_within_threshold(make_kpis())
    assert "30 days" in ax.get_ylabel()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scorecard_chart_names_each_status_in_words(lang: str) -> None:
    ax = plots.scorecard_chart(make_scorecard(), lang=lang)
    texts = [text.get_text() for text in ax.texts]
    assert len(texts) == 4  # one cell per (target, year) row
    for status in ("met", "missed", "at_risk"):
        assert any(text.startswith(plots.status_label(status, lang)) for text in texts)
    assert any("[70.0 %, 86.0 %]" in text for text in texts)  # CI where there is one
    label = [t.get_text() for t in ax.get_yticklabels()][1]
    # the shipped Chinese font draws the Chinese target label in the English chart too
    assert label == "护理型床位占比 ≥ 55 %"


def test_service_utilisation_writes_every_value() -> None:
    ax = plots.service_utilisation(make_utilisation())
    assert len(ax.texts) == 2 * 3 * len(YEARS)
    expected = {f"{100 * value:.0f}" for value in make_utilisation()["mean"]}
    assert {text.get_text() for text in ax.texts} == expected
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0].startswith("Day-care centres · ")


def test_elderly_band_only_when_given() -> None:
    from matplotlib.collections import PolyCollection

    def bands(ax: Axes) -> int:
        return sum(isinstance(c, PolyCollection) for c in ax.collections)

    assert bands(plots.elderly_trend(make_elderly(False))) == 0
    assert bands(plots.elderly_trend(make_elderly(True))) == 1


def test_waits_that_are_all_zero_get_a_readable_axis() -> None:
    kpis = make_kpis()
    waits = kpis["metric"].str.startswith("wait_")
    kpis.loc[waits, ["mean", "ci_low", "ci_high"]] = 0.0
    ax = plots.waiting_times(kpis)
    assert ax.get_ylim() == (0.0, 10.0)


def test_scorecard_labels_wrap_between_words() -> None:
    frame = make_scorecard().assign(label="老年护理床位不低于总量的25% (plan 2016) and more words")
    ax = plots.scorecard_chart(frame)
    label = ax.get_yticklabels()[0].get_text()
    assert "\n" in label and "pla\nn" not in label and "plan 2016" in label.replace("\n", " ")
