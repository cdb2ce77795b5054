"""What a run will cost before it starts: events, wall-clock time, peak memory, output size.

:func:`estimate_run` reads a :class:`~carefacility.runner.prepare.PreparedRun` (the bed
simulation's spec and the pooled cross-check of :func:`~carefacility.runner.prepare.prepare_run`)
and the replication count, and returns a :class:`RunEstimate`. ``carefacility run`` prints it
before simulating when it is large and stops, unless ``--yes``, when it is very large
(:func:`needs_confirmation`). Nothing is simulated: the estimate costs what preparing costs
(≈ 0.5 s for Jiading, 8,500 beds; preparing grows with beds × years, ≈ 1 s per model year at
10 million beds, the pooled Erlang figures).

Events of one replication
-------------------------
The engine (:mod:`carefacility.beds.engine`) schedules one calendar event per

* applicant (the arrival chain): ``A = Σ_y 365 λ_y + warmup_days λ_0 + run_on_days λ_last``,
  ``λ`` the applicants per day of ``spec.arrival_rate_per_day``;
* resident event (level change, turning 80, death, discharge, or the end of a drawn stay):
  resident-days × event rate per resident-day. Residents per year are the transient mean
  occupancy of the pooled cross-check (``transient_mean_beds``, else ``offered_load_beds``)
  capped by the beds in force (without the table: the beds in force). The rate is
  ``1 / mean stay`` with ``spec.stay_distribution``, else the residents' total CTMC rate (level
  changes + death + discharge + turning 80) weighted by the starting residents' levels and the
  applicants' share aged 80+;
* applicant who waits (the waiting-list exit): ``A × prob_wait`` of the pooled M/M/c figure
  (1 without the table), when waiting applicants can die or withdraw;
* starting resident and starting applicant, year end and capacity change.

Cost per event — source
-----------------------
``benchmarks/bench_des_jiading_size.py`` (8,508 beds, 60 homes, 12 zones, 15 years, priority
discipline, transfers): 1.08–1.10 s per replication (best of 3; on the 2-CPU development
container, Python 3.11, with the other CPU busy) for 241,675 scheduled events (counted by the
engine's calendar, ``BedSimulation(...).calendar.scheduled_events``, as SimPy's
``Environment.schedule`` would count them: 65,164 arrivals, 56,265 admissions, 40,542 level
changes, 25,139 transfers, 54,336 deaths and discharges, ...), i.e. 4.5 µs per event:
:data:`SECONDS_PER_EVENT` = 5 µs (it was 10 µs on SimPy's own calendar, before issue 12).
``replicate`` adds its KPI tables (:data:`SECONDS_PER_REPLICATION`, 0.01–0.04 s measured) and
the community services (:data:`SECONDS_PER_SERVICE_SITE_DAY`, 0.05–0.07 µs per site-day
measured on jiading.yaml, xicheng.yaml, county.yaml).

Writing the report — source
---------------------------
``carefacility run scenarios/textbook/erlang_b.yaml --executor serial`` on the same machine with
20, 200, 400, 1,000 and 2,000 replications (9,400 to 940,000 KPI rows), before issue 12: writing
cost ≈ 3 s plus 150 µs and 2 KB of memory per KPI row put in the workbook, plus 2 µs and 200
bytes per KPI row kept and written to CSV (1,000 → 2,000 replications: 3.6 → 4.5 s, max RSS
242 → 326 MB). Since issue 12 the per-replication KPIs go into the workbook only with
``per_replication_sheet`` (only tables up to :data:`carefacility.report.excel.WORKBOOK_MAX_ROWS`
rows), written in openpyxl's write-only mode: ``benchmarks/bench_report.py`` on Xicheng (23,700
per-replication rows) measured the workbook at 0.37 s without and 1.86 s with that sheet, 63 µs
per row: :data:`REPORT_SECONDS` counts 65 µs. The fixed 3 s stays (the report of a district:
3.3 s serially, 2.2–2.9 s with charts on 2 processes); the 2 KB per workbook row were measured
with the old writer and are kept as an upper bound. The folder holds
≈ 1 MB of charts, report and tables plus 52 bytes per KPI row in ``kpis_by_replication.csv``
(and 21 in ``results.xlsx`` while the sheet is written): :data:`OUTPUT_FIXED_BYTES` = 5 MB (a few
MB with zones and services) and :data:`OUTPUT_BYTES_PER_KPI_ROW` = 80 bytes.

Memory of one replication — source
----------------------------------
``tracemalloc`` peaks of :func:`carefacility.beds.simulate` on a one-home spec, 100,000 against
200,000 persons: 842 bytes per starting resident (84 → 168 MB), 522 bytes per starting applicant
waiting (52 → 105 MB), 385–626 bytes per applicant arriving in a year (waiting or admitted):
:data:`BYTES_PER_PERSON` = 900 bytes per resident or waiting applicant present at the peak.
What stays for the whole run grows with the admissions (the wait monitor alone keeps four
entries per admission): :data:`BYTES_PER_ADMISSION` = 200 bytes, fitted so that the
benchmark's traced peak (21.7–21.8 MB measured) comes out at 22.8 MB; the scenarios of
``scenarios/`` come out between −50 % (textbook/priority.yaml: 0.7 MB for 1.4 MB traced) and
+40 % (textbook/growing_demand.yaml: 15.0 MB for 10.8 MB) of their traced peaks, jiading.yaml
at 9.6 MB for 8.1 MB. Every process adds the interpreter
with numpy, pandas and carefacility (:data:`PROCESS_BYTES`, ≈ 145–160 MB RSS measured),
counted in full for every worker although forked workers share part of it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from carefacility.runner.executors import Executor, default_workers
from carefacility.runner.prepare import DAYS_PER_YEAR, PreparedRun

WORKBOOK_MAX_ROWS = 200_000
"""Rows up to which a table goes into results.xlsx: the value of
:data:`carefacility.report.excel.WORKBOOK_MAX_ROWS`, repeated here because the runner may not
import the report stage (a test checks that the two agree)."""

__all__ = [
    "BYTES_PER_ADMISSION",
    "BYTES_PER_PERSON",
    "CONFIRM_SECONDS",
    "KPIS_PER_YEAR_UPPER",
    "OUTPUT_BYTES_PER_KPI_ROW",
    "OUTPUT_FIXED_BYTES",
    "PRINT_BYTES",
    "PRINT_SECONDS",
    "PROCESS_BYTES",
    "REPORT_BYTES",
    "REPORT_SECONDS",
    "SECONDS_PER_EVENT",
    "SECONDS_PER_REPLICATION",
    "SECONDS_PER_SERVICE_SITE_DAY",
    "RunEstimate",
    "available_memory_bytes",
    "estimate_output_bytes",
    "estimate_run",
    "kpi_rows_per_replication",
    "needs_confirmation",
    "replication_events",
    "should_print",
]

SECONDS_PER_EVENT = 5e-6
"""Wall-clock seconds per scheduled event of the bed simulation [s]; see the module notes."""

SECONDS_PER_REPLICATION = 0.03
"""Seconds ``replicate`` spends on a replication's KPI tables besides the simulation [s]."""

SECONDS_PER_SERVICE_SITE_DAY = 0.1e-6
"""Seconds per site and simulated day of a community service [s]."""

BYTES_PER_PERSON = 900
"""Memory per resident or waiting applicant present at once in a replication [bytes]."""

BYTES_PER_ADMISSION = 200
"""Memory kept per admission until the replication ends (the wait monitor) [bytes]."""

PROCESS_BYTES = 160 * 2**20
"""Memory of one Python process with carefacility imported [bytes]."""

OUTPUT_FIXED_BYTES = 5 * 2**20
"""Output folder size without the per-replication KPIs: charts, report, tables [bytes]."""

OUTPUT_BYTES_PER_KPI_ROW = 80
"""Output folder bytes per KPI row of ``kpis_by_replication`` (CSV and workbook) [bytes]."""

REPORT_SECONDS = (3.0, 65e-6, 2e-6)
"""Writing the report: fixed seconds, seconds per KPI row in the workbook, per KPI row [s]."""

REPORT_BYTES = (2_000, 200)
"""Memory of the main process per KPI row in the workbook and per KPI row kept [bytes]."""

PRINT_SECONDS = 60.0
"""``carefacility run`` prints the estimate above this many seconds [s] ..."""

PRINT_BYTES = 2**30
"""... or above this peak memory [bytes]."""

CONFIRM_SECONDS = 15 * 60.0
"""Above this many seconds (or above the available memory) ``carefacility run`` stops unless
``--yes`` is given [s]."""

KPIS_PER_YEAR_UPPER = 80
"""Yearly KPIs of a replication at most in the scenarios of ``scenarios/`` (79 with two
population bases and two services): sizes the output folder before the run is prepared."""

_BED_METRICS = 47
"""Yearly KPIs of a replication without services or extra bases (``replicate``)."""


@dataclass(frozen=True)
class RunEstimate:
    """The estimated cost of a run.

    Attributes
    ----------
    events : int
        Scheduled events of the bed simulation over all replications.
    seconds : float
        Wall-clock time of simulating and writing the report [s].
    peak_bytes : int
        Peak memory of the run, every process together [bytes].
    text : str
        The estimate in one line, for people.
    replications : int
        Replications simulated (with the other eligibility rule's and, for
        ``--until-decided``, up to the cap).
    events_per_replication : float
        Events of one replication.
    seconds_per_replication : float
        Time of one replication on one worker [s].
    parallel : int
        Replications running at once.
    kpi_rows : int
        Rows of ``kpis_by_replication``.
    output_bytes : int
        Size of the output folder [bytes].
    replication_bytes : int
        Memory of one replication in its worker, above the process itself [bytes].
    prepared : PreparedRun or None
        The prepared inputs the estimate was made from (``carefacility.api.run(...,
        estimate=...)`` uses them instead of preparing again).
    """

    events: int
    seconds: float
    peak_bytes: int
    text: str
    replications: int = 0
    events_per_replication: float = 0.0
    seconds_per_replication: float = 0.0
    parallel: int = 1
    kpi_rows: int = 0
    output_bytes: int = 0
    replication_bytes: int = 0
    prepared: PreparedRun | None = field(default=None, repr=False, compare=False)


def _column(table: pd.DataFrame | None, name: str, years: int) -> np.ndarray | None:
    """A column of a per-year table as an array of ``years`` floats, or None."""
    if table is None or name not in table.columns or len(table) != years:
        return None
    values = table[name].to_numpy(dtype=float)
    return values if np.all(np.isfinite(values)) else None


def _resident_event_rate(prepared: PreparedRun) -> np.ndarray:
    """Events per resident-day in each model year [1/day], shape (years,)."""
    spec = prepared.spec
    n_years = spec.n_years
    rates = spec.arrival_rate_per_day.sum(axis=1)  # (years, levels)
    if spec.stay_distribution is not None:  # one event per stay
        mean_days = np.broadcast_to(np.asarray(spec.stay_distribution.mean_days, dtype=float),
                                    (rates.shape[1],))
        weights = rates.sum(axis=0)
        weights = weights if weights.sum() > 0 else np.ones_like(weights)
        mean = float((weights * mean_days).sum() / weights.sum())
        return np.full(n_years, 1.0 / mean if mean > 0 else 0.0)
    generator = np.asarray(spec.resident_generator_per_day, dtype=float)  # (2, 4, 4)
    off_diagonal = generator.sum(axis=2) - np.einsum("bii->bi", generator)
    total = (off_diagonal + spec.resident_death_rate_per_day
             + spec.discharge_rate_per_day[None, :])
    total[0] += spec.band_ageing_rate_per_day
    levels = spec.initial_residents.sum(axis=(0, 1)).astype(float)
    if levels.sum() <= 0:
        levels = rates.sum(axis=0)
    levels = levels / levels.sum() if levels.sum() > 0 else np.full(levels.size, 0.25)
    old = float(np.mean(spec.share_80plus))
    return np.full(n_years, float(((1 - old) * total[0] + old * total[1]) @ levels))


def replication_events(prepared: PreparedRun) -> dict[str, float]:
    """Scheduled events of one replication of the bed simulation, by kind.

    Parameters
    ----------
    prepared : PreparedRun
        The prepared run; its ``tables["analytic_cross_check"]`` (transient occupancy and
        ``prob_wait`` by year) is used when present.

    Returns
    -------
    dict of str to float
        ``arrivals``, ``resident_events``, ``waiting_exits``, ``start`` (starting residents and
        applicants), ``other`` (year ends and capacity changes), ``total``; also the sizes the
        memory estimate needs: ``peak_persons`` and ``admissions``.
    """
    spec = prepared.spec
    n_years = spec.n_years
    per_day = spec.arrival_rate_per_day.sum(axis=(1, 2))  # (years,)
    warmup, run_on = spec.warmup_days, spec.run_on_length_days
    arrivals = float(per_day.sum() * DAYS_PER_YEAR + warmup * per_day[0]
                     + run_on * per_day[-1])
    table = prepared.tables.get("analytic_cross_check")
    beds = np.asarray(prepared.capacity_mean, dtype=float).sum(axis=1)
    if beds.size != n_years:
        beds = np.full(n_years, float(spec.initial_capacity.sum()))
    occupied = _column(table, "transient_mean_beds", n_years)
    if occupied is None:
        occupied = _column(table, "offered_load_beds", n_years)
    residents = beds if occupied is None else np.minimum(beds, np.maximum(occupied, 0.0))
    start_residents = float(spec.initial_residents.sum())
    resident_days = float(residents.sum() * DAYS_PER_YEAR
                          + warmup * max(start_residents, residents[0])
                          + run_on * residents[-1])
    rate = _resident_event_rate(prepared)
    resident_events = float(resident_days * rate.mean())
    waiting_exits = 0.0
    exits = float(np.mean(spec.waiting_death_rate_per_day)
                  + np.mean(spec.withdrawal_rate_per_day))
    if exits > 0:
        prob_wait = _column(table, "prob_wait", n_years)
        share = 1.0 if prob_wait is None else float(np.clip(prob_wait, 0.0, 1.0).mean())
        waiting_exits = arrivals * share
    start_waiting = float(spec.initial_waiting_list.size
                          if spec.initial_waiting_list is not None else 0)
    other = float(n_years + 2 + len(spec.capacity_changes))
    # applicants left waiting: the yearly excess of applicants over the beds' throughput
    # (beds / mean stay) piles up, unless the waiting list is capped or applicants leave it
    mean_stay = _column(table, "mean_stay_days", n_years)
    waiting = start_waiting
    if mean_stay is not None:
        throughput = beds / np.maximum(mean_stay, 1.0)
        waiting += float(np.maximum(per_day - throughput, 0.0).sum() * DAYS_PER_YEAR)
    if exits > 0:
        waiting = min(waiting, start_waiting + float(per_day.max()) / exits)
    if spec.max_waiting is not None:
        waiting = min(waiting, max(float(spec.max_waiting), start_waiting))
    peak_persons = max(start_residents, float(residents.max())) + waiting
    total = arrivals + resident_events + waiting_exits + start_residents + start_waiting + other
    return {"arrivals": arrivals, "resident_events": resident_events,
            "waiting_exits": waiting_exits, "start": start_residents + start_waiting,
            "other": other, "total": total, "peak_persons": peak_persons,
            "admissions": arrivals + start_waiting}


def kpi_rows_per_replication(prepared: PreparedRun) -> int:
    """Rows of ``kpis_by_replication`` per replication: yearly KPIs × years.

    Counts the KPIs ``carefacility.runner.replicate.replicate`` writes: 47 of the beds (less
    ``pop_60plus`` and ``beds_per_1000_60plus`` without a population), 2 per extra population
    basis, 4 + 3 per zone for each community service, and the deterministic service rows.
    """
    years = int(prepared.spec.n_years)
    metrics = _BED_METRICS + 2 * len(prepared.pop_60plus_by_basis)
    if prepared.basis == "none":
        metrics -= 2
    metrics += sum(4 + 3 * len(prepared.zones) for _service in prepared.services)
    service_rows = 0 if prepared.service_rows is None else len(prepared.service_rows)
    return years * metrics + service_rows


def estimate_output_bytes(kpi_rows: int) -> int:
    """Size of a run's output folder [bytes]: :data:`OUTPUT_FIXED_BYTES` (charts, report,
    tables) + :data:`OUTPUT_BYTES_PER_KPI_ROW` × the rows of ``kpis_by_replication``.

    Parameters
    ----------
    kpi_rows : int
        Rows of ``kpis_by_replication`` (replications × years × yearly KPIs, ≈ 50–80 KPIs).

    Returns
    -------
    int
    """
    return int(OUTPUT_FIXED_BYTES + OUTPUT_BYTES_PER_KPI_ROW * max(int(kpi_rows), 0))


def _service_site_days(prepared: PreparedRun) -> float:
    days = prepared.spec.n_years * DAYS_PER_YEAR
    return float(sum(np.asarray(service.site_zone).size * days
                     for service in prepared.services))


def estimate_run(prepared: PreparedRun, replications: int, workers: int | None = None, *,
                 executor: Executor = "processes", kpi_replications: int | None = None,
                 bed_only_replications: int = 0, remote: bool = False,
                 per_replication_sheet: bool = False) -> RunEstimate:
    """Estimate the events, wall-clock time, peak memory and output size of a run.

    Parameters
    ----------
    prepared : PreparedRun
        What :func:`carefacility.runner.prepare.prepare_run` returned for the scenario.
    replications : int
        Replications to simulate (≥ 1).
    workers : int, optional
        Worker processes (default: all CPUs); the time counts at most one per CPU.
    executor : {"processes", "serial", "dask"}
        Where replications run.
    kpi_replications : int, optional
        Replications whose KPIs are kept and written (default ``replications``).
    bed_only_replications : int
        Further replications of the bed simulation alone, not written per replication: those
        under the other eligibility rule (``simulation.alternative_rule_replications``).
    remote : bool
        The replications run on a Dask cluster elsewhere: its workers' memory is not counted.
    per_replication_sheet : bool
        The per-replication KPIs go into ``results.xlsx`` too (``--per-replication-sheet``).

    Returns
    -------
    RunEstimate

    Notes
    -----
    ``seconds = ⌈n / p⌉ × (SECONDS_PER_REPLICATION + events × SECONDS_PER_EVENT + site-days ×
    SECONDS_PER_SERVICE_SITE_DAY) + report``, ``n`` the replications, ``p`` those running at
    once (``min(workers, n, CPUs)``; 1 serially), ``report`` the writing
    (:data:`REPORT_SECONDS`). ``peak_bytes`` is the larger of the simulation (the main process
    with the KPI rows, plus ``p`` workers each with :data:`PROCESS_BYTES` and one replication:
    :data:`BYTES_PER_PERSON` × residents and waiting applicants at the peak +
    :data:`BYTES_PER_ADMISSION` × admissions) and the report (the main process with
    :data:`REPORT_BYTES`). Sources of every constant: the module notes.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1 (got {replications})")
    kept = replications if kpi_replications is None else int(kpi_replications)
    total_replications = int(replications) + max(int(bed_only_replications), 0)
    counted = replication_events(prepared)
    events = counted["total"]
    site_days = _service_site_days(prepared)
    per_replication = (SECONDS_PER_REPLICATION + events * SECONDS_PER_EVENT
                       + site_days * SECONDS_PER_SERVICE_SITE_DAY)
    workers = workers or default_workers()
    if executor == "serial" or workers == 1:
        processes, parallel = 0, 1
    else:
        processes = min(workers, total_replications)
        parallel = processes if remote else min(processes, default_workers())
        if remote:
            processes = 0
    waves = math.ceil(total_replications / parallel)
    rows = kept * kpi_rows_per_replication(prepared)
    in_workbook = rows if per_replication_sheet and rows <= WORKBOOK_MAX_ROWS else 0
    fixed, per_workbook_row, per_row = REPORT_SECONDS
    report = fixed + in_workbook * per_workbook_row + rows * per_row
    seconds = waves * per_replication + report
    one = int(BYTES_PER_PERSON * counted["peak_persons"]
              + BYTES_PER_ADMISSION * counted["admissions"])
    main = PROCESS_BYTES + REPORT_BYTES[1] * rows
    simulating = main + (processes * (PROCESS_BYTES + one) if processes else one)
    writing = main + REPORT_BYTES[0] * in_workbook
    peak = int(max(simulating, writing))
    output = estimate_output_bytes(rows)
    total_events = round(events * total_replications)
    extra = total_replications - int(replications)
    text = (f"about {_duration(seconds)}: {int(replications):,} replications"
            + (f" (+{extra:,} under the other eligibility rule)" if extra else "")
            + f" of ≈ {_count(events)} events, ≈ {_duration(per_replication)} each, "
            f"{parallel} at a time; peak memory ≈ {_size(peak)}; output ≈ {_size(output)}")
    return RunEstimate(events=total_events, seconds=float(seconds), peak_bytes=peak, text=text,
                       replications=total_replications, events_per_replication=float(events),
                       seconds_per_replication=float(per_replication), parallel=parallel,
                       kpi_rows=int(rows), output_bytes=output, replication_bytes=one,
                       prepared=prepared)


def available_memory_bytes() -> int | None:
    """Memory this machine can give a run now [bytes], or None when unknown.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux), else ``os.sysconf`` available (or, failing
    that, physical) pages × page size; lowered to the cgroup v2 limit less its usage when the
    process runs under one (a container).
    """
    available: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        available = None
    if available is None:
        for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
            try:
                available = os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
                break
            except (AttributeError, ValueError, OSError):
                continue
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        if limit.isdigit():
            used = int(Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii"))
            room = max(int(limit) - used, 0)
            available = room if available is None else min(available, room)
    except (OSError, ValueError):
        pass
    return available if available is None or available > 0 else None


def should_print(estimate: RunEstimate) -> bool:
    """Whether ``carefacility run`` prints the estimate before simulating: above
    :data:`PRINT_SECONDS` or :data:`PRINT_BYTES`."""
    return estimate.seconds > PRINT_SECONDS or estimate.peak_bytes > PRINT_BYTES


def needs_confirmation(estimate: RunEstimate, available_bytes: int | None = None) -> str | None:
    """Why a run is too large to start without ``--yes``, or None.

    Parameters
    ----------
    estimate : RunEstimate
    available_bytes : int, optional
        Memory available [bytes]; default :func:`available_memory_bytes`.

    Returns
    -------
    str or None
        ``"it would take more than 15 min"`` or ``"it needs more memory than the ... available"``;
        None when the run may start.
    """
    available = available_memory_bytes() if available_bytes is None else available_bytes
    if available is not None and estimate.peak_bytes > available:
        return f"it needs more memory than the {_size(available)} available"
    if estimate.seconds > CONFIRM_SECONDS:
        return f"it would take more than {_duration(CONFIRM_SECONDS)}"
    return None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.2f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _size(n_bytes: float) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes:.0f} bytes"


def _count(value: float) -> str:
    if value >= 1e9:
        return f"{value / 1e9:.1f} billion"
    if value >= 1e6:
        return f"{value / 1e6:.1f} million"
    return f"{value:,.0f}"
