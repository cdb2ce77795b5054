"""What each KPI is called, in English and Chinese, and how its numbers are shown.

A run's KPIs are named ``<metric>[.<part>]`` (``occupancy.nursing``,
``wait_mean_days.dependent``, ``beds_per_1000_60plus.registered``,
``day_centre.turned_away_share.东街道``) with a unit text (``fraction of applicants (threshold 30
days)``). The workbook and the report show them to a bureau as names, units and number formats
(:func:`kpi_name`, :func:`unit_name`, :func:`number_format`): shares as percentages, counts with
thousands separators, days with one decimal.
"""

from __future__ import annotations

import re

from carefacility.report.labels import Lang

__all__ = ["KPI_NAMES", "PARTS", "is_fraction", "is_share_metric", "kpi_name", "number_format",
           "unit_name"]

KPI_NAMES: dict[str, tuple[str, str]] = {
    "beds": ("Beds in force (year-end)", "床位数（年末）"),
    "nursing_share": ("Nursing-type share of beds", "护理型床位占比"),
    "beds_per_1000_60plus": ("Beds per 1,000 aged 60+", "每千名老年人床位数"),
    "pop_60plus": ("Persons aged 60+", "60岁及以上人口"),
    "occupied_beds": ("Occupied beds (mean over the year)", "在住床位（年均）"),
    "occupancy": ("Occupancy", "入住率"),
    "residents_year_end": ("Residents on 31 Dec", "年末在院人数"),
    "applicants": ("Applicants", "申请人数"),
    "admissions": ("Admissions", "入住人数"),
    "discharges": ("Discharges", "出院人数"),
    "deaths_in_care": ("Deaths in care", "在院死亡人数"),
    "deaths_while_waiting": ("Deaths while waiting", "等待期间死亡人数"),
    "withdrawals": ("Withdrawals from the waiting list", "退出轮候人数"),
    "transfers": ("Transfers between bed types", "床位类型间转床人数"),
    "blocked": ("Turned away by a full waiting list", "因轮候名单已满被拒人数"),
    "share_served_within_threshold": ("Applicants admitted in time (of all who applied)",
                                      "按时入住的申请人比例（占全部申请人）"),
    "share_of_admissions_within_threshold": ("Admissions that waited at most the threshold",
                                             "等待不超过时限的入住比例（仅计入住者）"),
    "p_wait": ("Applicants who found no free bed", "无空床需轮候的申请人比例"),
    "abandoned_share": ("Applicants who died or withdrew while waiting",
                        "轮候期间死亡或退出的申请人比例"),
    "blocked_share": ("Applicants turned away by a full list", "因名单已满被拒的申请人比例"),
    "still_waiting_share": ("Applicants still waiting at the horizon",
                            "期末仍在轮候的申请人比例"),
    "wait_mean_days": ("Mean wait of admissions", "入住者平均等待时间"),
    "wait_p50_days": ("Median wait of admissions", "入住者等待时间中位数"),
    "wait_p90_days": ("90th percentile wait of admissions", "入住者等待时间第90百分位"),
    "wait_p95_days": ("95th percentile wait of admissions", "入住者等待时间第95百分位"),
    "waiting_list_mean": ("Waiting list (mean over the year)", "轮候人数（年均）"),
    "waiting_list_year_end": ("Waiting list on 31 Dec", "年末轮候人数"),
    "dependent_in_general_beds": ("Dependent residents in general beds",
                                  "住在普通床位的失能老人"),
    "day_centre.sites": ("Day-care centres open", "日间照料中心数"),
    "day_centre.sites_needed": ("Day-care centres needed", "所需日间照料中心数"),
    "day_centre.extra_sites_needed": ("Day-care centres still to add", "需增设的日间照料中心数"),
    "day_centre.demand": ("Day-care visits wanted", "日间照料需求人次"),
    "day_centre.served": ("Day-care visits served", "日间照料服务人次"),
    "day_centre.demand_per_day_expected": ("Day-care visits wanted per open day",
                                           "每开放日日间照料需求人次"),
    "day_centre.turned_away_share": ("Day-care visits turned away", "日间照料未能接待比例"),
    "day_centre.utilisation": ("Day-care utilisation", "日间照料中心使用率"),
    "day_centre.coverage_communities": ("Communities with a day-care centre",
                                        "有日间照料中心的社区比例"),
    "day_centre.coverage_elders": ("Elders with a day-care centre",
                                   "有日间照料中心覆盖的老年人比例"),
    "day_centre.communities_without_service": ("Communities without a day-care centre",
                                               "无日间照料中心的社区数"),
    "day_centre.p95_demand_to_capacity": ("Day-care demand on a busy day / capacity",
                                          "日间照料高峰日需求与容量之比"),
    "meal_point.sites": ("Meal points open", "助餐点数"),
    "meal_point.sites_needed": ("Meal points needed", "所需助餐点数"),
    "meal_point.extra_sites_needed": ("Meal points still to add", "需增设的助餐点数"),
    "meal_point.demand": ("Meals wanted", "助餐需求份数"),
    "meal_point.served": ("Meals served", "助餐供应份数"),
    "meal_point.demand_per_day_expected": ("Meals wanted per open day", "每开放日助餐需求份数"),
    "meal_point.turned_away_share": ("Meals not served", "未能供应的助餐比例"),
    "meal_point.utilisation": ("Meal-point utilisation", "助餐点使用率"),
    "meal_point.coverage_communities": ("Communities with a meal point", "有助餐点的社区比例"),
    "meal_point.coverage_elders": ("Elders with a meal point", "有助餐点覆盖的老年人比例"),
    "meal_point.communities_without_service": ("Communities without a meal point",
                                               "无助餐点的社区数"),
    "meal_point.p95_demand_to_capacity": ("Meal demand on a busy day / capacity",
                                          "助餐高峰日需求与容量之比"),
}
"""Name of each KPI (without its part) in English and Chinese."""

PARTS: dict[str, tuple[str, str]] = {
    "general": ("general beds", "普通床位"),
    "nursing": ("nursing-type beds", "护理型床位"),
    "dementia": ("dementia", "认知障碍"),
    "independent": ("independent", "自理"),
    "partially_dependent": ("partially dependent", "部分失能"),
    "dependent": ("dependent", "失能"),
    "registered": ("registered", "户籍"),
    "resident": ("resident", "常住"),
    "all": ("all zones", "全区"),
}
"""Names of the parts after a KPI's dot: bed types, care levels, population bases, zones
(``all``; other zones are shown by their own names)."""

_UNITS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^fraction of applicants \(threshold (?P<days>[0-9.]+) days\)$"),
     "占全部申请人的比例（时限{days}天）"),
    (re.compile(r"^fraction of admissions \(threshold (?P<days>[0-9.]+) days\)$"),
     "占入住者的比例（时限{days}天）"),
    (re.compile(r"^beds per 1,000 (?P<basis>registered|resident) aged 60\+$"),
     "张/千名{basis}60岁及以上老人"),
    (re.compile(r"^persons \((?P<basis>registered|resident)\)$"), "人（{basis}）"),
    (re.compile(r"^centres of median capacity for at most (?P<share>[0-9.]+%) turned away "
                r"\(Poisson, pooled by zone\)$"),
     "个（中位容量，未能接待不超过{share}，泊松，按街镇合并）"),
    (re.compile(r"^meal points of median capacity for at most (?P<share>[0-9.]+%) turned away "
                r"\(Poisson, pooled by zone\)$"),
     "个（中位容量，未能供应不超过{share}，泊松，按街镇合并）"),
]

_UNIT_NAMES: dict[str, str] = {
    "beds": "张",
    "persons": "人",
    "persons per year": "人/年",
    "days": "天",
    "centres": "个",
    "meal points": "个",
    "zones": "个街镇",
    "fraction": "比例",
    "share": "比例",
    "fraction of applicants": "占申请人的比例",
    "fraction of beds": "占床位的比例",
    "fraction of capacity offered": "占供给容量的比例",
    "fraction of meals": "占助餐需求的比例",
    "fraction of visits": "占需求人次的比例",
    "fraction of persons aged 60+": "占60岁及以上人口的比例",
    "fraction of zones": "占街镇的比例",
    "meals per open day": "份/开放日",
    "meals per year": "份/年",
    "visits per open day": "人次/开放日",
    "visits per year": "人次/年",
    "occupied / beds in force (above 1 while closed beds empty)":
        "在住床位/在用床位（关闭中的床位腾空期间可超过1）",
    "95th percentile of daily demand / daily capacity": "日需求第95百分位/日容量",
}

_BASES = {"registered": "户籍", "resident": "常住"}


def _split(metric: str) -> tuple[str, str | None]:
    """The catalogued name of ``metric`` and its part (None without one)."""
    if metric in KPI_NAMES:
        return metric, None
    base, _, part = metric.rpartition(".")
    while base and base not in KPI_NAMES:
        base, _, more = base.rpartition(".")
        part = f"{more}.{part}"
    return (base, part) if base else (metric, None)


def kpi_name(metric: str, lang: Lang = "en") -> str:
    """What a KPI is called: ``occupancy.nursing`` → "Occupancy (nursing-type beds)" or
    "入住率（护理型床位）"; an unknown KPI keeps its own name."""
    base, part = _split(metric)
    names = KPI_NAMES.get(base)
    if names is None:
        return metric
    name = names[0] if lang == "en" else names[1]
    if part is None:
        return name
    shown = PARTS.get(part, (part, part))[0 if lang == "en" else 1]
    return f"{name} ({shown})" if lang == "en" else f"{name}（{shown}）"


def unit_name(unit: str, lang: Lang = "en") -> str:
    """A KPI's unit as a bureau reads it: the English text as given, or its Chinese."""
    if lang == "en" or not isinstance(unit, str):
        return unit if isinstance(unit, str) else ""
    if unit in _UNIT_NAMES:
        return _UNIT_NAMES[unit]
    for pattern, template in _UNITS:
        found = pattern.match(unit)
        if found is not None:
            values = found.groupdict()
            if "basis" in values:
                values["basis"] = _BASES[values["basis"]]
            return template.format(**values)
    return unit


def is_fraction(unit: str) -> bool:
    """Whether a KPI with ``unit`` is a share (shown as a percentage)."""
    return isinstance(unit, str) and (unit.startswith("fraction") or unit.startswith(
        "occupied / beds"))


def is_share_metric(metric: str) -> bool:
    """Whether a KPI is a share (shown as a percentage): shares, coverage, occupancy,
    utilisation, the share admitted within T, the probability of waiting."""
    head = metric.split(".")[0]
    return (metric.endswith("share") or "share" in head or head in ("occupancy", "p_wait")
            or ".utilisation" in metric or head == "utilisation" or ".coverage" in metric
            or metric.endswith("_within_threshold"))


def number_format(unit: str) -> str:
    """Excel number format for a KPI's unit: ``0.0%`` for shares, ``#,##0.0`` for days and
    rates per day, ``#,##0`` for counts, ``0.00`` for ratios."""
    if is_fraction(unit):
        return "0.0%"
    if not isinstance(unit, str):
        return "General"
    if unit == "days" or "per open day" in unit or unit.startswith("beds per 1,000"):
        return "#,##0.0"
    if unit.startswith("95th percentile"):
        return "0.00"
    return "#,##0"
