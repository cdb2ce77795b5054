"""Variants of a plan compared on common random numbers.

A :class:`Variant` is a scenario file with ``PATH=VALUE`` overrides
(:mod:`carefacility.scenario.overrides`): two files, or one file and a change of itself ("what
if Jiading built 3,000 nursing beds?"). :func:`compare_variants` loads and checks every
variant first (all problems at once), projects each distinct population once, prepares each
variant, and runs every variant's replications on one pool of workers
(:func:`carefacility.runner.executors.run_batches`, one :class:`Batch` per variant) with the
same seed and the same replication indices.

Common random numbers
---------------------
A replication draws only from named streams keyed by ``(seed, replication, name)``
(:mod:`carefacility.base.streams`), never by what happened before, so replication ``r`` of
every variant draws the same numbers from each stream. Common to plans of different capacity
(same population and demand) are:

* ``arrivals.<period>`` — how many apply, when, in which zone and at which care level;
* ``arrivals.attributes.<period>`` — who is aged 80+ or has a low income;
* ``waiting_list.exits.<period>`` — when each applicant would die or withdraw while waiting;
* ``stays.<period>``, ``stays.initial`` — lengths of stay, where the scenario gives them
  (``simulation.stays``);
* ``initial_waiting_list``, ``waiting_list.exits.initial`` — the starting waiting list;
* ``day_centre.demand``, ``meal_point.demand`` (and ``*.demand_no_site``) — the daily services'
  demand.

So every variant meets the same applicants: a difference between two plans is the plans', not
the luck of the draw. Not common, because they are drawn in the order events happen and the
events differ between plans: ``residents`` (level changes, deaths and discharges of residents
under the care-level chain) once the plans admit different people, and ``initial_residents``
when the plans start with different beds. A variant that changes the population or the need
changes the arrivals' rates, and then only the uniforms behind them are shared.

The difference between a variant and the baseline (the first variant) is taken replication by
replication and its 95 % interval is Student's t over those paired differences
(:func:`paired_differences`): with common random numbers it is much narrower than the two
variants' own intervals suggest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carefacility._version import __version__
from carefacility.base.errors import Problem, ScenarioError
from carefacility.base.progress import Progress
from carefacility.population.projection import PopulationProjection, project_populations
from carefacility.queueing.distributions import student_t_ppf
from carefacility.runner.executors import Batch, Executor, run_batches
from carefacility.runner.prepare import PreparedRun, prepare_run
from carefacility.runner.replicate import replicate
from carefacility.runner.results import KPI_COLUMNS, RunResult, summarise_replications
from carefacility.runner.simulation import _without_population_metrics
from carefacility.scenario.loader import Scenario, validate_scenario
from carefacility.scenario.overrides import override_label, read_overrides
from carefacility.targets.scorecard import scorecard

__all__ = ["COMMON_FIELDS", "DIFFERENCE_COLUMNS", "VARIANT_NAME", "CompareResult", "Variant",
           "VariantError", "as_variants", "check_comparable", "compare_variants",
           "load_variants", "paired_differences", "prepare_variants", "replicate_variants",
           "scorecards_side_by_side", "stack_kpis", "summarise_variant", "variant_label",
           "variants_from_arguments"]

DIFFERENCE_COLUMNS = ["variant", "baseline", "year", "metric", "mean_difference", "ci_low",
                      "ci_high", "replications", "unit"]
"""Columns of :func:`paired_differences`."""

COMMON_FIELDS = (("simulation", "seed"), ("simulation", "replications"))
"""Fields common to all variants (common random numbers need the same seed and replication
indices): set for all with ``--seed``, ``--replications`` or ``--set``, never by one variant."""

VARIANT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
"""What a variant's name may be: letters, digits, ``_``, ``.`` and ``-`` (it names columns and
folders)."""


class VariantError(ValueError):
    """Variants that cannot be compared (a name twice, different start dates or years); the
    message says which and why."""


@dataclass(frozen=True)
class Variant:
    """A scenario file with overrides of its own.

    Attributes
    ----------
    name : str
        Names the variant in tables, charts and folders (:data:`VARIANT_NAME`).
    scenario_file : pathlib.Path
        The scenario's YAML file.
    overrides : tuple of str
        ``PATH=VALUE`` changes of this variant (applied after the overrides common to all).
    argument : str
        How the command line gave the overrides, put before an override's text where its
        problems are reported (``"--variant more_beds:"``); by default they are reported at
        ``--set PATH=VALUE``.
    positions : dict of str to (str, int, int), optional
        Where each override stands in a file (a sweep file): ``text -> (file, line, column)``;
        its problems are reported there.
    """

    name: str
    scenario_file: Path
    overrides: tuple[str, ...] = ()
    argument: str = field(default="", compare=False)
    positions: Mapping[str, tuple[str, int, int]] | None = field(default=None, compare=False,
                                                                  repr=False)


def variant_label(overrides: Iterable[str]) -> str:
    """A variant's overrides as one short text (empty without overrides)."""
    return override_label(list(overrides))


def as_variants(items: Iterable[Variant | str | Path]) -> list[Variant]:
    """Variants from files and variants: a file is a variant named by its file's stem
    (``jiading.yaml`` → ``jiading``; ``jiading-2`` for the second of that name).

    Raises
    ------
    VariantError
        When two variants have the same name or a name is not allowed.
    TypeError
        For anything else than a path or a :class:`Variant`.
    """
    out: list[Variant] = []
    taken: set[str] = set()
    given = list(items)
    named = {item.name for item in given if isinstance(item, Variant)}
    for item in given:
        if isinstance(item, Variant):
            variant = dataclasses.replace(item, scenario_file=Path(item.scenario_file))
        elif isinstance(item, str | Path):
            stem = re.sub(r"[^A-Za-z0-9_.\-]+", "_", Path(item).stem).strip("._-") or "scenario"
            name, number = stem, 1
            while name in taken or name in named:
                number += 1
                name = f"{stem}-{number}"
            variant = Variant(name, Path(item))
        else:
            raise TypeError(f"a variant is a scenario file or a Variant, not {type(item).__name__}")
        if not VARIANT_NAME.match(variant.name):
            raise VariantError(f"variant name {variant.name!r}: use letters, digits, '_', '.' "
                               "and '-' (it names table columns and folders)")
        if variant.name in taken:
            raise VariantError(f"variant name {variant.name!r} is given twice; each variant "
                               "needs its own name")
        taken.add(variant.name)
        out.append(variant)
    if not out:
        raise VariantError("no variants: give at least one scenario file")
    return out


def variants_from_arguments(files: Sequence[str | Path], variant_texts: Sequence[str] = ()
                            ) -> tuple[list[Variant], list[Problem]]:
    """The variants of ``carefacility compare FILE ... --variant NAME:PATH=VALUE ...``.

    Each file is a variant named by its stem; each ``--variant NAME:PATH=VALUE`` adds the
    override to the variant ``NAME`` of the first file (the same name given again adds another
    override to it), so one file can be compared with a change of itself.

    Returns
    -------
    (list of Variant, list of Problem)
        The variants (files first, then the named ones in the order first given), and the
        problems of malformed ``--variant`` arguments (no ``NAME:``, a name that is not
        allowed, or one that is already a file's), located at the argument.
    """
    problems: list[Problem] = []
    try:
        variants = as_variants(list(files))
    except VariantError as error:
        return [], [Problem("FILE", 0, 0, "(files)", str(error))]
    taken = {variant.name for variant in variants}
    named: dict[str, list[str]] = {}
    for text in variant_texts:
        name, colon, change = str(text).partition(":")
        name = name.strip()
        where = f"--variant {text}"
        if not colon or not VARIANT_NAME.match(name) or "=" in name:
            problems.append(Problem(where, 0, 0, "--variant", (
                "expected NAME:PATH=VALUE (a name of letters, digits, '_', '.' and '-', a "
                "colon, then the change), e.g. more_beds:plan.care_homes[0].beds.nursing=3000")))
            continue
        if name in taken:
            problems.append(Problem(where, 0, 0, "--variant", (
                f"{name!r} is already the name of a scenario file's variant; give the changed "
                "variant another name")))
            continue
        named.setdefault(name, []).append(change.strip())
    if named and not variants:
        problems.append(Problem("--variant", 0, 0, "--variant",
                                "a --variant changes the first scenario file: give one"))
        return [], problems
    variants += [Variant(name, variants[0].scenario_file, tuple(changes),
                         argument=f"--variant {name}:") for name, changes in named.items()]
    return variants, problems


def _own_problems(variant: Variant, problem: Problem) -> Problem:
    """A problem of one of the variant's own overrides, located as the variant says."""
    for text in variant.overrides:
        if problem.file != f"--set {text}":
            continue
        if variant.positions and text in variant.positions:
            file, line, column = variant.positions[text]
            return dataclasses.replace(problem, file=file, line=line, column=column,
                                       message=f"{text}: {problem.message}")
        if variant.argument:
            return dataclasses.replace(problem, file=f"{variant.argument}{text}")
    return problem


def _common_field_problems(variant: Variant) -> list[Problem]:
    """A variant's own override of a field common to all variants (:data:`COMMON_FIELDS`)."""
    parsed, _ = read_overrides(variant.overrides)
    problems = []
    for override in parsed:
        if tuple(override.path) in COMMON_FIELDS:
            name = ".".join(str(part) for part in override.path)
            option = "--seed" if name.endswith("seed") else "--replications"
            problems.append(Problem(
                f"--set {override.text}", 0, 0, name,
                f"{name} is common to all variants (common random numbers need the same seed "
                f"and replications): give it with {option} or --set, not for one variant"))
    return problems


def load_variants(variants: Sequence[Variant], overrides: Sequence[str] = ()
                  ) -> list[Scenario]:
    """Load and validate every variant; every problem of every variant at once.

    Parameters
    ----------
    variants : sequence of Variant
    overrides : sequence of str
        ``PATH=VALUE`` changes applied to every variant (before its own).

    Returns
    -------
    list of Scenario
        In the order of ``variants``.

    Raises
    ------
    ScenarioError
        Listing the problems of all variants (a problem shared by several variants, such as
        one of the common overrides, once).
    """
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for variant in variants:
        own = [_own_problems(variant, problem) for problem in _common_field_problems(variant)]
        scenario, found = validate_scenario(variant.scenario_file,
                                            [*overrides, *variant.overrides])
        problems += own + [_own_problems(variant, problem) for problem in found]
        if scenario is not None:
            scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def check_comparable(variants: Sequence[Variant], scenarios: Sequence[Scenario]) -> None:
    """Check that the variants can be run side by side and compared year by year.

    Raises
    ------
    VariantError
        When a variant has no ``plan`` and ``simulation`` sections, or the variants differ in
        ``simulation.start_date`` or ``simulation.years`` (the message lists each variant's).
    """
    for variant, scenario in zip(variants, scenarios, strict=True):
        if scenario.plan is None or scenario.spec.simulation is None:
            raise VariantError(f"variant {variant.name} ({variant.scenario_file}): no `plan` "
                               "and `simulation` sections to simulate")
    periods = {(s.spec.simulation.start_date, s.spec.simulation.years)  # type: ignore[union-attr]
               for s in scenarios}
    if len(periods) > 1:
        listed = "; ".join(
            f"{v.name}: start {s.spec.simulation.start_date}, "  # type: ignore[union-attr]
            f"{s.spec.simulation.years} years"  # type: ignore[union-attr]
            for v, s in zip(variants, scenarios, strict=True))
        raise VariantError("the variants must share simulation.start_date and "
                           f"simulation.years to be compared year by year ({listed}); set "
                           "them alike, e.g. --set simulation.years=10")


def _population_key(scenario: Scenario) -> str | None:
    """What a scenario's projection depends on, as a digest: its populations as read (every
    table's numbers, not the file names) and the demand basis; None without a population."""
    if scenario.population is None:
        return None
    payload = pickle.dumps((scenario.populations, scenario.demand_basis), protocol=5)
    return hashlib.sha256(payload).hexdigest()


def prepare_variants(scenarios: Sequence[Scenario], *, progress: Progress | None = None
                     ) -> tuple[list[PreparedRun], list[PopulationProjection | None]]:
    """Prepare every variant, projecting each distinct population once.

    Variants whose populations are the same (the same numbers in every table, and the same
    demand basis: typically variants that differ in ``plan``, ``simulation``, ``need``,
    ``services`` or ``targets`` only) share one projection.

    Parameters
    ----------
    scenarios : sequence of Scenario
    progress : Progress, optional
        Times the stages ``project`` and ``prepare``.

    Returns
    -------
    (list of PreparedRun, list of PopulationProjection or None)
        In the order of ``scenarios``.
    """
    progress = progress if progress is not None else Progress()
    projections: dict[str, PopulationProjection] = {}
    chosen: list[PopulationProjection | None] = []
    with progress.stage("project"):
        for scenario in scenarios:
            key = _population_key(scenario)
            if key is None:
                chosen.append(None)
                continue
            if key not in projections:
                projections[key] = project_populations(scenario.populations,
                                                       scenario.demand_basis)
            chosen.append(projections[key])
    with progress.stage("prepare", total=len(scenarios)) as stage:
        prepared = []
        for scenario, projection in zip(scenarios, chosen, strict=True):
            prepared.append(prepare_run(scenario, projection))
            stage.advance()
    return prepared, chosen


def replicate_variants(prepared: Sequence[PreparedRun], *, replications: int, seed: int,
                       executor: Executor = "processes", workers: int | None = None,
                       dask_address: str | None = None, progress: Progress | None = None,
                       on_variant: Callable[[int, pd.DataFrame], None] | None = None
                       ) -> list[pd.DataFrame]:
    """Run replications ``0 .. replications - 1`` of every prepared variant, all on one pool.

    Parameters
    ----------
    prepared : sequence of PreparedRun
    replications : int
        Replications of each variant (≥ 1).
    seed : int
        The seed of every variant (≥ 0).
    executor, workers, dask_address
        As for :func:`carefacility.runner.executors.run_batches`.
    progress : Progress, optional
        Counts the replications of all variants as the stage ``replications``.
    on_variant : callable, optional
        ``on_variant(number, per_replication)``, called in this process as soon as every
        replication of variant ``number`` is in (its ``replication, year, metric, value,
        unit`` rows, sorted as the result): a sweep stores the variant there.

    Returns
    -------
    list of pandas.DataFrame
        Each variant's ``replication, year, metric, value, unit``.
    """
    progress = progress if progress is not None else Progress()
    if not prepared:
        return []
    batches = [Batch(inputs, list(range(replications))) for inputs in prepared]
    pending: dict[int, dict[int, pd.DataFrame]] = {number: {} for number in range(len(batches))}

    def collect(number: int, replication: int, frame: pd.DataFrame) -> None:
        if on_variant is None:
            return
        done = pending[number]
        done[replication] = frame
        if len(done) == replications:
            on_variant(number, _stack(done))
            pending[number] = {}

    with progress.stage("replications", total=len(batches) * replications) as stage:
        return run_batches(replicate, batches, seed=seed, executor=executor, workers=workers,
                           dask_address=dask_address, on_done=stage.advance,
                           on_result=collect)


def _stack(frames: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """One variant's replications as :func:`run_batches` stacks them."""
    parts = []
    for replication in sorted(frames):
        part = frames[replication].copy()
        part.insert(0, "replication", replication)
        parts.append(part)
    joined = pd.concat(parts, ignore_index=True)
    return joined.sort_values(["replication", "year", "metric"], kind="stable",
                              ignore_index=True)


def summarise_variant(scenario: Scenario, prepared: PreparedRun,
                      projection: PopulationProjection | None, per_replication: pd.DataFrame,
                      *, seed: int, replications: int, name: str = "",
                      executor: str = "processes") -> RunResult:
    """A variant's replications as :func:`carefacility.run` would summarise them: KPIs with
    95 % CIs and, with targets, the scorecard.

    Returns
    -------
    RunResult
        ``kpis``, ``per_replication``, ``tables`` (the prepared tables and the scorecard) and
        ``metadata``; the other eligibility rule is not run for a variant.
    """
    if projection is None:
        per_replication = _without_population_metrics(per_replication)
    kpis = summarise_replications(per_replication)
    tables = dict(prepared.tables)
    simulation = scenario.spec.simulation
    assert simulation is not None
    if scenario.spec.targets:
        tables["scorecard"] = scorecard(scenario.spec.targets, kpis,
                                        cross_check=tables.get("analytic_cross_check"),
                                        threshold_days=simulation.admitted_within_days)
    metadata = {
        "variant": name,
        "scenario": scenario.name,
        "scenario_file": str(scenario.file),
        "overrides": list(scenario.overrides),
        "carefacility_version": __version__,
        "seed": seed,
        "replications": replications,
        "executor": executor,
        "start_date": simulation.start_date.isoformat(),
        "years": simulation.years,
        "population": projection is not None,
    }
    return RunResult(per_replication=per_replication, kpis=kpis, metadata=metadata,
                     tables=tables, scenario=scenario, projection=projection)


def paired_differences(per_replication: Mapping[str, pd.DataFrame], baseline: str, *,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Each variant minus the baseline, replication by replication, with a t interval.

    For every variant other than ``baseline``, year and metric: the differences
    ``d_r = x_r(variant) − x_r(baseline)`` over the replications ``r`` both have (a value
    undefined in either, e.g. a wait quantile in a year without admissions, is left out),
    their mean and the interval ``mean ± t(n − 1) s_d / sqrt(n)``. With common random numbers
    the two variants' values move together, so ``s_d`` is far smaller than the spread of
    either: the paired interval is much narrower than one from two independent runs.

    Parameters
    ----------
    per_replication : mapping of str to pandas.DataFrame
        Each variant's ``replication, year, metric, value, unit``, by name, in order.
    baseline : str
        The variant the others are compared with.
    confidence : float
        Coverage of the interval (0.95 = 95 %).

    Returns
    -------
    pandas.DataFrame
        :data:`DIFFERENCE_COLUMNS`: ``variant, baseline, year, metric, mean_difference,
        ci_low, ci_high, replications, unit`` (the variant's unit; a difference of shares is in
        shares, not truncated to [0, 1]). With one pair, or differences that are all equal
        (plan arithmetic), the interval is the mean itself.
    """
    base = per_replication[baseline][["replication", "year", "metric", "value"]]
    parts = []
    for name, frame in per_replication.items():
        if name == baseline:
            continue
        paired = frame.merge(base, on=["replication", "year", "metric"], how="inner",
                             suffixes=("", "_baseline"))
        paired["difference"] = paired["value"] - paired["value_baseline"]
        grouped = paired.groupby(["year", "metric", "unit"], sort=True)["difference"]
        n = grouped.count()
        mean = grouped.mean()
        sd = grouped.std(ddof=1).fillna(0.0)
        counts = n.to_numpy()
        quantile = student_t_ppf(0.5 + confidence / 2, np.maximum(counts - 1, 1))
        half = np.where(counts > 1, quantile * sd.to_numpy() / np.sqrt(np.maximum(counts, 1)),
                        0.0)
        out = pd.DataFrame({"mean_difference": mean.to_numpy(),
                            "ci_low": mean.to_numpy() - half,
                            "ci_high": mean.to_numpy() + half,
                            "replications": counts}, index=mean.index).reset_index()
        out.insert(0, "baseline", baseline)
        out.insert(0, "variant", name)
        parts.append(out)
    if not parts:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[DIFFERENCE_COLUMNS]


_CARD_KEYS = ["target", "year", "metric", "comparison", "threshold"]


def scorecards_side_by_side(scorecards: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """The variants' scorecards in one table: a row per target and year, and for each variant
    its status (``status.<variant>``) and simulated mean (``mean.<variant>``).

    Parameters
    ----------
    scorecards : mapping of str to pandas.DataFrame or None
        Each variant's scorecard (:func:`carefacility.targets.scorecard.scorecard`) by name,
        in order; None for a variant without targets.

    Returns
    -------
    pandas.DataFrame
        ``target, label, year, metric, comparison, threshold`` then the variants' columns; a
        target a variant does not have is blank in its columns. Empty without any target.
    """
    wide: pd.DataFrame | None = None
    labels: dict[str, str] = {}
    for name, card in scorecards.items():
        if card is None or card.empty:
            continue
        for target, text in zip(card["target"], card["label"], strict=True):
            labels.setdefault(str(target), str(text))
        part = card[[*_CARD_KEYS, "status", "simulated_mean"]].rename(
            columns={"status": f"status.{name}", "simulated_mean": f"mean.{name}"})
        wide = part if wide is None else wide.merge(part, on=_CARD_KEYS, how="outer",
                                                    sort=False)
    if wide is None:
        return pd.DataFrame(columns=["target", "label", *_CARD_KEYS[1:]])
    wide.insert(1, "label", wide["target"].astype(str).map(labels))
    return wide.reset_index(drop=True)


@dataclass(frozen=True)
class CompareResult:
    """What :func:`compare_variants` (``cf.compare``) returns.

    Attributes
    ----------
    variants : tuple of Variant
        In order; the first is the baseline.
    results : dict of str to RunResult
        Each variant's run (KPIs, per-replication KPIs, scorecard), by name.
    kpis : pandas.DataFrame
        ``variant, year, metric, mean, ci_low, ci_high, unit, replications``.
    differences : pandas.DataFrame
        Each variant minus the baseline, paired by replication (:func:`paired_differences`).
    scorecards : pandas.DataFrame
        The scorecards side by side (:func:`scorecards_side_by_side`).
    metadata : dict
        Seed, replications, each variant's file and overrides, version, stage seconds.
    """

    variants: tuple[Variant, ...]
    results: dict[str, RunResult]
    kpis: pd.DataFrame
    differences: pd.DataFrame
    scorecards: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        """The name of the variant the others are compared with (the first)."""
        return self.variants[0].name

    def summary(self, metric: str = "share_served_within_threshold") -> pd.DataFrame:
        """One KPI's means by year (rows) and variant (columns, in order)."""
        rows = self.kpis[self.kpis["metric"] == metric]
        table = rows.pivot(index="year", columns="variant", values="mean")
        return table[[v.name for v in self.variants if v.name in table.columns]]


def stack_kpis(kpis: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The variants' KPI tables in one: ``variant`` first, then :data:`KPI_COLUMNS`."""
    parts = [frame.assign(variant=name)[["variant", *KPI_COLUMNS]]
             for name, frame in kpis.items()]
    return pd.concat(parts, ignore_index=True)


def compare_variants(items: Sequence[Variant | str | Path], *, overrides: Sequence[str] = (),
                     replications: int | None = None, seed: int | None = None,
                     executor: Executor = "processes", workers: int | None = None,
                     dask_address: str | None = None, progress: Progress | None = None,
                     scenarios: Sequence[Scenario] | None = None) -> CompareResult:
    """Run several variants with the same seed and replications, and compare them.

    Parameters
    ----------
    items : sequence of Variant, str or pathlib.Path
        The variants (a file is a variant without overrides of its own); the first is the
        baseline.
    overrides : sequence of str
        ``PATH=VALUE`` changes applied to every variant (``--set``).
    replications, seed : int, optional
        Common to all variants; by default the baseline's ``simulation.replications`` and
        ``simulation.seed`` (after ``overrides``).
    executor, workers, dask_address
        Where replications run (all variants on one pool); results do not depend on it.
    progress : Progress, optional
        Times (and shows) the stages ``load``, ``project``, ``prepare``, ``replications`` (all
        variants' together, with the time left) and ``summary``.
    scenarios : sequence of Scenario, optional
        The variants already loaded (:func:`load_variants`), so that they are not loaded
        again.

    Returns
    -------
    CompareResult

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Every problem of every variant (files and overrides), before anything runs.
    VariantError
        When the variants cannot be compared (:func:`check_comparable`, :func:`as_variants`).
    """
    started = time.perf_counter()
    progress = progress if progress is not None else Progress()
    variants = as_variants(items)
    if scenarios is None:
        with progress.stage("load"):
            scenarios = load_variants(variants, overrides)
    check_comparable(variants, scenarios)
    baseline = scenarios[0].spec.simulation
    assert baseline is not None
    seed = baseline.seed if seed is None else int(seed)
    replications = baseline.replications if replications is None else int(replications)
    prepared, projections = prepare_variants(scenarios, progress=progress)
    frames = replicate_variants(prepared, replications=replications, seed=seed,
                                executor=executor, workers=workers, dask_address=dask_address,
                                progress=progress)
    with progress.stage("summary"):
        results = {
            variant.name: summarise_variant(scenario, inputs, projection, frame, seed=seed,
                                            replications=replications, name=variant.name,
                                            executor=executor)
            for variant, scenario, inputs, projection, frame in zip(
                variants, scenarios, prepared, projections, frames, strict=True)}
        kpis = stack_kpis({name: result.kpis for name, result in results.items()})
        differences = paired_differences(
            {name: result.per_replication for name, result in results.items()},
            variants[0].name)
        cards = scorecards_side_by_side({name: result.scorecard
                                         for name, result in results.items()})
    metadata = {
        "carefacility_version": __version__,
        "seed": seed,
        "replications": replications,
        "executor": executor,
        "baseline": variants[0].name,
        "overrides": list(overrides),
        "start_date": baseline.start_date.isoformat(),
        "years": baseline.years,
        "projections": len({id(p) for p in projections if p is not None}),
        "variants": [{"name": variant.name, "scenario_file": str(variant.scenario_file),
                      "scenario": scenario.name, "overrides": list(variant.overrides),
                      "label": variant_label(variant.overrides)}
                     for variant, scenario in zip(variants, scenarios, strict=True)],
        "duration_seconds": round(time.perf_counter() - started, 3),
        "stage_seconds": {name: round(value, 3) for name, value in progress.seconds.items()},
    }
    return CompareResult(variants=tuple(variants), results=results, kpis=kpis,
                         differences=differences, scorecards=cards, metadata=metadata)
