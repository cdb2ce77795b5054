"""The bureau's workbook: targets × years coloured by status, years as columns, number
formats, Chinese names, and intervals that never print -0.0."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from carefacility.report.excel import write_workbook
from carefacility.report.kpi_names import kpi_name, number_format, unit_name
from carefacility.report.workbook_grid import (
    STATUS_FILLS,
    format_interval,
    kpi_grid,
    scorecard_grid,
    wide_grid,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "xicheng"


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "kpis.csv", encoding="utf-8-sig")


@pytest.fixture(scope="module")
def scorecard() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "scorecard.csv", encoding="utf-8-sig")


def test_every_kpi_and_unit_of_a_run_has_a_chinese_name(kpis: pd.DataFrame) -> None:
    for metric in kpis["metric"].unique():
        assert kpi_name(metric, "zh") != metric, metric
        assert not any("a" <= char <= "z" for char in kpi_name(metric, "zh")), metric
    for unit in kpis["unit"].unique():
        assert unit_name(unit, "zh") != unit, unit


@pytest.mark.parametrize(("metric", "english", "chinese"), [
    ("occupancy.nursing", "Occupancy (nursing-type beds)", "入住率（护理型床位）"),
    ("wait_mean_days.dependent", "Mean wait of admissions (dependent)",
     "入住者平均等待时间（失能）"),
    ("beds_per_1000_60plus.registered", "Beds per 1,000 aged 60+ (registered)",
     "每千名老年人床位数（户籍）"),
    ("day_centre.turned_away_share.东街道", "Day-care visits turned away (东街道)",
     "日间照料未能接待比例（东街道）"),
    ("something_new", "something_new", "something_new"),
])
def test_kpi_names(metric: str, english: str, chinese: str) -> None:
    assert kpi_name(metric, "en") == english and kpi_name(metric, "zh") == chinese


@pytest.mark.parametrize(("unit", "chinese"), [
    ("fraction of applicants (threshold 30 days)", "占全部申请人的比例（时限30天）"),
    ("beds per 1,000 registered aged 60+", "张/千名户籍60岁及以上老人"),
    ("persons (resident)", "人（常住）"),
])
def test_units_with_parameters(unit: str, chinese: str) -> None:
    assert unit_name(unit, "zh") == chinese and unit_name(unit, "en") == unit


@pytest.mark.parametrize(("unit", "style"), [
    ("fraction of applicants", "0.0%"), ("occupied / beds in force (above 1 while closed "
                                          "beds empty)", "0.0%"),
    ("beds", "#,##0"), ("days", "#,##0.0"), ("persons per year", "#,##0")])
def test_number_formats(unit: str, style: str) -> None:
    assert number_format(unit) == style


@pytest.mark.parametrize(("low", "high", "unit", "text"), [
    (-0.0, 0.0, "fraction of applicants", "0.0 % – 0.0 %"),
    (-1e-17, 3e-5, "fraction of beds", "0.0 % – 0.0 %"),
    (-0.04, 2.26, "days", "0.0 – 2.3"),
    (-0.4, 4512.6, "beds", "0 – 4,513"),
    (0.941, 0.9604, "fraction of applicants", "94.1 % – 96.0 %"),
    (float("nan"), 1.0, "beds", ""),
])
def test_intervals_never_print_negative_zero(low: float, high: float, unit: str,
                                             text: str) -> None:
    assert format_interval(low, high, unit) == text


def test_scorecard_grid_is_one_row_per_target_with_years_as_columns(
        scorecard: pd.DataFrame, kpis: pd.DataFrame) -> None:
    grid = scorecard_grid(scorecard, kpis, "zh")
    years = sorted(scorecard["year"].unique())
    header = [cell.value for cell in grid.rows[1]]
    assert header == ["目标", "要求", *years]
    targets = scorecard["target"].unique()
    block = grid.rows[2:2 + len(targets)]
    assert [row[0].value for row in block] == [
        scorecard.loc[scorecard["target"] == target, "label"].iloc[0] for target in targets]
    for row, target in zip(block, targets, strict=True):
        rows = scorecard[scorecard["target"] == target].set_index("year")
        for year, cell in zip(years, row[2:], strict=True):
            assert cell.fill == STATUS_FILLS[rows.loc[year, "status"]]
            assert cell.value == pytest.approx(rows.loc[year, "simulated_mean"])
    share = next(row for row, target in zip(block, targets, strict=True)
                 if scorecard.loc[scorecard["target"] == target, "metric"].iloc[0]
                 == "share_served_within_threshold")
    assert share[1].value == "≥ 95 %" and {cell.number_format for cell in share[2:]} == {
        "0.0%"}
    texts = [cell.value for row in grid.rows for cell in row if cell is not None
             and isinstance(cell.value, str)]
    assert not [text for text in texts if "-0.0" in text]


def test_a_year_a_target_does_not_cover_is_blank_and_grey() -> None:
    card = pd.DataFrame({"target": ["a", "a"], "label": ["A", "A"], "year": [2022, 2023],
                         "metric": "beds", "comparison": ">=", "threshold": 10.0,
                         "simulated_mean": [9.0, 11.0], "ci_low": [9.0, 11.0],
                         "ci_high": [9.0, 11.0], "status": ["missed", "met"]})
    other = pd.DataFrame({"target": ["b"], "label": [""], "year": [2021], "metric": "p_wait",
                          "comparison": "<=", "threshold": 0.1, "simulated_mean": 0.05,
                          "ci_low": 0.02, "ci_high": 0.12, "status": "at_risk"})
    grid = scorecard_grid(pd.concat([card, other]), None, "en")
    assert [cell.value for cell in grid.rows[1]] == ["Target", "Requirement", 2021, 2022, 2023]
    first, second = grid.rows[2], grid.rows[3]
    assert first[2].value is None and first[2].fill == STATUS_FILLS["no data"]
    assert [first[3].fill, first[4].fill] == [STATUS_FILLS["missed"], STATUS_FILLS["met"]]
    assert second[0].value == "b" and second[1].value == "≤ 0.1"  # no unit known: plain
    assert second[2].fill == STATUS_FILLS["at_risk"]


def test_kpi_grid_has_mean_and_interval_rows(kpis: pd.DataFrame) -> None:
    grid = kpi_grid(kpis, "en")
    years = sorted(kpis["year"].unique())
    assert [cell.value for cell in grid.rows[0]][:3] == ["Indicator", "Unit", "Statistic"]
    assert len(grid.rows) == 1 + 3 * kpis["metric"].nunique()
    served = next(index for index, row in enumerate(grid.rows)
                  if row[-1].value == "share_served_within_threshold")
    rows = kpis[kpis["metric"] == "share_served_within_threshold"].set_index("year")
    for offset, column in enumerate(("mean", "ci_low", "ci_high")):
        cells = grid.rows[served + offset][3:3 + len(years)]
        assert [cell.value for cell in cells] == pytest.approx(rows[column].tolist())
        assert {cell.number_format for cell in cells} == {"0.0%"}


def test_wide_grid_puts_years_in_columns() -> None:
    frame = pd.DataFrame({"year": [2021, 2022, 2021, 2022], "zone": "all",
                          "level": ["dependent", "dependent", "dementia", "dementia"],
                          "persons": [10.0, 11.0, 5.0, 6.0]})
    grid = wide_grid("care_need_by_year", frame, ["zone", "level"], ["persons"], "zh")
    assert [cell.value for cell in grid.rows[0]] == ["街镇", "照护等级", "项目", 2021, 2022]
    assert [[cell.value for cell in row] for row in grid.rows[1:]] == [
        ["全区", "失能", "人数", 10.0, 11.0], ["全区", "认知障碍", "人数", 5.0, 6.0]]
    assert grid.freeze == "D2"


def test_the_workbook_scorecard_sheet_is_a_grid_with_number_formats(
        tmp_path: Path, kpis: pd.DataFrame, scorecard: pd.DataFrame) -> None:
    write_workbook({"kpis": kpis, "scorecard": scorecard}, tmp_path / "r.xlsx", lang="zh")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["目标评估", "年度指标", "说明"]
    sheet = book["目标评估"]
    assert sheet.freeze_panes == "C3"
    formats = {sheet.cell(row=row, column=3).number_format for row in range(3, 7)}
    assert formats == {"#,##0", "0.0%"}
    fills = {sheet.cell(row=row, column=3).fill.start_color.rgb[-6:] for row in range(3, 7)}
    assert fills <= set(STATUS_FILLS.values())
    kpi_sheet = book["年度指标"]
    assert kpi_sheet.freeze_panes == "D2"
    assert kpi_sheet["A2"].value == "床位数（年末）" and kpi_sheet["B2"].value == "张"
