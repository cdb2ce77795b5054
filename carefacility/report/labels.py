"""Chart labels in English and Chinese, and the bed types.

Plain data and small functions, without matplotlib: the report writer names its charts and
files from here without importing the plotting machinery (:mod:`carefacility.report.plots`
re-exports everything below).
"""

from __future__ import annotations

import re
from typing import Literal

import pandas as pd

__all__ = ["BED_TYPES", "LABELS", "Lang", "label", "status_label", "threshold_days"]

Lang = Literal["en", "zh"]

LABELS: dict[str, dict[str, str]] = {
    "male": {"en": "Male", "zh": "男"},
    "female": {"en": "Female", "zh": "女"},
    "age": {"en": "Age [years]", "zh": "年龄（岁）"},
    "persons": {"en": "Persons", "zh": "人数"},
    "year": {"en": "Year", "zh": "年份"},
    "pyramid": {"en": "Population pyramid", "zh": "人口金字塔"},
    "elderly": {"en": "Elderly population", "zh": "老年人口"},
    "pop_60plus": {"en": "Aged 60+", "zh": "60岁及以上"},
    "pop_80plus": {"en": "Aged 80+", "zh": "80岁及以上"},
    "share_60plus": {"en": "60+ share of total [%]", "zh": "60岁及以上占比（%）"},
    "range": {"en": "range if death rates were ±10 %", "zh": "死亡率±10%时的区间"},
    "beds": {"en": "Beds", "zh": "床位（张）"},
    "bed_demand": {"en": "Occupied and planned beds", "zh": "在住床位与规划床位"},
    "general": {"en": "General beds", "zh": "普通床位"},
    "nursing": {"en": "Nursing-type beds", "zh": "护理型床位"},
    "dementia": {"en": "Dementia beds", "zh": "认知障碍床位"},
    "all_beds": {"en": "All beds", "zh": "全部床位"},
    "occupied": {"en": "occupied (mean, 95 % CI)", "zh": "在住（均值，95%置信区间）"},
    "planned": {"en": "planned", "zh": "规划"},
    "offered_load": {"en": "Beds in use if nobody waited (offered load)",
                     "zh": "无人等待时的在用床位（提供负荷）"},
    "wait_days": {"en": "Wait [days]", "zh": "等待时间（天）"},
    "waiting_times": {"en": "Waits of those admitted (mean, 95 % CI)",
                      "zh": "入住者的等待时间（均值，95%置信区间）"},
    "p50": {"en": "Median", "zh": "中位数"},
    "p90": {"en": "90th percentile", "zh": "第90百分位"},
    "p95": {"en": "95th percentile", "zh": "第95百分位"},
    "admitted_within": {"en": "Applicants admitted within {days} days [%]",
                        "zh": "{days}天内入住的申请人比例（%）"},
    "admitted_within_title": {"en": "Share of all applicants admitted within {days} days "
                                    "(mean, 95 % CI)",
                              "zh": "全部申请人中{days}天内入住的比例（均值，95%置信区间）"},
    "admitted_share": {"en": "Admitted in time [%]", "zh": "及时入住的比例（%）"},
    "simulated": {"en": "Simulated (mean, 95 % CI)", "zh": "模拟（均值，95%置信区间）"},
    "occupancy": {"en": "Occupancy [%]", "zh": "入住率（%）"},
    "occupancy_title": {"en": "Occupancy by bed type (mean, 95 % CI)",
                        "zh": "各类床位入住率（均值，95%置信区间）"},
    "nursing_share": {"en": "Nursing-type share of beds [%]", "zh": "护理型床位占比（%）"},
    "nursing_share_title": {"en": "Nursing-type share of beds", "zh": "护理型床位占比"},
    "planned_share": {"en": "Plan", "zh": "规划"},
    "target": {"en": "Target", "zh": "目标"},
    "utilisation": {"en": "Utilisation [%]", "zh": "使用率（%）"},
    "service_utilisation": {"en": "Utilisation by zone (mean)", "zh": "各街镇使用率（均值）"},
    "day_centre": {"en": "Day-care centres", "zh": "日间照料中心"},
    "meal_point": {"en": "Meal points", "zh": "助餐点"},
    "zone": {"en": "Zone", "zh": "街镇"},
    "scorecard": {"en": "Plan targets against the simulation", "zh": "规划目标与模拟结果对照"},
    "target_col": {"en": "Target", "zh": "目标"},
    "met": {"en": "met", "zh": "达标"},
    "at_risk": {"en": "at risk", "zh": "有风险"},
    "missed": {"en": "missed", "zh": "未达标"},
    "no_data": {"en": "no data", "zh": "无数据"},
    "backtest": {"en": "How the model reproduces this place's history",
                 "zh": "模型对本地历史的再现"},
    "observed_backtest": {"en": "observed, back-test (not used to fit)",
                          "zh": "实际值（回测：未用于拟合）"},
    "observed_calibration": {"en": "observed, calibration (base year or earlier)",
                             "zh": "实际值（校准：基期及以前）"},
    "projected": {"en": "projected", "zh": "预测值"},
    "relative_error": {"en": "Projected − observed [% of observed]",
                       "zh": "预测值−实际值（占实际值的%）"},
    "total": {"en": "Total population", "zh": "总人口"},
    "pop_65plus": {"en": "Aged 65+", "zh": "65岁及以上"},
    "pop_70plus": {"en": "Aged 70+", "zh": "70岁及以上"},
    "deaths": {"en": "Deaths in the year", "zh": "全年死亡人数"},
    "residents_year_end": {"en": "Care-home residents on 31 Dec", "zh": "年末在院人数"},
    "registered": {"en": "registered", "zh": "户籍"},
    "resident": {"en": "resident", "zh": "常住"},
    "persons_or_beds": {"en": "Persons or beds", "zh": "人数或床位数"},
}
"""Every label by key, then by language (``en``, ``zh``)."""

BED_TYPES = ("general", "nursing", "dementia")
"""Bed types in the order the KPIs and charts use."""


def label(key: str, lang: Lang = "en") -> str:
    """The chart label ``key`` in ``lang``."""
    return LABELS[key][lang]


def status_label(status: str, lang: Lang = "en") -> str:
    """The word for a scorecard status (``met``, ``at_risk``, ``missed``, ``no data``)."""
    key = str(status).replace(" ", "_")
    return LABELS[key][lang] if key in ("met", "at_risk", "missed", "no_data") else str(status)


def threshold_days(kpis: pd.DataFrame) -> float | None:
    """T of "admitted within T days", read from the unit of ``share_served_within_threshold``.

    Returns ``None`` when the KPI or its unit does not say.
    """
    rows = kpis[kpis["metric"] == "share_served_within_threshold"]
    if rows.empty or "unit" not in rows:
        return None
    found = re.search(r"threshold\s+([0-9.]+)\s*days", str(rows["unit"].iloc[0]))
    return float(found.group(1)) if found else None
