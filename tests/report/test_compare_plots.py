"""Charts of variants and sweeps: they draw what they are given, in both languages."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from carefacility.report import compare_plots

matplotlib.use("Agg")

UNIT = "fraction of applicants (threshold 30 days)"


def _kpis() -> pd.DataFrame:
    rows = []
    for variant, level in (("base", 0.8), ("more", 0.9)):
        for year in (2021, 2022, 2023):
            rows.append({"variant": variant, "year": year,
                         "metric": "share_served_within_threshold", "mean": level,
                         "ci_low": level - 0.05, "ci_high": level + 0.05, "unit": UNIT,
                         "replications": 10})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_metric_by_year_draws_a_line_and_band_per_variant(lang: str) -> None:
    ax = compare_plots.metric_by_year(_kpis(), "share_served_within_threshold", lang=lang)
    assert isinstance(ax, Axes)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["base", "more"]
    np.testing.assert_allclose(lines[1].get_ydata(), [90.0, 90.0, 90.0])  # in %
    assert len(ax.collections) == 2  # the CI bands
    assert "30" in ax.get_ylabel()


def test_difference_by_year_draws_the_zero_line() -> None:
    differences = pd.DataFrame({"variant": "more", "baseline": "base", "year": [2021, 2022],
                                "metric": "wait_mean_days", "mean_difference": [-2.0, -3.0],
                                "ci_low": [-2.5, -3.4], "ci_high": [-1.5, -2.6],
                                "replications": 10, "unit": "days"})
    ax = compare_plots.difference_by_year(differences, "wait_mean_days")
    assert any(list(line.get_ydata()) == [0.0, 0.0] for line in ax.get_lines())
    assert "base" in ax.get_title()


def test_sweep_chart_puts_the_first_grid_field_on_the_x_axis() -> None:
    rows = []
    for beds in ("755", "770"):
        for days in ("30", "60"):
            rows.append({"beds": beds, "days": days, "variant": f"{beds}-{days}", "year": 2022,
                         "metric": "wait_mean_days", "mean": float(beds) / 100,
                         "ci_low": 7.0, "ci_high": 8.0, "unit": "days", "replications": 5})
    ax = compare_plots.sweep_chart(pd.DataFrame(rows), "wait_mean_days",
                                   grid=["beds", "days"])
    assert ax.get_xlabel() == "beds"
    assert sorted(text.get_text() for text in ax.get_legend().get_texts()) == [
        "days=30", "days=60"]
    assert "2022" in ax.get_title()


def test_a_threshold_that_differs_between_variants_is_named_t() -> None:
    table = _kpis()
    table.loc[table["variant"] == "more", "unit"] = UNIT.replace("30", "60")
    ax = compare_plots.metric_by_year(table, "share_served_within_threshold")
    assert "within T days" in ax.get_ylabel()
