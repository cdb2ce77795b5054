"""The planning report as one self-contained HTML file (``report.html``).

Everything is inside the file: the CSS, and the charts as SVG images in ``data:`` URLs. The
page loads nothing from anywhere (no scripts, fonts, style sheets or images from the network; a
Content-Security-Policy says so to the browser too), so it can be mailed, archived and opened
offline. All text from scenarios and tables is escaped.

Sections: scenario summary, assumptions, target scorecard, charts, KPI tables (mean and 95 %
confidence interval by year), the analytic cross-check beside the simulated figures, and the
run's metadata. Headings and labels are in English or Chinese (``lang``).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carefacility.runner.results import summarise_replications

__all__ = ["Chart", "format_number", "kpi_groups", "metric_name", "render_html"]


@dataclass(frozen=True)
class Chart:
    """A chart to embed.

    Attributes
    ----------
    key : str
        File stem of the chart (``bed_demand`` for ``bed_demand.svg``).
    title : str
        Heading shown above it.
    svg : bytes
        The SVG document.
    caption : str
        How to read it (one or two sentences).
    """

    key: str
    title: str
    svg: bytes
    caption: str = ""


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
              "the other side. At risk: it straddles the target (more replications narrow it).",
        "zh": "达标：95%置信区间完全在目标一侧；未达标：完全在另一侧；有风险：置信区间跨越目标"
              "（增加重复次数可缩小区间）。"},
    "charts": {"en": "Charts", "zh": "图表"},
    "kpis": {"en": "Key figures by year", "zh": "分年度主要指标"},
    "kpis_note": {"en": "Mean over replications with its 95 % confidence interval [low, high]. "
                        "Plan figures are fixed (no interval).",
                  "zh": "各次重复模拟的均值及其95%置信区间［下限，上限］。"
                        "规划数字为确定值（无区间）。"},
    "cross_check": {"en": "Cross-check against queueing theory",
                    "zh": "与排队论计算的对照"},
    "cross_check_note": {
        "en": "The analytic columns treat all beds as one pooled M/M/c system in steady state "
              "(Poisson applications, exponential stays, no bed types, zones or starting "
              "state). Pooling makes them optimistic: a floor on waits. The simulation is the "
              "answer; the cross-check says whether its order of magnitude is right. "
              "'overloaded' means the offered load exceeds the beds, so steady-state waits grow "
              "without bound.",
        "zh": "理论列把全部床位视为一个稳态的M/M/c共享床位池（泊松申请、指数分布入住时长，不区分"
              "床位类型、街镇和初始状态）。共享池使结果偏乐观，是等待时间的下限。模拟结果才是"
              "答案，对照用来检验其数量级是否合理。“过载”表示提供负荷超过床位数，稳态等待时间无限增长。"},
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
    "overloaded": {"en": "overloaded", "zh": "过载"},
    "no_cross_check": {"en": "No cross-check table in this run.", "zh": "本次运行没有对照表。"},
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
    "priority": {"en": "priority (care need, low income, 80+)",
                 "zh": "优先（按照护需求、特困、80岁以上）"},
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

_METRIC_NAMES: dict[str, dict[str, str]] = {
    "applicants": {"en": "Applicants", "zh": "申请人数"},
    "admissions": {"en": "Admissions", "zh": "入住人数"},
    "waiting_list_mean": {"en": "Waiting (mean)", "zh": "轮候人数（年均）"},
    "waiting_list_year_end": {"en": "Waiting on 31 Dec", "zh": "年末轮候人数"},
    "wait_mean_days": {"en": "Mean wait", "zh": "平均等待"},
    "wait_p50_days": {"en": "Median wait", "zh": "等待中位数"},
    "wait_p90_days": {"en": "90th percentile wait", "zh": "等待第90百分位"},
    "wait_p95_days": {"en": "95th percentile wait", "zh": "等待第95百分位"},
    "share_admitted_within_threshold": {"en": "Admitted within T", "zh": "T天内入住比例"},
    "deaths_while_waiting": {"en": "Died while waiting", "zh": "轮候期间死亡"},
    "withdrawals": {"en": "Withdrew", "zh": "撤回申请"},
    "blocked": {"en": "Turned away", "zh": "被拒"},
    "dependent_in_general_beds": {"en": "Dependent in general beds", "zh": "住普通床位的失能者"},
    "deaths_in_care": {"en": "Deaths in care", "zh": "在院死亡"},
    "discharges": {"en": "Discharges", "zh": "出院"},
    "transfers": {"en": "Transfers", "zh": "转床"},
    "residents_year_end": {"en": "Residents on 31 Dec", "zh": "年末在院人数"},
    "beds": {"en": "Beds", "zh": "床位"},
    "beds.nursing": {"en": "Nursing-type beds", "zh": "护理型床位"},
    "beds.dementia": {"en": "Dementia beds", "zh": "认知障碍床位"},
    "nursing_share": {"en": "Nursing-type share", "zh": "护理型床位占比"},
    "beds_per_1000_60plus": {"en": "Beds per 1,000 aged 60+", "zh": "每千名老年人床位数"},
    "pop_60plus": {"en": "Aged 60+", "zh": "60岁及以上人口"},
    "occupied_beds": {"en": "Occupied beds", "zh": "在住床位"},
    "occupancy": {"en": "Occupancy", "zh": "入住率"},
    "general": {"en": "general", "zh": "普通"},
    "nursing": {"en": "nursing-type", "zh": "护理型"},
    "dementia": {"en": "dementia", "zh": "认知障碍"},
    "independent": {"en": "independent", "zh": "自理"},
    "partially_dependent": {"en": "partially dependent", "zh": "半失能"},
    "dependent": {"en": "dependent", "zh": "失能"},
    "day_centre": {"en": "Day-care centre", "zh": "日间照料中心"},
    "meal_point": {"en": "Meal point", "zh": "助餐点"},
    "utilisation": {"en": "utilisation", "zh": "使用率"},
    "turned_away_share": {"en": "turned away", "zh": "未获服务比例"},
}

_ORDER = (
    "applicants", "admissions", "waiting_list_mean", "waiting_list_year_end", "wait_mean_days",
    "wait_p50_days", "wait_p90_days", "wait_p95_days", "share_admitted_within_threshold",
    "deaths_while_waiting", "withdrawals", "blocked", "beds", "nursing_share",
    "beds_per_1000_60plus", "occupied_beds", "occupancy", "dependent_in_general_beds",
    "residents_year_end", "deaths_in_care", "discharges", "transfers", "pop_60plus",
    "day_centre", "meal_point", "independent", "partially_dependent", "dependent", "general",
    "nursing", "dementia", "utilisation", "turned_away_share",
)
"""Order of KPIs (and of their ``.<part>`` suffixes) in the report's tables."""

_GROUPS = (
    ("group_demand", ("applicants", "admissions")),
    ("group_waiting", ("waiting_list", "wait_", "share_admitted", "deaths_while_waiting",
                       "withdrawals", "blocked")),
    ("group_beds", ("beds", "occupied_beds", "occupancy", "nursing_share",
                    "dependent_in_general_beds")),
    ("group_residents", ("deaths_in_care", "discharges", "transfers", "residents", "pop_")),
    ("group_community", ("day_centre", "meal_point")),
)

_CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --line: #d9dee4; --band: #f4f6f8;
        --met: #b7dfb9; --at_risk: #fde3a7; --missed: #f4b6b1; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
       "Microsoft YaHei", "PingFang SC", "DejaVu Sans", Arial, sans-serif; font-size: 15px; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
header.title { border-bottom: 3px solid var(--accent); margin-bottom: 12px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h1 .kind { display: block; font-size: 14px; font-weight: normal; color: var(--muted); }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); color: var(--accent); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.note, p.meta { color: var(--muted); font-size: 13px; margin: 6px 0; }
nav ol { columns: 2; margin: 6px 0; padding-left: 22px; }
nav a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; }
thead th { background: var(--band); text-align: center; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.shortfall { max-width: 260px; font-size: 12px; }
td.target { max-width: 300px; background: #fff; }
td.num .ci, th .unit, th code { display: block; color: var(--muted); font-size: 11px;
                                font-weight: normal; }
th code { font-family: "DejaVu Sans Mono", Consolas, monospace; }
table.kv th { text-align: left; background: var(--band); font-weight: 600; width: 32%; }
table.kv { width: 100%; }
.scroll { overflow-x: auto; max-width: 100%; }
.status { display: inline-block; min-width: 64px; text-align: center; padding: 1px 8px;
          border-radius: 10px; font-weight: 600; border: 1px solid rgba(0, 0, 0, 0.15); }
.status.met { background: var(--met); }
.status.at_risk { background: var(--at_risk); }
.status.missed { background: var(--missed); }
figure { margin: 18px 0 26px; page-break-inside: avoid; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
.target-id { display: block; color: var(--muted); font-size: 11px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
ul.assumptions li { margin-bottom: 6px; }
ul.assumptions code { color: var(--muted); font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px;
         border-top: 1px solid var(--line); padding-top: 8px; }
@media print { main { max-width: none; padding: 0; } h2 { page-break-after: avoid; }
               .scroll { overflow: visible; } }
"""

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'")


def _t(key: str, lang: str) -> str:
    return _TEXT[key].get(lang, _TEXT[key]["en"])


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def metric_name(metric: str, lang: str) -> str:
    """A readable name of a KPI (``occupancy.nursing`` → "Occupancy: nursing-type")."""
    if metric in _METRIC_NAMES:
        return _METRIC_NAMES[metric].get(lang, metric)
    parts = metric.split(".")
    if parts[0] in _METRIC_NAMES:
        rest = [_METRIC_NAMES[p].get(lang, p) if p in _METRIC_NAMES else p for p in parts[1:]]
        return f"{_METRIC_NAMES[parts[0]].get(lang, parts[0])}: {' · '.join(rest)}"
    return metric


def format_number(value: Any, unit: str = "") -> str:
    """A figure as planners read it: fractions as %, counts with thousands separators."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    if unit.startswith("fraction") or unit == "share":
        return f"{100 * number:.1f} %"
    if number == 0 or abs(number) >= 100 or (unit == "beds" and number == int(number)):
        return f"{number:,.0f}"
    return f"{number:,.1f}"


def _format_threshold(value: Any, unit: str) -> str:
    """A target's threshold as written in plans: 45, 4,500, 55 %."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    return f"{100 * number:g} %" if unit == "fraction" else f"{number:,g}"


def _value_cell(mean: float, low: float, high: float, unit: str) -> str:
    text = _e(format_number(mean, unit))
    if math.isfinite(low) and math.isfinite(high) and (high - low) > 1e-9 * max(1, abs(mean)):
        text += (f'<span class="ci">[{_e(format_number(low, unit))}, '
                 f'{_e(format_number(high, unit))}]</span>')
    return f'<td class="num">{text}</td>'


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


def _summary_section(summary: dict[str, Any], metadata: dict[str, Any], kpis: pd.DataFrame,
                     lang: str) -> str:
    rows: list[tuple[str, str]] = []
    name = summary.get("name") or metadata.get("scenario")
    if name:
        rows.append((_t("name", lang), _e(name)))
    if summary.get("description"):
        rows.append((_t("description", lang), _e(summary["description"])))
    if summary.get("basis"):
        basis = summary["basis"]
        rows.append((_t("basis", lang), _e(_t(basis, lang) if basis in _TEXT else basis)))
    if summary.get("base_date"):
        rows.append((_t("base_date", lang), _e(summary["base_date"])))
    if summary.get("report_date"):
        when = summary["report_date"]
        rows.append((_t("report_date", lang), _e(_t(when, lang) if when in _TEXT else when)))
    if summary.get("horizon_year"):
        rows.append((_t("horizon_year", lang), _e(summary["horizon_year"])))
    years = sorted(int(y) for y in kpis["year"].unique()) if not kpis.empty else []
    if years:
        rows.append((_t("simulated_years", lang), _e(f"{years[0]}–{years[-1]}")))
    if summary.get("zones") and list(summary["zones"]) != ["all"]:
        zones = list(summary["zones"])
        shown = "、".join(zones[:20]) if lang == "zh" else ", ".join(zones[:20])
        rows.append((_t("zones", lang), _e(f"{len(zones)}: {shown}" + (
            " …" if len(zones) > 20 else ""))))
    if summary.get("homes") is not None:
        rows.append((_t("homes", lang), _e(summary["homes"])))
    for key in ("beds_start", "beds_end"):
        beds = summary.get(key) or _beds_from_kpis(kpis, first=key == "beds_start")
        if beds:
            rows.append((_t(key, lang), _e(_beds_text(beds, lang))))
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
            elif key == "waiting_discipline" and value in _TEXT:
                value = _t(value, lang)
            rows.append((_t(key, lang), _e(value)))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


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


def _assumptions_section(assumptions: Sequence[str], lang: str) -> str:
    if not assumptions:
        return f'<p class="note">{_e(_t("no_assumptions", lang))}</p>'
    items = []
    for line in assumptions:
        where, sep, text = str(line).partition(": ")
        if sep and ":" in where and " " not in where:  # "file.yaml:27: text"
            items.append(f"<li><code>{_e(where)}</code> {_e(text)}</li>")
        else:
            items.append(f"<li>{_e(line)}</li>")
    return f'<ul class="assumptions">{"".join(items)}</ul>'


def _scorecard_section(scorecard: pd.DataFrame | None, lang: str) -> str:
    if scorecard is None or scorecard.empty:
        return f'<p class="note" id="no-scorecard">{_e(_t("no_scorecard", lang))}</p>'
    head = "".join(f"<th>{_e(_t(k, lang))}</th>" for k in
                   ("target", "threshold", "year", "simulated", "status", "shortfall"))
    rows = []
    for target, group in scorecard.groupby("target", sort=False):
        first = group.iloc[0]
        metric = str(first.get("metric", ""))
        unit = "fraction" if ("share" in metric or metric.startswith("occupancy")
                              or "utilisation" in metric or ".coverage" in metric) else ""
        comparison = str(first.get("comparison", ""))
        sign = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
        label_text = first.get("label", target)
        label_text = target if pd.isna(label_text) else label_text
        span = f' rowspan="{len(group)}"' if len(group) > 1 else ""
        for index, (_, row) in enumerate(group.iterrows()):
            status = str(row.get("status", "")).replace(" ", "_")
            word = _t(status, lang) if status in ("met", "at_risk", "missed", "no_data") else (
                status)
            cells = []
            if index == 0:
                cells.append(f'<td{span} class="target">{_e(label_text)}'
                             f'<code class="target-id">{_e(target)}</code></td>'
                             f'<td{span} class="num">{_e(sign)} '
                             f'{_e(_format_threshold(row.get("threshold"), unit))}</td>')
            cells.append(f'<td class="num">{_e(row.get("year", ""))}</td>')
            cells.append(_value_cell(float(row.get("simulated_mean", math.nan)),
                                     float(row.get("ci_low", math.nan)),
                                     float(row.get("ci_high", math.nan)), unit))
            cells.append(f'<td><span class="status {_e(status)}">{_e(word)}</span></td>')
            cells.append(f'<td class="shortfall">{_e(_shortfall_text(row))}</td>')
            rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table id="scorecard-table" class="scorecard"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            f'<p class="note">{_e(_t("scorecard_note", lang))}</p>')


def _shortfall_text(row: pd.Series) -> str:
    """The shortfall with its unit, empty when nothing is missing."""
    value = row.get("shortfall", math.nan)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number) or number == 0:
        return ""
    unit = row.get("shortfall_unit", "")
    unit = "" if pd.isna(unit) else str(unit)
    shown = f"{number:,.0f}" if number == round(number) or abs(number) >= 100 else (
        f"{number:,.2g}" if abs(number) < 1 else f"{number:,.1f}")
    return f"{shown} {unit}".strip()


def _svg_width_px(svg: bytes, scale: float = 1.15) -> int | None:
    """Display width of an SVG chart [CSS px]: its own width (pt) a little enlarged."""
    found = re.search(rb'<svg[^>]*?\swidth="([0-9.]+)(pt|px)?"', svg[:2000])
    if not found:
        return None
    points = float(found.group(1)) * (4 / 3 if found.group(2) in (b"pt", None) else 1.0)
    return round(points * scale)


def _charts_section(charts: Sequence[Chart], lang: str) -> str:
    figures = []
    for chart in charts:
        data = base64.b64encode(chart.svg).decode("ascii")
        width = _svg_width_px(chart.svg)
        size = f' width="{width}"' if width else ""
        stop = "。" if lang == "zh" else ". "
        caption = (f"<figcaption><strong>{_e(chart.title)}{stop}</strong>{_e(chart.caption)}"
                   "</figcaption>")
        figures.append(
            f'<figure id="chart-{_e(chart.key)}" class="chart">'
            f'<img alt="{_e(chart.title)}"{size} src="data:image/svg+xml;base64,{data}">'
            f"{caption}</figure>")
    return "".join(figures)


def _kpi_tables(kpis: pd.DataFrame, lang: str, *, per_table: int = 6) -> str:
    if kpis.empty:
        return ""
    units = kpis.groupby("metric", sort=False)["unit"].first() if "unit" in kpis else None
    out = []
    for group, metrics in kpi_groups(dict.fromkeys(kpis["metric"])):
        out.append(f"<h3>{_e(_t(group, lang))}</h3>")
        for start in range(0, len(metrics), per_table):
            chunk = metrics[start:start + per_table]
            head = [f"<th>{_e(_t('year', lang))}</th>"]
            for metric in chunk:
                unit = "" if units is None else str(units.get(metric, ""))
                head.append(f"<th>{_e(metric_name(metric, lang))}<code>{_e(metric)}</code>"
                            f'<span class="unit">{_e(unit)}</span></th>')
            wide = kpis[kpis["metric"].isin(chunk)].set_index(["year", "metric"])
            rows = []
            for year in sorted(kpis["year"].unique()):
                cells = [f'<td class="num">{_e(int(year))}</td>']
                for metric in chunk:
                    unit = "" if units is None else str(units.get(metric, ""))
                    if (year, metric) in wide.index:
                        row = wide.loc[(year, metric)]
                        cells.append(_value_cell(float(row["mean"]), float(row["ci_low"]),
                                                 float(row["ci_high"]), unit))
                    else:
                        cells.append('<td class="num">–</td>')
                rows.append(f"<tr>{''.join(cells)}</tr>")
            out.append(f'<div class="scroll"><table class="kpis"><thead><tr>{"".join(head)}'
                       f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    return "".join(out)


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


def _cross_check_section(kpis: pd.DataFrame, check: pd.DataFrame | None,
                         per_replication: pd.DataFrame | None, lang: str) -> str:
    if check is None or check.empty:
        return f'<p class="note">{_e(_t("no_cross_check", lang))}</p>'
    occupied = _sum_over_types(per_replication, kpis, "occupied_beds.")
    by_metric = {metric: frame.set_index("year") for metric, frame in kpis.groupby("metric")}
    head = "".join(f"<th>{_e(_t(k, lang))}</th>" for k in (
        "year", "beds_plan", "offered_load", "beds_needed", "occupied_sim", "occupancy_sim",
        "occupancy_mmc", "wait_sim", "wait_mmc", "within_sim", "within_mmc"))
    nan = math.nan
    rows = []
    for _, row in check.sort_values("year").iterrows():
        year = int(row["year"])
        beds = float(row["beds"])
        load = float(row["offered_load_beds"])
        sim = occupied.loc[year] if year in occupied.index else None
        cells = [f'<td class="num">{year}</td>', f'<td class="num">{format_number(beds)}</td>',
                 f'<td class="num">{format_number(load)}</td>',
                 f'<td class="num">{format_number(row.get("beds_needed_p95", nan))}</td>']
        if sim is not None and beds > 0:
            cells.append(_value_cell(float(sim["mean"]), float(sim["ci_low"]),
                                     float(sim["ci_high"]), "beds"))
            cells.append(_value_cell(float(sim["mean"]) / beds, float(sim["ci_low"]) / beds,
                                     float(sim["ci_high"]) / beds, "fraction"))
        else:
            cells += ['<td class="num">–</td>'] * 2
        overloaded = beds <= 0 or load >= beds
        overloaded_cell = f'<td class="num">{_e(_t("overloaded", lang))}</td>'
        cells.append(f'<td class="num">{format_number(min(load / beds, 1.0), "fraction")}</td>'
                     if beds > 0 else '<td class="num">–</td>')
        for metric, column, unit in (("wait_mean_days", "mean_wait_days", "days"),
                                     ("share_admitted_within_threshold",
                                      "share_admitted_within_threshold", "fraction")):
            frame = by_metric.get(metric)
            if frame is not None and year in frame.index:
                cells.append(_value_cell(float(frame.loc[year, "mean"]),
                                         float(frame.loc[year, "ci_low"]),
                                         float(frame.loc[year, "ci_high"]), unit))
            else:
                cells.append('<td class="num">–</td>')
            value = float(row.get(column, nan))
            cells.append(overloaded_cell if overloaded or not math.isfinite(value) else
                         f'<td class="num">{format_number(value, unit)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table id="cross-check"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>'
            f'<p class="note">{_e(_t("cross_check_note", lang))}</p>')


def _metadata_section(metadata: dict[str, Any], lang: str) -> str:
    rows = []
    for key, value in metadata.items():
        shown = value if isinstance(value, str | int | float | bool) or value is None else (
            json.dumps(value, ensure_ascii=False, default=str))
        rows.append(f"<tr><th><code>{_e(key)}</code></th><td>{_e(shown)}</td></tr>")
    return f'<table class="kv" id="run-metadata"><tbody>{"".join(rows)}</tbody></table>'


def render_html(tables: dict[str, pd.DataFrame], metadata: dict[str, Any], *, title: str,
                lang: str = "en", assumptions: Sequence[str] = (),
                summary: dict[str, Any] | None = None,
                charts: Sequence[Chart] = ()) -> str:
    """The whole report as one HTML document (a string).

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The run's tables by CSV stem: ``kpis`` (required), and when present ``scorecard``,
        ``kpis_by_replication`` (for the CI of total occupied beds) and
        ``analytic_cross_check``.
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

    Returns
    -------
    str
    """
    kpis = tables.get("kpis", pd.DataFrame(columns=["year", "metric", "mean", "ci_low",
                                                    "ci_high", "unit"]))
    summary = summary or {}
    sections = [
        ("summary", _summary_section(summary, metadata, kpis, lang)),
        ("assumptions", _assumptions_section(assumptions, lang)),
        ("scorecard", _scorecard_section(tables.get("scorecard"), lang)),
        ("charts", _charts_section(charts, lang)),
        ("kpis", f'<p class="note">{_e(_t("kpis_note", lang))}</p>' + _kpi_tables(kpis, lang)),
        ("cross_check", _cross_check_section(kpis, tables.get("analytic_cross_check"),
                                             tables.get("kpis_by_replication"), lang)),
        ("metadata", _metadata_section(metadata, lang)),
    ]
    sections = [(key, body) for key, body in sections if body]
    nav = "".join(f'<li><a href="#{key}">{_e(_t(key, lang))}</a></li>' for key, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{_e(_t(key, lang))}</h2>{content}</section>'
                   for key, content in sections)
    today = dt.date.today().isoformat()
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} — {_e(_t('report', lang))}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f'<header class="title"><h1><span class="kind">{_e(_t("report", lang))}</span>'
        f'{_e(title)}</h1><p class="meta">{_e(_t("generated", lang))} {_e(today)} · '
        f'carefacility {_e(metadata.get("carefacility_version", ""))}</p></header>'
        f'<nav><h3>{_e(_t("contents", lang))}</h3><ol>{nav}</ol></nav>'
        f"{body}<footer>{_e(_t('files', lang))}</footer></main></body></html>\n"
    )
