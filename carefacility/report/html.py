"""The planning report as one self-contained HTML file (``report.html``).

:func:`render_html` renders the Jinja2 template ``templates/report.html.j2`` (with its macros
in ``templates/_macros.html.j2`` and its style sheet ``templates/report.css``) with
autoescaping on and ``StrictUndefined``: this module turns the run's tables into plain data
(strings, lists and dicts, with every figure already formatted and every label already in the
report's language) and the template builds the markup, escaping every text it is given:
scenario names, target labels, assumption lines, zone names and table cells. Nothing is marked
safe; a variable missing from the template's context is an error, not an empty string.

Everything is inside the file: the CSS, and the charts as images in ``data:`` URLs (PNG, or SVG
when the charts were also written as SVG), each with its title as alternative text. The page
loads nothing from anywhere (no scripts, fonts, style sheets or images from the network; a
Content-Security-Policy says so to the browser too), so it can be mailed, archived and opened
offline.

Sections: scenario summary, assumptions, target scorecard, charts, KPI tables (mean and 95 %
confidence interval by year), the analytic cross-check beside the simulated figures, how the
model reproduces the place's published figures (the back-test, when the scenario lists
observations), and the run's metadata. Headings and labels are in English or Chinese
(``lang``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from carefacility.report.kpi_names import (
    PARTS,
    is_fraction,
    is_share_metric,
    kpi_name,
    unit_name,
)
from carefacility.runner.results import summarise_replications

__all__ = ["Chart", "format_number", "kpi_groups", "metric_name", "render_html"]

TEMPLATE = "report.html.j2"
"""The report's template, in ``carefacility/report/templates``."""


@dataclass(frozen=True)
class Chart:
    """A chart to embed: its SVG when there is one, else its PNG.

    Attributes
    ----------
    key : str
        File stem of the chart (``bed_demand`` for ``bed_demand.png``).
    title : str
        Heading shown above it, and the image's alternative text.
    svg : bytes, optional
        The SVG document.
    caption : str
        How to read it (one or two sentences).
    png : bytes, optional
        The PNG image (its resolution in its ``pHYs`` chunk sets its displayed size).

    Raises
    ------
    ValueError
        If neither ``svg`` nor ``png`` is given.
    """

    key: str
    title: str
    svg: bytes | None = None
    caption: str = ""
    png: bytes | None = None

    def __post_init__(self) -> None:
        if self.svg is None and self.png is None:
            raise ValueError(f"chart {self.key}: give its SVG or its PNG")


@dataclass(frozen=True)
class _Value:
    """A table cell's figure as shown: the text and, when there is one, its 95 % interval."""

    text: str
    ci: tuple[str, str] | None = None


_MISSING = _Value("–")
"""A cell without a figure."""


_TEXT: dict[str, dict[str, str]] = {
    "report": {"en": "Elderly-care plan report", "zh": "养老服务设施规划评估报告"},
    "contents": {"en": "Contents", "zh": "目录"},
    "summary": {"en": "Scenario", "zh": "情景概况"},
    "assumptions": {"en": "Assumptions", "zh": "假设"},
    "no_assumptions": {"en": "No assumptions were listed for this run.",
                       "zh": "本次运行未列出假设。"},
    "scorecard": {"en": "Targets scorecard", "zh": "规划目标评估"},
    "no_scorecard": {"en": "This run has no targets to score.",
                     "zh": "本次运行没有需要评估的规划目标。"},
    "scorecard_note": {
        "en": "Met: the 95 % confidence interval lies on the target's side. Missed: it lies on "
              "the other side. At risk: it straddles the target; 'replications to decide' "
              "estimates how many replications in all would put it on one side if the mean and "
              "spread stay as they are (carefacility run --until-decided adds them).",
        "zh": "达标：95%置信区间完全在目标一侧；未达标：完全在另一侧；有风险：置信区间跨越目标，"
              "“判定所需重复次数”估计在均值和离散程度不变时使区间落在一侧所需的总重复次数"
              "（carefacility run --until-decided 会自动增加）。"},
    "to_decide": {"en": "Replications to decide", "zh": "判定所需重复次数"},
    "on_threshold": {"en": "mean on the target", "zh": "均值恰在目标上"},
    "charts": {"en": "Charts", "zh": "图表"},
    "kpis": {"en": "Key figures by year", "zh": "分年度主要指标"},
    "kpis_note": {"en": "Mean over replications with its 95 % confidence interval [low, high]. "
                        "Plan figures are fixed (no interval).",
                  "zh": "各次重复模拟的均值及其95%置信区间［下限，上限］。"
                        "规划数字为确定值（无区间）。"},
    "cross_check": {"en": "Cross-check against queueing theory",
                    "zh": "与排队论计算的对照"},
    "cross_check_note": {
        "en": "The M/M/c columns treat all beds as one pooled system in steady state (Poisson "
              "applications, exponential stays, no bed types, zones or starting state): "
              "optimistic, a floor on waits. Beside them, the same with every zone (or home) "
              "a separate pool fed by its own applicants (no one placed elsewhere: pessimistic "
              "where applicants may go to other zones), and the exact mean occupancy of the "
              "year's applicants with growing or falling demand and the starting residents "
              "(M(t)/M/∞: exact for exponential stays). The last column names the structural "
              "cause when the simulated share served within T and the pooled figure disagree "
              "(analytic_cross_check.csv has the figures). The simulation is the answer. "
              "'overloaded' means the offered load exceeds the beds, so steady-state waits grow "
              "without bound.",
        "zh": "M/M/c列把全部床位视为一个稳态的共享床位池（泊松申请、指数分布入住时长，不区分床位"
              "类型、街镇和初始状态），结果偏乐观，是等待时间的下限。旁列为每个街镇（或机构）各自"
              "成池、只接收本池申请人时的结果（偏悲观），以及考虑需求增减和初始在院人数的瞬态平均"
              "在住床位（M(t)/M/∞，指数分布入住时长时精确）。最后一列说明模拟的T天内入住比例与"
              "共享池结果不一致时的结构原因（数值见analytic_cross_check.csv）。模拟结果才是答案。"
              "“过载”表示提供负荷超过床位数，稳态等待时间无限增长。"},
    "metadata": {"en": "Run", "zh": "运行信息"},
    "target": {"en": "Target", "zh": "目标"},
    "year": {"en": "Year", "zh": "年份"},
    "threshold": {"en": "Threshold", "zh": "目标值"},
    "simulated": {"en": "Simulated mean [95 % CI]", "zh": "模拟均值［95%置信区间］"},
    "status": {"en": "Status", "zh": "评估"},
    "shortfall": {"en": "Shortfall", "zh": "缺口"},
    "met": {"en": "met", "zh": "达标"},
    "at_risk": {"en": "at risk", "zh": "有风险"},
    "missed": {"en": "missed", "zh": "未达标"},
    "no_data": {"en": "no data", "zh": "无数据"},
    "beds_plan": {"en": "Beds (year end)", "zh": "床位（年末）"},
    "offered_load": {"en": "Offered load [beds] (M/M/∞)", "zh": "提供负荷（床）（M/M/∞）"},
    "beds_needed": {"en": "Beds to admit at once 95 % of the time (M/M/∞)",
                    "zh": "95%时间可立即入住所需床位（M/M/∞）"},
    "occupied_sim": {"en": "Occupied beds, simulated", "zh": "在住床位（模拟）"},
    "occupancy_sim": {"en": "Occupancy, simulated", "zh": "入住率（模拟）"},
    "occupancy_mmc": {"en": "Occupancy, M/M/c", "zh": "入住率（M/M/c）"},
    "wait_sim": {"en": "Mean wait [days], simulated", "zh": "平均等待（天，模拟）"},
    "wait_mmc": {"en": "Mean wait [days], M/M/c", "zh": "平均等待（天，M/M/c）"},
    "within_sim": {"en": "Admitted within T, simulated", "zh": "T天内入住（模拟）"},
    "within_mmc": {"en": "Admitted within T, M/M/c", "zh": "T天内入住（M/M/c）"},
    "within_pools": {"en": "Admitted within T, each zone (one zone: each home) a separate "
                           "M/M/c pool",
                     "zh": "T天内入住（各街镇——仅一个街镇时各机构——各自为M/M/c床位池）"},
    "transient_occupied": {"en": "Occupied beds, transient M(t)/M/∞",
                           "zh": "在住床位（瞬态M(t)/M/∞）"},
    "causes": {"en": "What explains a gap", "zh": "差异的结构原因"},
    "agrees": {"en": "agrees", "zh": "一致"},
    "overloaded": {"en": "overloaded", "zh": "过载"},
    "no_cross_check": {"en": "No cross-check table in this run.", "zh": "本次运行没有对照表。"},
    "eligibility": {"en": "The other rule for nursing-type beds",
                    "zh": "护理型床位的另一种准入规则"},
    "eligibility_note": {
        "en": "Who may take a nursing-type bed changes whether a queue forms beside empty beds. "
              "The same applicants (same seed) were simulated under the other rule; the "
              "difference is the other rule minus the scenario's, paired over the replications "
              "both runs share, with its 95 % confidence interval.",
        "zh": "护理型床位允许哪些老人入住，决定了空床旁边是否会排队。在另一种规则下用相同的申请者"
              "（相同随机种子）再次模拟；差值为另一规则减去情景规则，按两次运行共有的重复次数配对，"
              "附95%置信区间。"},
    "rule_scenario": {"en": "Scenario's rule", "zh": "情景规则"},
    "rule_alternative": {"en": "Other rule", "zh": "另一规则"},
    "difference": {"en": "Difference", "zh": "差值"},
    "backtest": {"en": "How the model reproduces this place's history",
                 "zh": "模型对本地历史的再现"},
    "backtest_note": {
        "en": "Each published figure of the place beside the projection of the same year and "
              "population. Calibration figures (the base year or earlier) may have been used "
              "to set the inputs, so a small error there shows only that the inputs were read "
              "right; back-test figures (later years) were never used to set an input, so "
              "their error measures the projection. Population counts are compared on the "
              "projection's report date of their year, deaths over the calendar year, beds "
              "on 31 December.",
        "zh": "本地公开发布的数字与同年份、同人口口径的预测值对照。校准数字（基期及以前）"
              "可能已用于设定输入，误差小只说明输入读取无误；回测数字（基期以后）从未用于设定"
              "输入，其误差才检验预测。人口数按预测在该年的数据时点比较，死亡人数按公历年，"
              "床位按12月31日。"},
    "backtest_summary": {
        "en": "{use} figures: {count}, mean absolute relative error {error}.",
        "zh": "{use}数字{count}个，平均绝对相对误差{error}。"},
    "figure": {"en": "Figure", "zh": "指标"},
    "observed": {"en": "Observed", "zh": "实际值"},
    "projected": {"en": "Projected", "zh": "预测值"},
    "error": {"en": "Projected − observed", "zh": "预测值−实际值"},
    "relative_error": {"en": "Relative error", "zh": "相对误差"},
    "use": {"en": "Use", "zh": "用途"},
    "source": {"en": "Source", "zh": "来源"},
    "calibration": {"en": "calibration", "zh": "校准"},
    "backtest_use": {"en": "back-test", "zh": "回测"},
    "item": {"en": "Item", "zh": "项目"},
    "value": {"en": "Value", "zh": "数值"},
    "generated": {"en": "Written by carefacility on", "zh": "carefacility生成于"},
    "files": {"en": "Every figure is also in results.xlsx and the CSV files beside this report.",
              "zh": "全部数字另见本报告旁的results.xlsx和CSV文件。"},
    # scenario summary fields
    "name": {"en": "Name", "zh": "名称"},
    "description": {"en": "Description", "zh": "说明"},
    "basis": {"en": "Population basis", "zh": "人口口径"},
    "base_date": {"en": "Base date of the population", "zh": "基期人口时点"},
    "horizon_year": {"en": "Projection horizon", "zh": "预测截止年份"},
    "report_date": {"en": "Figures describe", "zh": "数据时点"},
    "simulated_years": {"en": "Simulated years", "zh": "模拟年份"},
    "zones": {"en": "Zones", "zh": "街镇"},
    "homes": {"en": "Care homes", "zh": "养老机构"},
    "beds_start": {"en": "Beds at the start", "zh": "期初床位"},
    "beds_end": {"en": "Beds at the end", "zh": "期末床位"},
    "waiting_discipline": {"en": "Waiting-list rule", "zh": "轮候规则"},
    "admitted_within_days": {"en": "Service level T (admitted within T days)",
                             "zh": "服务水平T（T天内入住）"},
    "starting_occupancy": {"en": "Occupancy at the start", "zh": "期初入住率"},
    "waiting_list_persons": {"en": "Waiting list at the start [persons]",
                             "zh": "期初轮候人数"},
    "overflow_to_general": {"en": "Dependent applicants may wait in general beds",
                            "zh": "失能申请人可先住普通床位"},
    "general": {"en": "general", "zh": "普通"},
    "nursing": {"en": "nursing-type", "zh": "护理型"},
    "dementia": {"en": "dementia", "zh": "认知障碍"},
    "total": {"en": "total", "zh": "合计"},
    "registered": {"en": "registered (户籍)", "zh": "户籍人口"},
    "resident": {"en": "resident (常住)", "zh": "常住人口"},
    "year_end": {"en": "31 December of each year", "zh": "每年12月31日"},
    "mid_year": {"en": "1 July of each year", "zh": "每年7月1日"},
    "yes": {"en": "yes", "zh": "是"},
    "days": {"en": "days", "zh": "天"},
    "fifo": {"en": "first come, first served", "zh": "先到先得"},
    "priority": {"en": "priority ({order})", "zh": "优先（按{order}）"},
    "care_need": {"en": "care need", "zh": "照护需求"},
    "low_income": {"en": "low income", "zh": "特困"},
    "age_80plus": {"en": "80+", "zh": "80岁以上"},
    "longest_wait": {"en": "longest wait first", "zh": "等待最久者优先"},
    "no": {"en": "no", "zh": "否"},
    # KPI groups
    "group_demand": {"en": "Applicants and admissions", "zh": "申请与入住"},
    "group_waiting": {"en": "Waiting", "zh": "轮候"},
    "group_beds": {"en": "Beds and occupancy", "zh": "床位与入住率"},
    "group_residents": {"en": "Residents and population", "zh": "在院老人与人口"},
    "group_community": {"en": "Day care and meals", "zh": "日间照料与助餐"},
    "group_other": {"en": "Other figures", "zh": "其他指标"},
}

_ORDER = (
    "applicants", "admissions", "waiting_list_mean", "waiting_list_year_end", "wait_mean_days",
    "wait_p50_days", "wait_p90_days", "wait_p95_days", "share_served_within_threshold",
    "p_wait", "abandoned_share", "blocked_share", "still_waiting_share",
    "share_of_admissions_within_threshold",
    "deaths_while_waiting", "withdrawals", "blocked", "beds", "nursing_share",
    "beds_per_1000_60plus", "occupied_beds", "occupancy", "dependent_in_general_beds",
    "residents_year_end", "deaths_in_care", "discharges", "transfers", "pop_60plus",
    "day_centre", "meal_point", "independent", "partially_dependent", "dependent", "general",
    "nursing", "dementia", "utilisation", "turned_away_share",
)
"""Order of KPIs (and of their ``.<part>`` suffixes) in the report's tables."""

_GROUPS = (
    ("group_demand", ("applicants", "admissions")),
    ("group_waiting", ("waiting_list", "wait_", "share_", "p_wait", "abandoned_share",
                       "still_waiting", "deaths_while_waiting", "withdrawals", "blocked")),
    ("group_beds", ("beds", "occupied_beds", "occupancy", "nursing_share",
                    "dependent_in_general_beds")),
    ("group_residents", ("deaths_in_care", "discharges", "transfers", "residents", "pop_")),
    ("group_community", ("day_centre", "meal_point")),
)

_SECTIONS = ("summary", "assumptions", "scorecard", "charts", "kpis", "eligibility",
             "cross_check", "backtest", "metadata")
"""The report's sections (ids of their ``<section>`` elements), in order."""


@functools.cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment of the report's templates, created on first use."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("carefacility.report", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)


def _t(key: str, lang: str) -> str:
    return _TEXT[key].get(lang, _TEXT[key]["en"])


def metric_name(metric: str, lang: str) -> str:
    """A readable name of a KPI (``occupancy.nursing`` → "Occupancy (nursing-type beds)"),
    from the one catalogue of KPI names (:func:`carefacility.report.kpi_names.kpi_name`)."""
    return kpi_name(metric, "zh" if lang == "zh" else "en")


def format_number(value: Any, unit: str = "") -> str:
    """A figure as planners read it: fractions as %, counts with thousands separators."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    # rounding first, then adding 0.0, turns -0.0 (and tiny negatives) into 0.0
    if is_fraction(unit) or unit == "share":
        return f"{round(100 * number, 1) + 0.0:.1f} %"
    if number == 0 or abs(number) >= 100 or (unit == "beds" and number == int(number)):
        return f"{round(number) + 0.0:,.0f}"
    return f"{round(number, 1) + 0.0:,.1f}"


def _format_threshold(value: Any, unit: str) -> str:
    """A target's threshold as written in plans: 45, 4,500, 55 %."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    return f"{100 * number:g} %" if unit == "fraction" else f"{number:,g}"


def _value(mean: float, low: float, high: float, unit: str) -> _Value:
    """A figure with its interval, the interval left out when it is missing or empty."""
    ci = None
    if math.isfinite(low) and math.isfinite(high) and (high - low) > 1e-9 * max(1, abs(mean)):
        ci = (format_number(low, unit), format_number(high, unit))
    return _Value(format_number(mean, unit), ci)


def kpi_groups(metrics: Iterable[str]) -> list[tuple[str, list[str]]]:
    """The KPI names sorted into the report's groups (``group_*`` keys), in a stable order."""
    groups: dict[str, list[str]] = {key: [] for key, _ in _GROUPS}
    groups["group_other"] = []

    def order(metric: str) -> tuple[int, int, str]:
        head, _, rest = metric.partition(".")
        first = _ORDER.index(head) if head in _ORDER else len(_ORDER)
        second = -1 if not rest else _ORDER.index(rest) if rest in _ORDER else len(_ORDER)
        return (first, second, metric)

    for metric in sorted(metrics, key=order):
        for key, prefixes in _GROUPS:
            if metric.startswith(prefixes):
                groups[key].append(metric)
                break
        else:
            groups["group_other"].append(metric)
    return [(key, names) for key, names in groups.items() if names]


def _summary_rows(summary: dict[str, Any], metadata: dict[str, Any], kpis: pd.DataFrame,
                  lang: str) -> list[tuple[str, str]]:
    """The scenario summary as (label, value) pairs."""
    rows: list[tuple[str, str]] = []
    name = summary.get("name") or metadata.get("scenario")
    if name:
        rows.append((_t("name", lang), str(name)))
    if summary.get("description"):
        rows.append((_t("description", lang), str(summary["description"])))
    if summary.get("basis"):
        basis = summary["basis"]
        rows.append((_t("basis", lang), _t(basis, lang) if basis in _TEXT else str(basis)))
    if summary.get("base_date"):
        rows.append((_t("base_date", lang), str(summary["base_date"])))
    if summary.get("report_date"):
        when = summary["report_date"]
        rows.append((_t("report_date", lang), _t(when, lang) if when in _TEXT else str(when)))
    if summary.get("horizon_year"):
        rows.append((_t("horizon_year", lang), str(summary["horizon_year"])))
    years = sorted(int(y) for y in kpis["year"].unique()) if not kpis.empty else []
    if years:
        rows.append((_t("simulated_years", lang), f"{years[0]}–{years[-1]}"))
    if summary.get("zones") and list(summary["zones"]) != ["all"]:
        zones = [str(zone) for zone in summary["zones"]]
        shown = "、".join(zones[:20]) if lang == "zh" else ", ".join(zones[:20])
        rows.append((_t("zones", lang),
                     f"{len(zones)}: {shown}" + (" …" if len(zones) > 20 else "")))
    if summary.get("homes") is not None:
        rows.append((_t("homes", lang), str(summary["homes"])))
    for key in ("beds_start", "beds_end"):
        beds = summary.get(key) or _beds_from_kpis(kpis, first=key == "beds_start")
        if beds:
            rows.append((_t(key, lang), _beds_text(beds, lang)))
    for key in ("waiting_discipline", "admitted_within_days", "starting_occupancy",
                "waiting_list_persons", "overflow_to_general"):
        if key in summary and summary[key] is not None:
            value = summary[key]
            if isinstance(value, bool):
                value = _t("yes" if value else "no", lang)
            elif key == "starting_occupancy":
                value = format_number(value, "fraction")
            elif key == "admitted_within_days":
                value = f"{float(value):g} {_t('days', lang)}"
            elif key == "waiting_discipline" and value == "priority":
                order = summary.get("priority_order") or ("care_need", "low_income",
                                                          "age_80plus")
                value = _t("priority", lang).format(order=("、" if lang == "zh" else ", ").join(
                    _t(criterion, lang) for criterion in order))
            elif key == "waiting_discipline" and value in _TEXT:
                value = _t(value, lang)
            rows.append((_t(key, lang), str(value)))
    return rows


def _beds_from_kpis(kpis: pd.DataFrame, *, first: bool) -> dict[str, float] | None:
    rows = kpis[kpis["metric"].isin(["beds", "beds.nursing", "beds.dementia"])]
    if rows.empty:
        return None
    year = rows["year"].min() if first else rows["year"].max()
    values = rows[rows["year"] == year].set_index("metric")["mean"]
    total = float(values.get("beds", math.nan))
    nursing = float(values.get("beds.nursing", 0.0))
    dementia = float(values.get("beds.dementia", 0.0))
    return {"general": total - nursing - dementia, "nursing": nursing, "dementia": dementia,
            "year": int(year)}


def _beds_text(beds: dict[str, Any], lang: str) -> str:
    parts = [f"{_t(k, lang)} {format_number(beds[k])}" for k in ("general", "nursing", "dementia")
             if k in beds]
    total = sum(float(beds[k]) for k in ("general", "nursing", "dementia") if k in beds)
    sep = "，" if lang == "zh" else ", "
    text = f"{format_number(total)} ({sep.join(parts)})"
    if "year" in beds:
        text = f"{beds['year']}: {text}"
    elif "date" in beds:
        text = f"{beds['date']}: {text}"
    return text


def _assumption_items(assumptions: Sequence[str]) -> list[dict[str, str | None]]:
    """Assumption lines split into where they come from (``file.yaml:27``, or None) and text."""
    items: list[dict[str, str | None]] = []
    for line in assumptions:
        where, sep, text = str(line).partition(": ")
        if sep and ":" in where and " " not in where:  # "file.yaml:27: text"
            items.append({"where": where, "text": text})
        else:
            items.append({"where": None, "text": str(line)})
    return items


def _scorecard_grid(scorecard: pd.DataFrame | None, kpis: pd.DataFrame, lang: str
                    ) -> dict[str, Any]:
    """The scorecard as one row per target and one column per year: ``years`` and
    ``targets`` (label, id, threshold, and per year a cell with the simulated mean, its
    interval, the status and its word, the shortfall and the replications to decide — or None
    where the target does not apply)."""
    if scorecard is None or scorecard.empty:
        return {"years": [], "targets": []}
    units = (kpis.groupby("metric", sort=False)["unit"].first().to_dict()
             if "unit" in kpis and not kpis.empty else {})
    years = sorted(int(year) for year in scorecard["year"].unique())
    targets = []
    for target, group in scorecard.groupby("target", sort=False):
        first = group.iloc[0]
        metric = str(first.get("metric", ""))
        unit = str(units.get(metric, ""))
        if not unit:  # a metric the KPIs lack: shares by their name
            unit = "fraction" if is_share_metric(metric) else ""
        comparison = str(first.get("comparison", ""))
        sign = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
        label = first.get("label", target)
        label = target if pd.isna(label) else label
        by_year = {int(row["year"]): row for _, row in group.iterrows()}
        cells = []
        for year in years:
            row = by_year.get(year)
            if row is None:
                cells.append(None)
                continue
            status = str(row.get("status", "")).replace(" ", "_")
            word = _t(status, lang) if status in ("met", "at_risk", "missed", "no_data") else (
                status)
            cells.append({
                "value": _value(float(row.get("simulated_mean", math.nan)),
                                float(row.get("ci_low", math.nan)),
                                float(row.get("ci_high", math.nan)), unit),
                "status": status, "status_text": word,
                "shortfall": _shortfall_text(row, lang),
                "to_decide": _to_decide_text(row, lang)})
        targets.append({"label": str(label), "id": str(target),
                        "threshold": f"{sign} {_format_threshold(first.get('threshold'), unit)}",
                        "cells": cells})
    return {"years": years, "targets": targets}


def _to_decide_text(row: pd.Series, lang: str) -> str:
    """Replications in all that would decide an at-risk target, empty otherwise."""
    if str(row.get("status", "")) != "at_risk":
        return ""
    try:
        wanted = float(row.get("replications_to_decide", math.nan))
    except (TypeError, ValueError):
        return ""
    if math.isnan(wanted):
        return ""
    if math.isinf(wanted):
        return _t("on_threshold", lang)
    return f"≈ {wanted:,.0f}"


_SHORTFALL_UNITS: dict[str, str] = {
    "beds": "张床位", "nursing beds": "张护理型床位", "dementia beds": "张认知障碍床位",
    "beds (pooled M/M/c estimate)": "张床位（M/M/c共享池估计）",
    "days": "天", "persons": "人", "centres": "个日间照料中心", "meal points": "个助餐点",
    "communities (zones without communities_csv) without a centre":
        "个无日间照料中心的社区（无社区表时为街镇）",
    "communities (zones without communities_csv) without a meal point":
        "个无助餐点的社区（无社区表时为街镇）",
}
"""Chinese of the scorecard's shortfall units (:mod:`carefacility.targets.scorecard`); the
``share of ...`` units are shown as percentage points."""


def _shortfall_text(row: pd.Series, lang: str = "en") -> str:
    """The shortfall with its unit, empty when nothing is missing: a count of beds, sites or
    persons, days, or percentage points of a share."""
    value = row.get("shortfall", math.nan)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number) or number == 0:
        return ""
    unit = row.get("shortfall_unit", "")
    unit = "" if pd.isna(unit) else str(unit)
    prefix = "缺" if lang == "zh" else "short by"
    if unit.startswith("share"):
        points = f"{round(100 * number, 1) + 0.0:.1f}"
        return f"{prefix} {points} 个百分点" if lang == "zh" else (
            f"{prefix} {points} percentage points ({unit})")
    shown = f"{number:,.0f}" if number == round(number) or abs(number) >= 100 else (
        f"{number:,.2g}" if abs(number) < 1 else f"{number:,.1f}")
    if lang == "zh":
        return f"{prefix} {shown} {_SHORTFALL_UNITS.get(unit, unit)}".strip()
    return f"{prefix} {shown} {unit}".strip()


def _svg_width_px(svg: bytes, scale: float = 1.15) -> int | None:
    """Display width of an SVG chart [CSS px]: its own width (pt) a little enlarged."""
    found = re.search(rb'<svg[^>]*?\swidth="([0-9.]+)(pt|px)?"', svg[:2000])
    if not found:
        return None
    points = float(found.group(1)) * (4 / 3 if found.group(2) in (b"pt", None) else 1.0)
    return round(points * scale)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_width_px(png: bytes, scale: float = 1.15) -> int | None:
    """Display width of a PNG chart [CSS px]: its width at its resolution (the ``pHYs`` chunk;
    96 dpi without one) a little enlarged, the size of the same chart's SVG."""
    if not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        return None
    width_px = int.from_bytes(png[16:20], "big")
    dots_per_inch = 96.0
    position = 8
    while position + 8 <= len(png):
        length = int.from_bytes(png[position:position + 4], "big")
        kind = png[position + 4:position + 8]
        if kind == b"pHYs" and length == 9 and png[position + 16] == 1:  # unit: the metre
            dots_per_inch = int.from_bytes(png[position + 8:position + 12], "big") * 0.0254
            break
        if kind == b"IDAT":
            break
        position += 12 + length
    if dots_per_inch <= 0:
        return None
    return round(width_px / dots_per_inch * 96 * scale)


def _chart_items(charts: Sequence[Chart]) -> list[dict[str, Any]]:
    """The charts with their image in base64 (for a ``data:`` URL), its media type and its
    display width: the SVG when the chart has one, else the PNG."""
    items = []
    for chart in charts:
        if chart.svg is not None:
            image, media_type, width = chart.svg, "image/svg+xml", _svg_width_px(chart.svg)
        else:
            assert chart.png is not None  # Chart.__post_init__
            image, media_type, width = chart.png, "image/png", _png_width_px(chart.png)
        items.append({"key": chart.key, "title": chart.title, "caption": chart.caption,
                      "width": width, "media_type": media_type,
                      "base64": base64.b64encode(image).decode("ascii")})
    return items


def _kpi_tables(kpis: pd.DataFrame, lang: str, *,
                per_table: int = 6) -> list[dict[str, Any]]:
    """The KPI tables by group: ``per_table`` metrics a table, one row a year."""
    if kpis.empty:
        return []
    units = kpis.groupby("metric", sort=False)["unit"].first() if "unit" in kpis else None
    years = sorted(kpis["year"].unique())
    # every figure by (year, metric), looked up in a dict (not with .loc: 30 times faster)
    figures: dict[tuple[Any, Any], tuple[float, float, float]] = {}
    for key in zip(kpis["year"].tolist(), kpis["metric"].tolist(), kpis["mean"].tolist(),
                   kpis["ci_low"].tolist(), kpis["ci_high"].tolist(), strict=True):
        if key[:2] in figures:
            raise TypeError(f"the KPIs have more than one row for year {key[0]}, metric "
                            f"{key[1]!r}")
        figures[key[:2]] = key[2:]
    out = []
    for group, metrics in kpi_groups(dict.fromkeys(kpis["metric"])):
        tables = []
        for start in range(0, len(metrics), per_table):
            chunk = metrics[start:start + per_table]
            unit_of = {metric: "" if units is None else str(units.get(metric, ""))
                       for metric in chunk}
            columns = [{"name": metric_name(metric, lang), "metric": str(metric),
                        "unit": unit_name(unit_of[metric], "zh" if lang == "zh" else "en")}
                       for metric in chunk]
            rows = []
            for year in years:
                cells = []
                for metric in chunk:
                    figure = figures.get((year, metric))
                    if figure is not None:
                        mean, low, high = figure
                        cells.append(_value(float(mean), float(low), float(high),
                                            unit_of[metric]))
                    else:
                        cells.append(_MISSING)
                rows.append({"year": str(int(year)), "cells": cells})
            tables.append({"columns": columns, "rows": rows})
        out.append({"title": _t(group, lang), "tables": tables})
    return out


def _sum_over_types(per_replication: pd.DataFrame | None, kpis: pd.DataFrame,
                    prefix: str) -> pd.DataFrame:
    """Mean and CI of the sum of ``prefix.<type>`` over bed types, from the replications."""
    if per_replication is not None and not per_replication.empty:
        rows = per_replication[per_replication["metric"].str.startswith(prefix)]
        total = rows.groupby(["replication", "year"], as_index=False)["value"].sum()
        total = total.assign(metric=prefix.rstrip("."), unit="beds")
        return summarise_replications(total).set_index("year")
    rows = kpis[kpis["metric"].str.startswith(prefix)]
    summed = rows.groupby("year")["mean"].sum()
    return pd.DataFrame({"mean": summed, "ci_low": np.nan, "ci_high": np.nan})


def _cross_check_rows(kpis: pd.DataFrame, check: pd.DataFrame | None,
                      per_replication: pd.DataFrame | None,
                      lang: str, pools: pd.DataFrame | None = None
                      ) -> list[dict[str, _Value]]:
    """The cross-check's rows by year, keyed by the column's label key (``beds_plan``, ...)."""
    if check is None or check.empty:
        return []
    occupied = _sum_over_types(per_replication, kpis, "occupied_beds.")
    by_metric = {metric: frame.set_index("year") for metric, frame in kpis.groupby("metric")}
    overloaded = _Value(_t("overloaded", lang))
    nan = math.nan
    rows = []
    for _, row in check.sort_values("year").iterrows():
        year = int(row["year"])
        beds = float(row["beds"])
        load = float(row["offered_load_beds"])
        sim = occupied.loc[year] if year in occupied.index else None
        cells = {"year": _Value(str(year)), "beds_plan": _Value(format_number(beds)),
                 "offered_load": _Value(format_number(load)),
                 "beds_needed": _Value(format_number(row.get("beds_needed_p95", nan))),
                 "occupied_sim": _MISSING, "occupancy_sim": _MISSING}
        if sim is not None and beds > 0:
            cells["occupied_sim"] = _value(float(sim["mean"]), float(sim["ci_low"]),
                                           float(sim["ci_high"]), "beds")
            cells["occupancy_sim"] = _value(float(sim["mean"]) / beds,
                                            float(sim["ci_low"]) / beds,
                                            float(sim["ci_high"]) / beds, "fraction")
        is_overloaded = beds <= 0 or load >= beds
        cells["occupancy_mmc"] = (_Value(format_number(min(load / beds, 1.0), "fraction"))
                                  if beds > 0 else _MISSING)
        for simulated, analytic, metric, column, unit in (
                ("wait_sim", "wait_mmc", "wait_mean_days", "mean_wait_days", "days"),
                ("within_sim", "within_mmc", "share_served_within_threshold",
                 "share_served_within_threshold", "fraction")):
            frame = by_metric.get(metric)
            cells[simulated] = _MISSING
            if frame is not None and year in frame.index:
                cells[simulated] = _value(float(frame.loc[year, "mean"]),
                                          float(frame.loc[year, "ci_low"]),
                                          float(frame.loc[year, "ci_high"]), unit)
            value = float(row.get(column, nan))
            cells[analytic] = (overloaded if is_overloaded or not math.isfinite(value) else
                               _Value(format_number(value, unit)))
        cells["transient_occupied"] = _Value(format_number(
            row.get("transient_mean_beds", nan)))
        cells["within_pools"] = _pools_share(pools, year)
        cells["causes"] = _causes_text(row, lang)
        rows.append(cells)
    return rows


_CAUSE_NAMES: dict[str, dict[str, str]] = {
    "fragmentation:zone": {"en": "zones (separate pools)", "zh": "街镇分割（各自床位池）"},
    "fragmentation:home": {"en": "homes (separate pools)", "zh": "机构分割（各自床位池）"},
    "fragmentation:bed_type": {"en": "bed types (separate pools)", "zh": "床位类型分割"},
    "bed_types": {"en": "bed types (eligibility restrictions)", "zh": "床位类型准入限制"},
    "lag": {"en": "occupancy lags changing demand", "zh": "入住滞后于需求变化"},
    "starting_census": {"en": "starting residents", "zh": "初始在院人数"},
}
"""Short names of the structural causes of :func:`carefacility.runner.structure_check.
explain_run` (the English sentence with figures is in the CSV)."""


def _causes_text(row: pd.Series, lang: str) -> _Value:
    keys = str(row.get("structural_cause_keys", "") or "")
    if not keys or keys == "nan":
        label = str(row.get("structural_causes", "") or "")
        if label.startswith("agrees"):
            return _Value(_t("agrees", lang))
        return _MISSING
    return _Value("; ".join(_CAUSE_NAMES.get(key, {}).get(lang, key)
                            for key in keys.split(";")))


def _pools_share(pools: pd.DataFrame | None, year: int) -> _Value:
    """The share served within T if every zone (with one zone: every home) were a separate
    M/M/c pool, applicant-weighted."""
    if pools is None or pools.empty:
        return _MISSING
    rows = pools[(pools["year"] == year) & pools["is_combined"]]
    kind = "zone" if (rows["kind"] == "zone").any() else "home"
    values = rows.loc[rows["kind"] == kind, "share_served_within_threshold"].dropna()
    return _Value(format_number(float(values.iloc[0]), "fraction")) if len(values) else _MISSING


_OBSERVED_NAMES: dict[str, dict[str, str]] = {
    "total": {"en": "Total population", "zh": "总人口"},
    "pop_60plus": {"en": "Aged 60+", "zh": "60岁及以上人口"},
    "pop_65plus": {"en": "Aged 65+", "zh": "65岁及以上人口"},
    "pop_70plus": {"en": "Aged 70+", "zh": "70岁及以上人口"},
    "pop_80plus": {"en": "Aged 80+", "zh": "80岁及以上人口"},
    "deaths": {"en": "Deaths in the year", "zh": "全年死亡人数"},
    "beds": {"en": "Care beds on 31 Dec", "zh": "年末养老床位"},
    "residents_year_end": {"en": "Care-home residents on 31 Dec", "zh": "年末在院人数"},
}
"""Names of the back-test's metrics (:data:`carefacility.targets.backtest.OBSERVED_METRICS`)."""


def _signed(number: float, percent: bool = False) -> str:
    if not math.isfinite(number):
        return "–"
    if percent:
        return f"{100 * number:+.2f} %" if 0 < abs(number) < 0.001 else f"{100 * number:+.1f} %"
    return f"{number:+,.0f}"


_ELIGIBILITY_METRICS = ("waiting_list_year_end", "occupancy.nursing", "occupancy.general",
                        "share_served_within_threshold")
"""The figures of ``eligibility_alternative`` shown in the report, in this order."""


def _rule_words(rule: str, lang: str) -> str:
    """An eligibility rule (``independent: general > nursing; dependent: nursing; ...``) in
    the report's language: care levels and bed types by their names."""
    if lang != "zh":
        return rule
    names = {key: zh for key, (_, zh) in PARTS.items()}
    parts = []
    for item in rule.split("; "):
        level, _, types = item.partition(": ")
        shown = " > ".join(names.get(name, name) for name in types.split(" > "))
        parts.append(f"{names.get(level, level)}：{shown}")
    return "；".join(parts)


def _eligibility_rows(table: pd.DataFrame | None, lang: str
                      ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Rows (year, figure, scenario, alternative, difference as :class:`_Value`) of the table
    ``eligibility_alternative``, and the two rules in words."""
    if table is None or table.empty:
        return [], {}
    rules = {role: _rule_words(str(table.loc[table["role"] == role,
                                             "eligible_bed_types"].iloc[0]), lang)
             for role in ("scenario", "alternative") if (table["role"] == role).any()}
    index = table.set_index(["year", "metric", "role"])
    rows = []
    for year in sorted(table["year"].unique()):
        for metric in _ELIGIBILITY_METRICS:
            cells: dict[str, Any] = {"year": str(int(year)), "figure": metric_name(metric, lang),
                                     "metric": metric}
            for role in ("scenario", "alternative", "difference"):
                key = (year, metric, role)
                if key in index.index:
                    row = index.loc[key]
                    cells[role] = _value(row["mean"], row["ci_low"], row["ci_high"],
                                         str(row["unit"]))
                else:
                    cells[role] = _MISSING
            if any(cells[role] is not _MISSING for role in ("scenario", "alternative")):
                rows.append(cells)
    return rows, rules


def _backtest_rows(backtest: pd.DataFrame | None, lang: str) -> list[dict[str, Any]]:
    """The back-test's rows as text: year, basis, figure, observed, projected, errors, use
    (``calibration`` or ``backtest``, and its word), source."""
    if backtest is None or backtest.empty:
        return []
    rows = []
    for _, row in backtest.iterrows():
        basis = "" if pd.isna(row.get("basis")) else str(row.get("basis"))
        metric = str(row.get("metric", ""))
        use = str(row.get("use", ""))
        source = row.get("source", "")
        rows.append({
            "year": str(row.get("year", "")),
            "basis": _t(basis, lang) if basis in ("registered", "resident") else basis,
            "figure": _OBSERVED_NAMES.get(metric, {}).get(lang, metric), "metric": metric,
            "observed": format_number(row.get("observed")),
            "projected": format_number(row.get("projected")),
            "error": _signed(float(row.get("error", math.nan))),
            "relative_error": _signed(float(row.get("relative_error", math.nan)), True),
            "use": use, "use_text": _t("backtest_use" if use == "backtest" else use, lang)
            if use in ("backtest", "calibration") else use,
            "source": "" if pd.isna(source) else str(source)})
    return rows


def _backtest_summary(backtest: pd.DataFrame | None, lang: str) -> list[str]:
    """One sentence per use: how many figures, and their mean absolute relative error."""
    if backtest is None or backtest.empty:
        return []
    lines = []
    for use in ("backtest", "calibration"):
        errors = backtest.loc[backtest["use"] == use, "relative_error"].astype(float)
        errors = errors[np.isfinite(errors)]
        if errors.empty:
            continue
        lines.append(_t("backtest_summary", lang).format(
            use=_t("backtest_use" if use == "backtest" else use, lang).capitalize(),
            count=len(errors), error=format_number(errors.abs().mean(), "fraction")))
    return lines


_META_NAMES: dict[str, str] = {
    "scenario": "情景", "scenario_file": "情景文件", "overrides": "命令行修改（--set）",
    "carefacility_version": "carefacility版本", "seed": "随机种子", "replications": "重复模拟次数",
    "until_decided": "增加模拟直至判定", "executor": "运行方式", "start_date": "模拟起始日期",
    "years": "模拟年数", "population": "含人口预测", "calibration": "基期校准",
    "duration_seconds": "模拟用时（秒）", "stage_seconds": "各阶段用时（秒）",
    "calibrated": "已校准", "observed_residents": "实际在院人数",
    "application_rate_multiplier": "申请率系数", "discharge_rate_multiplier": "出院率系数",
    "import": "导入", "load": "读取", "project": "人口预测", "prepare": "准备",
    "summary": "汇总", "report": "报告", "serial": "单进程", "processes": "多进程",
    "dask": "Dask集群",
}
"""Chinese names of the run metadata's keys and of its word values."""


def _meta_value(value: Any, lang: str) -> str:
    """A metadata value as text: yes/no, a mapping as ``name: value`` pairs, a list joined."""
    if isinstance(value, bool):
        return _t("yes" if value else "no", lang)
    if isinstance(value, dict):
        pairs = [(_META_NAMES.get(key, key) if lang == "zh" else key, _meta_value(item, lang))
                 for key, item in value.items()]
        return ("；" if lang == "zh" else "; ").join(
            f"{key}{'：' if lang == 'zh' else ': '}{item}" for key, item in pairs)
    if isinstance(value, list | tuple):
        return ", ".join(_meta_value(item, lang) for item in value) or "–"
    if isinstance(value, str) and lang == "zh":
        return _META_NAMES.get(value, value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            default=str)


def _metadata_rows(metadata: dict[str, Any], lang: str = "en") -> list[tuple[str, str]]:
    """The run's metadata as (key, value) pairs: in English its keys as they are in
    ``run_metadata.json``; in Chinese the keys and word values by their names."""
    return [(_META_NAMES.get(str(key), str(key)) if lang == "zh" else str(key),
             _meta_value(value, lang)) for key, value in metadata.items()]


def render_html(tables: dict[str, pd.DataFrame], metadata: dict[str, Any], *, title: str,
                lang: str = "en", assumptions: Sequence[str] = (),
                summary: dict[str, Any] | None = None,
                charts: Sequence[Chart] = (), backtest_chart: Chart | None = None) -> str:
    """The whole report as one HTML document (a string).

    Renders ``templates/report.html.j2`` with autoescaping on: every text below, however it
    came into the scenario or the tables, reaches the page escaped.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The run's tables by CSV stem: ``kpis`` (required), and when present ``scorecard``,
        ``kpis_by_replication`` (for the CI of total occupied beds),
        ``analytic_cross_check`` and ``backtest`` (the section "How the model reproduces this
        place's history" is shown only when it has rows).
    metadata : dict
        The run's metadata (``run_metadata.json``).
    title : str
        The report's title (the scenario name).
    lang : {"en", "zh"}
    assumptions : sequence of str
        Assumption lines, e.g. ``"xicheng.yaml:27: ASSUMPTION: ..."``.
    summary : dict, optional
        The scenario summary (:func:`carefacility.report.writer.scenario_summary`); without it the
        summary is taken from ``metadata`` and the KPIs.
    charts : sequence of Chart
        Charts in the order to show them.
    backtest_chart : Chart, optional
        The back-test chart, shown in the back-test section.

    Returns
    -------
    str
    """
    return _environment().get_template(TEMPLATE).render(
        _context(tables, metadata, title=title, lang=lang, assumptions=assumptions,
                 summary=summary, charts=charts, backtest_chart=backtest_chart))


def _context(tables: dict[str, pd.DataFrame], metadata: dict[str, Any], *, title: str,
             lang: str, assumptions: Sequence[str], summary: dict[str, Any] | None,
             charts: Sequence[Chart], backtest_chart: Chart | None = None) -> dict[str, Any]:
    """The template's context (arguments as :func:`render_html`): plain data, all text in the
    report's language and not yet escaped.

    Fields: ``html_lang``, ``title``, ``today``, ``version``, ``text`` (every label of
    :data:`_TEXT` by key), ``sections`` (ids, in order), ``summary`` and ``metadata`` (lists of
    (label, value) pairs), ``assumptions``, ``scorecard``, ``charts``, ``caption_stop``,
    ``kpi_tables``, ``eligibility`` (rows) with ``eligibility_rules``, ``cross_check``,
    ``backtest`` (rows), ``backtest_summary`` (sentences),
    ``backtest_charts`` (none or one) and ``show_codes`` (the KPI codes of the CSV files beside
    their names: in English; in Chinese they are the cells' tooltips).
    """
    kpis = tables.get("kpis", pd.DataFrame(columns=["year", "metric", "mean", "ci_low",
                                                    "ci_high", "unit"]))
    backtest = _backtest_rows(tables.get("backtest"), lang)
    eligibility, rules = _eligibility_rows(tables.get("eligibility_alternative"), lang)
    hidden = {"charts"} if not charts else set()
    if not backtest:
        hidden.add("backtest")
    if not eligibility:
        hidden.add("eligibility")
    return {
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "title": str(title),
        "today": dt.date.today().isoformat(),
        "version": str(metadata.get("carefacility_version", "")),
        "text": {key: _t(key, lang) for key in _TEXT},
        "sections": [key for key in _SECTIONS if key not in hidden],
        "summary": _summary_rows(summary or {}, metadata, kpis, lang),
        "assumptions": _assumption_items(assumptions),
        "scorecard": _scorecard_grid(tables.get("scorecard"), kpis, lang),
        "charts": _chart_items(charts),
        "caption_stop": "。" if lang == "zh" else ". ",
        "kpi_tables": _kpi_tables(kpis, lang),
        "cross_check": _cross_check_rows(kpis, tables.get("analytic_cross_check"),
                                         tables.get("kpis_by_replication"), lang,
                                         tables.get("cross_check_pools")),
        "eligibility": eligibility,
        "eligibility_rules": rules,
        "backtest": backtest,
        "backtest_summary": _backtest_summary(tables.get("backtest"), lang),
        "backtest_charts": _chart_items([backtest_chart] if backtest_chart and backtest
                                        else []),
        "metadata": _metadata_rows(metadata, lang),
        "show_codes": lang != "zh",
        "colon": "：" if lang == "zh" else ": ",
    }
