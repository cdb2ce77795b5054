"""A commented starting scenario for a new place (``carefacility init``).

A planner with a district's totals and its bed count gets a file that validates and runs at
once, and says on every line where its value comes from and what to replace:

* the **base population** is the national 7th-census age-sex structure reweighted to the
  place's share aged 60+ and scaled to its total (or the place's own census table, copied in);
* **mortality**, **fertility** and the **sex ratio at birth** are China's UN WPP 2024 figures
  (ASSUMPTION: national rates for the place);
* the **plan** has one care-home entry per zone with the beds given, split by the nursing
  share given, half occupied at the start (ASSUMPTION, the national figure);
* **services** and **targets** are optional blocks with cited or ASSUMPTION values.

The national tables the template names ship with carefacility (``carefacility/data/national``)
and are copied next to the new file, so the folder is self-contained.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["NATIONAL_TABLES", "TemplateOptions", "render_template", "write_template"]

NATIONAL_TABLES = ("china_census2020_pop_by_age_sex_national.csv", "china_wpp2024_nmx.csv",
                   "china_wpp2024_fertility_pattern.csv")
"""The national tables a template names (each states its source in its first lines)."""

SCENARIO_FILE = "scenario.yaml"
CENSUS_FILE = "census.csv"


@dataclass(frozen=True)
class TemplateOptions:
    """What ``carefacility init`` asks.

    Attributes
    ----------
    name : str
        The place (e.g. 某某区).
    total_population : int
        Persons of the basis at ``base_date`` [persons].
    share_60plus : float
        Share aged 60+ [fraction].
    basis : {"registered", "resident"}
        户籍 or 常住.
    base_date : datetime.date
        Date of the totals (year-end for registered counts, 1 Nov 2020 for the census).
    horizon_year : int
        Last year projected and simulated.
    beds : int
        Care beds at the start [beds].
    nursing_share : float
        Nursing-type share of ``beds`` [fraction].
    zones : tuple of str
        Zones (街镇); empty for one zone.
    census_csv : pathlib.Path or None
        The place's own census table (``age_group, male, female``) to use instead of the
        national structure; copied into the folder.
    services, targets : bool
        Write the services and targets blocks.
    """

    name: str
    total_population: int
    share_60plus: float
    basis: str = "registered"
    base_date: dt.date = dt.date(2020, 12, 31)
    horizon_year: int = 2035
    beds: int = 1000
    nursing_share: float = 0.55
    zones: tuple[str, ...] = ()
    census_csv: Path | None = None
    services: bool = True
    targets: bool = True

    def check(self) -> list[str]:
        """What is wrong with the options, each as ``--option: given, allowed``."""
        problems = []
        if not self.name.strip():
            problems.append("--name: empty; give the place's name")
        if self.census_csv is None and not 1_000 <= self.total_population <= 2_000_000_000:
            problems.append(f"--total-population: {self.total_population:,}; give the "
                            "place's persons, 1,000 to 2,000,000,000")
        if self.census_csv is None and not 0.01 <= self.share_60plus <= 0.8:
            problems.append(f"--share-60plus: {self.share_60plus}; give a fraction from 0.01 "
                            "to 0.8 (e.g. 0.26 for 26 %)")
        if self.basis not in ("registered", "resident"):
            problems.append(f"--basis: {self.basis!r}; allowed: registered, resident")
        if not 2020 <= self.base_date.year <= 2030:
            problems.append(f"--base-date: {self.base_date}; the national tables shipped "
                            "start in 2020: give a date from 2020 to 2030")
        if not self.base_date.year + 2 <= self.horizon_year <= 2100:
            problems.append(f"--horizon-year: {self.horizon_year}; give a year from "
                            f"{self.base_date.year + 2} to 2100")
        if not 0 <= self.beds <= 10_000_000:
            problems.append(f"--beds: {self.beds:,}; give 0 to 10,000,000")
        if not 0 <= self.nursing_share <= 1:
            problems.append(f"--nursing-share: {self.nursing_share}; give a fraction 0 to 1")
        if len(set(self.zones)) != len(self.zones) or any(not zone.strip()
                                                          for zone in self.zones):
            problems.append(f"--zones: {','.join(self.zones)!r}; give distinct, non-empty "
                            "names separated by commas")
        if self.census_csv is not None and not Path(self.census_csv).is_file():
            problems.append(f"--census-csv: {self.census_csv} is not a file")
        return problems


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _start_date(base_date: dt.date) -> dt.date:
    """The first day of the year after the base date's year, unless the base date is 31 Dec."""
    return dt.date(base_date.year + 1, 1, 1)


def _population_block(options: TemplateOptions) -> str:
    if options.census_csv is not None:
        base = f"""  base_population:
    # The place's own census table (age_group, male, female), copied from
    # {options.census_csv}. REPLACE this comment with its source.
    csv: data/{CENSUS_FILE}"""
    else:
        base = f"""  base_population:
    # The place has no age table here: the age-sex STRUCTURE is the national 7th census
    # (data/china_census2020_pop_by_age_sex_national.csv, source in its first lines)
    # reweighted to the place's share aged 60+ and scaled to its total (ASSUMPTION: the
    # national shape within the bands). REPLACE with the place's census table when you have
    # it (csv: with columns age_group, male, female), and cite the two figures below.
    csv: data/china_census2020_pop_by_age_sex_national.csv
    match_shares: {{"60+": {options.share_60plus:g}}}     # REPLACE: cite the source
    scale_to_total: {options.total_population}        # REPLACE: cite the source"""
    return f"""population:
  basis: {options.basis}          # registered (户籍) | resident (常住, the census count)
  base_date: {options.base_date.isoformat()}    # date of the base population
  horizon_year: {options.horizon_year}
  report_date: year_end         # outputs describe 31 December of each year

{base}

  mortality:
    # ASSUMPTION: China's UN WPP 2024 central death rates (5-year periods, medium
    # projection; data/china_wpp2024_nmx.csv). REPLACE with the place's life expectancy
    # (fit_e0: {{method: brass_logit, year: ..., male: ..., female: ..., source: ...}}) when
    # published: places differ from the national average by years.
    measure: nMx
    csv: data/china_wpp2024_nmx.csv
    improvement_rate_per_year: 0.0   # WPP periods already carry the projected decline

  fertility:
    # ASSUMPTION: China's WPP 2024 TFR path (estimates to 2023, medium projection after).
    # Births do not reach the 60+ before 2080.
    tfr: {{2020: 1.236, 2021: 1.117, 2022: 1.034, 2023: 0.999, 2024: 1.013,
          2025: 1.021, 2030: 1.061, 2035: 1.097}}
    age_pattern_csv: data/china_wpp2024_fertility_pattern.csv

  # ASSUMPTION: China's WPP 2024 sex ratio at birth.
  sex_ratio_at_birth: {{2020: 1.112, 2021: 1.104, 2022: 1.106, 2023: 1.108, 2024: 1.103,
                       2025: 1.098, 2030: 1.076, 2035: 1.067}}

  migration:
    # ASSUMPTION: a closed population. REPLACE with the place's net migration a year
    # (net_per_year, or counts by age with counts_csv) from its statistical bulletins: a
    # district that gains or loses people gains or loses elders too.
    net_per_year: 0
"""


def _split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole numbers that differ by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def _plan_block(options: TemplateOptions) -> str:
    zones = list(options.zones) or ["all"]
    nursing = round(options.beds * options.nursing_share)
    general = options.beds - nursing
    lines = ["plan:"]
    if options.zones:
        shares = _split(10_000, len(zones))
        lines += ["  # ASSUMPTION: equal shares of the elderly in every zone. REPLACE with each",
                  "  # zone's 60+ count (e.g. from the census by 街镇) over the place's.",
                  "  zones:"]
        lines += [f"    - {{name: {_quoted(zone)}, share_of_elderly: {share / 10_000:.4f}}}"
                  for zone, share in zip(zones, shares, strict=True)]
    lines += ["", "  care_homes:",
              f"    # The {options.beds:,} beds given to `carefacility init`, "
              f"{options.nursing_share:.0%} nursing-type,",
              "    # split evenly over the zones (ASSUMPTION). REPLACE with the homes of the",
              "    # place's bed list (name, zone, beds by type; `count` for identical ones)."]
    for zone, zone_general, zone_nursing in zip(zones, _split(general, len(zones)),
                                                _split(nursing, len(zones)), strict=True):
        home = "homes" if zone == "all" else f"homes_{zone}"
        lines.append(f"    - {{name: {_quoted(home)}, zone: {_quoted(zone)}, "
                     f"beds: {{general: {zone_general}, nursing: {zone_nursing}, dementia: 0}}}}")
    start = _start_date(options.base_date)
    lines += ["",
              "  # build_schedule: beds the plan opens, closes or converts, e.g.",
              f"  #   - {{date: {start.year + 1}-07-01, home: {_quoted(home)}, "
              "open: {nursing: 200}}",
              "",
              "  starting_state:"]
    if options.beds == 0:
        lines += ["    # no beds at the start, so none occupied",
                  "    occupancy: 0.0",
                  "    waiting_list_persons: 0     # ASSUMPTION: REPLACE with the waiting list"]
        return "\n".join(lines) + "\n"
    lines += ["    # ASSUMPTION: about half of the beds occupied, the national figure",
              "    # (care_need_params.md section 3.2: vacancy above 48 %, 汪斌 et al., 人口与发展",
              "    # 2022(4), secondary). REPLACE with the place's residents at the start.",
              "    observed:",
              "      residents:",
              f"        date: {(start - dt.timedelta(days=1)).isoformat()}",
              "        occupancy: 0.50",
              "        source: >-",
              "          ASSUMPTION: national occupancy about 50 % (汪斌 et al., 人口与发展",
              "          2022(4); care_need_params.md section 3.2, secondary).",
              "    waiting_list_persons: 0     # ASSUMPTION: REPLACE with the waiting list"]
    return "\n".join(lines) + "\n"


def _simulation_block(options: TemplateOptions) -> str:
    start = _start_date(options.base_date)
    years = options.horizon_year - start.year + 1
    return f"""simulation:
  start_date: {start.isoformat()}
  years: {years}                      # {start.year}-{options.horizon_year}
  replications: 20
  seed: 20240101
  # fifo: REPLACE with the place's admission rule if it gives priority (waiting_discipline:
  # priority, priority_order: [care_need, low_income, age_80plus]).
  waiting_discipline: fifo
  admitted_within_days: 30      # KPI: share of applicants admitted within 30 days
"""


def _services_block(options: TemplateOptions) -> str:
    zone = options.zones[0] if options.zones else "all"
    return f"""services:
  # Day-care centres and meal points. The demand rates are Jiading's (scenarios/jiading.yaml
  # cites them: CHARLS 2018 day-care use 0.55 % of 60+; Huangpu's meals 4.54 % of 60+ a day).
  # REPLACE the sites with the place's list (name, zone, capacity_per_day, count, opens).
  day_centres:
    demand:
      eligible_levels: [independent, partially_dependent, dependent, dementia]
      uptake: 0.0055
      attendance_probability: 0.6        # ASSUMPTION: 3 of 5 open days
    open_weekdays: [mon, tue, wed, thu, fri]   # ASSUMPTION
    overflow: none
    max_turned_away_share: 0.05          # ASSUMPTION: used to size sites_needed
    sites:
      - {{name: day_centres, zone: {_quoted(zone)}, capacity_per_day: 30, count: 10}}   # REPLACE
  meal_points:
    demand:
      eligible_levels: [independent, partially_dependent, dependent, dementia]
      uptake: 0.0568
      attendance_probability: 0.8        # ASSUMPTION: meals on 80 % of days
    overflow: none
    max_turned_away_share: 0.05          # ASSUMPTION: used to size sites_needed
    sites:
      - {{name: meal_points, zone: {_quoted(zone)}, capacity_per_day: 104, count: 10}}  # REPLACE
"""


def _targets_block(options: TemplateOptions) -> str:
    return """targets:
  # REPLACE with the targets of the place's plan, quoting its words in `label`.
  - id: nursing_share_55
    label: 养老机构护理型床位占比达到55% (“十四五”国家老龄事业发展和养老服务体系规划, 2025)
    metric: nursing_share
    value: 0.55
    from_year: 2025
  # ASSUMPTION: a service level to judge the plan by (plans rarely state one).
  - id: admitted_within_30_days
    label: 95 % of applicants admitted within 30 days (service level, assumption)
    metric: share_served_within_threshold
    value: 0.95
"""


def render_template(options: TemplateOptions) -> str:
    """The scenario file's text for ``options`` (checked first with ``options.check()``)."""
    header = f"""# carefacility scenario — {options.name}
#
# Written by `carefacility init`. Every value is from a cited source or marked ASSUMPTION;
# lines marked REPLACE hold placeholders for the place's own figures. Paths are relative to
# this file. After each change: carefacility validate {SCENARIO_FILE}

name: {_quoted(options.name)}
description: >
  Starting scenario written by carefacility init: {options.total_population:,} persons
  ({options.basis}), {options.share_60plus:.1%} aged 60+, {options.beds:,} care beds.
  REPLACE with what the plan documents say.

"""
    blocks = [header, _population_block(options), "", _plan_block(options), "",
              _simulation_block(options)]
    if options.services:
        blocks += ["", _services_block(options)]
    if options.targets:
        blocks += ["", _targets_block(options)]
    return "\n".join(blocks)


def write_template(directory: str | Path, options: TemplateOptions, *,
                   force: bool = False) -> list[Path]:
    """Write ``scenario.yaml`` and the tables it names into ``directory``.

    Parameters
    ----------
    directory : str or pathlib.Path
        The new scenario's folder (created if missing).
    options : TemplateOptions
    force : bool
        Overwrite an existing ``scenario.yaml``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        With every problem of the options (one per line), or when ``scenario.yaml`` exists and
        ``force`` is not set; nothing is written then.
    """
    problems = options.check()
    target = Path(directory)
    scenario_path = target / SCENARIO_FILE
    if scenario_path.exists() and not force:
        problems.append(f"{scenario_path} exists; use --force to overwrite it")
    if target.exists() and not target.is_dir():
        problems.append(f"{target} is a file, not a folder")
    if problems:
        raise ValueError("\n".join(problems))
    data = target / "data"
    data.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _tables(options):
        source = resources.files("carefacility").joinpath("data", "national", name)
        (data / name).write_bytes(source.read_bytes())
        written.append(data / name)
    if options.census_csv is not None:
        shutil.copyfile(options.census_csv, data / CENSUS_FILE)
        written.append(data / CENSUS_FILE)
    scenario_path.write_text(render_template(options), encoding="utf-8")
    return [scenario_path, *written]


def _tables(options: TemplateOptions) -> Sequence[str]:
    return NATIONAL_TABLES if options.census_csv is None else NATIONAL_TABLES[1:]
