"""Sweeps: many variants of one scenario, each stored as it finishes, resumable.

A sweep's variants are the full factorial of its grid axes (``--grid PATH=V1,V2,...``) and
any variants listed by name in a sweep file (:mod:`carefacility.scenario.sweep_file`). All are
loaded and checked before anything runs (every problem at once), each distinct population is
projected once, and every variant's replications run on one pool of workers with the same
seed and replication indices (common random numbers, :mod:`carefacility.runner.variants`).

Resuming
--------
As soon as the last replication of a variant is in, the variant is handed to a
:class:`SweepStore` (the output folder's ``variants/<variant_id>/``,
:class:`carefacility.report.sweep_store.FolderStore`) with its *key*: what produced it
(:func:`variant_key`: the sha256 of the scenario file and of every table it names, the
overrides, the seed, the replications and the carefacility version). Run again, the sweep
reads back every variant whose stored key equals its key and runs only the others: a variant
whose file, overrides, seed or replications changed is run again; an interrupted sweep (Ctrl-C,
a killed worker, a killed process) loses only the variants that had not finished. The sweep's
tables are always made from the stored variants, so a resumed sweep gives the same tables as
one that ran without a break.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from carefacility._version import __version__
from carefacility.base.errors import Problem, ScenarioError
from carefacility.base.files import input_file, is_file_key
from carefacility.base.progress import Progress
from carefacility.base.yaml_source import read_yaml
from carefacility.runner.executors import Executor
from carefacility.runner.results import KPI_COLUMNS
from carefacility.runner.variants import (
    Variant,
    load_variants,
    prepare_variants,
    replicate_variants,
    summarise_variant,
    variant_label,
)
from carefacility.scenario.loader import Scenario
from carefacility.scenario.sweep_file import (
    MAX_GRID_VARIANTS,
    GridAxis,
    SweepFile,
    grid_size,
    is_sweep_file,
    parse_grid,
    read_sweep_file,
    same_field_problems,
    value_text,
)

__all__ = ["MemoryStore", "SweepDesign", "SweepResult", "SweepStore", "SweepVariant",
           "VariantOutcome", "load_sweep", "run_sweep", "scenario_fingerprint", "sweep_design",
           "sweep_scorecard", "sweep_table", "variant_id", "variant_key"]


@dataclass(frozen=True)
class SweepVariant:
    """One variant of a sweep.

    Attributes
    ----------
    variant : Variant
        Its name is the variant's id (:func:`variant_id`): its folder's name and its value in
        the ``variant`` column.
    grid : dict of str to str
        The value of each grid path in this variant (as override text); a listed variant has
        the values its own overrides give those paths, else none.
    label : str
        Its own overrides in short (``beds.nursing=2500, admitted_within_days=60``).
    """

    variant: Variant
    grid: dict[str, str] = field(default_factory=dict)
    label: str = ""

    @property
    def variant_id(self) -> str:
        """The variant's id (its folder's name)."""
        return self.variant.name


_SLUG = re.compile(r"[^A-Za-z0-9_.=\-]+")


def variant_id(overrides: Sequence[str]) -> str:
    """A stable, readable id of a grid variant, made from its own overrides only: the last
    key of each path with its value, and 8 hex digits of the sha256 of all of them (two
    variants have the same id only when their overrides are the same).

    >>> variant_id(["plan.care_homes[0].beds.nursing=2500", "simulation.seed_x=1"])[:22]
    'nursing=2500_seed_x=1-'
    """
    digest = hashlib.sha256("\n".join(overrides).encode("utf-8")).hexdigest()[:8]
    parts = []
    for text in overrides:
        path_text, _, value = text.partition("=")
        key = [part for part in re.split(r"[.\[\]]+", path_text) if part][-1:] or ["value"]
        parts.append(f"{key[0]}={value.strip()}")
    slug = _SLUG.sub("-", "_".join(parts)).strip("-_.")[:60].rstrip("-_.")
    return f"{slug}-{digest}" if slug else digest


@dataclass(frozen=True)
class SweepDesign:
    """What to sweep.

    Attributes
    ----------
    scenario_file : pathlib.Path
        The base scenario.
    axes : tuple of GridAxis
        The grid (full factorial); may be empty when ``variants`` are listed.
    variants : tuple of Variant
        Variants listed by name (beside the grid's).
    overrides : tuple of str
        Applied to every variant first (``--set``, a sweep file's ``set:``).
    replications, seed : int, optional
        Common to all variants; by default the base scenario's (after ``overrides``).
    out_dir : pathlib.Path, optional
        The output folder a sweep file names (``out:``).
    positions : dict of str to (str, int, int)
        Where the common overrides stand in a sweep file (their problems are reported there).
    """

    scenario_file: Path
    axes: tuple[GridAxis, ...] = ()
    variants: tuple[Variant, ...] = ()
    overrides: tuple[str, ...] = ()
    replications: int | None = None
    seed: int | None = None
    out_dir: Path | None = None
    positions: dict[str, tuple[str, int, int]] = field(default_factory=dict, compare=False,
                                                      repr=False)

    @classmethod
    def from_file(cls, sweep: SweepFile, *, overrides: Sequence[str] = (),
                  replications: int | None = None, seed: int | None = None) -> SweepDesign:
        """The design of a sweep file; command-line ``overrides`` (``--set``) come after the
        file's ``set:``, and ``replications`` / ``seed`` replace the file's."""
        listed = tuple(Variant(item.name, sweep.scenario_file, item.overrides,
                               positions=item.positions) for item in sweep.variants)
        return cls(sweep.scenario_file, axes=sweep.axes, variants=listed,
                   overrides=(*sweep.overrides, *overrides),
                   replications=sweep.replications if replications is None else replications,
                   seed=sweep.seed if seed is None else seed, out_dir=sweep.out_dir,
                   positions=sweep.positions)

    @property
    def size(self) -> int:
        """How many variants the sweep has."""
        return (grid_size(self.axes) if self.axes else 0) + len(self.variants)

    def sweep_variants(self) -> list[SweepVariant]:
        """Every variant: the grid's (the first axis varying slowest), then the listed ones.

        Raises
        ------
        ScenarioError
            When two variants would have the same id (a listed name equal to a grid
            variant's id).
        """
        out: list[SweepVariant] = []
        if self.axes:
            for values in itertools.product(*(axis.values for axis in self.axes)):
                own = tuple(f"{axis.path}={value}" for axis, value in
                            zip(self.axes, values, strict=True))
                positions = {text: axis.positions[text] for axis, text in
                             zip(self.axes, own, strict=True) if text in axis.positions}
                argument = "--grid " if not positions else ""
                variant = Variant(variant_id(own), self.scenario_file, own, argument=argument,
                                  positions=positions or None)
                out.append(SweepVariant(variant, dict(zip(
                    [axis.path for axis in self.axes], values, strict=True)),
                    variant_label(own)))
        for listed in self.variants:
            grid = {}
            for text in listed.overrides:
                path_text, _, value = text.partition("=")
                if any(axis.path == path_text.strip() for axis in self.axes):
                    grid[path_text.strip()] = value.strip()
            out.append(SweepVariant(listed, grid, variant_label(listed.overrides)))
        ids: dict[str, int] = {}
        problems = []
        for item in out:
            if item.variant_id in ids:
                problems.append(Problem(str(item.variant.scenario_file), 0, 0, "variants",
                                        f"two variants are named {item.variant_id!r}; give "
                                        "each its own name"))
            ids[item.variant_id] = 1
        if problems:
            raise ScenarioError(problems)
        return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _named_files(data: Any) -> Iterable[str]:
    """The file paths a scenario's data names (``csv``, ``*_csv`` keys), in order."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if is_file_key(key) and isinstance(value, str):
                    yield value
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def scenario_fingerprint(scenario_file: str | Path) -> dict[str, Any]:
    """The sha256 of a scenario file and of every table file it names.

    Returns
    -------
    dict
        ``{"scenario_sha256": ..., "input_files_sha256": {path as written: sha256}}``; a
        table that cannot be found is left out (loading the scenario reports it).
    """
    path = Path(scenario_file)
    files: dict[str, str] = {}
    doc, _ = read_yaml(path)
    if doc is not None:
        allow = doc.data.get("allow_files_outside") is True if isinstance(doc.data,
                                                                          dict) else False
        for given in sorted(set(_named_files(doc.data))):
            resolved, refused = input_file(path.resolve().parent, given, allow_outside=allow)
            if refused is None and resolved is not None and resolved.is_file():
                files[given] = _sha256(resolved)
    return {"scenario_sha256": _sha256(path), "input_files_sha256": files}


def variant_key(fingerprint: dict[str, Any], overrides: Sequence[str], *, seed: int,
                replications: int) -> dict[str, Any]:
    """What produced a variant's results: a stored variant is used again only when its key is
    equal to this.

    Parameters
    ----------
    fingerprint : dict
        :func:`scenario_fingerprint` of the scenario file.
    overrides : sequence of str
        Every override applied, in order (the common ones, then the variant's).
    seed, replications : int

    Returns
    -------
    dict
        ``scenario_sha256, input_files_sha256, overrides, seed, replications,
        carefacility_version`` (the executor and worker count are not in it: results do not
        depend on them).
    """
    return {**fingerprint, "overrides": list(overrides), "seed": int(seed),
            "replications": int(replications), "carefacility_version": __version__}


@dataclass(frozen=True)
class VariantOutcome:
    """A finished variant as stored.

    Attributes
    ----------
    per_replication : pandas.DataFrame
        ``replication, year, metric, value, unit``.
    kpis : pandas.DataFrame
        :data:`carefacility.runner.results.KPI_COLUMNS`.
    scorecard : pandas.DataFrame or None
        Without targets, None.
    about : dict
        The key and what else describes the variant (id, label, file, seconds).
    """

    per_replication: pd.DataFrame
    kpis: pd.DataFrame
    scorecard: pd.DataFrame | None
    about: dict[str, Any]


class SweepStore(Protocol):
    """Where a sweep keeps its finished variants (:class:`MemoryStore`, or the output folder's
    ``variants/``: :class:`carefacility.report.sweep_store.FolderStore`)."""

    def load(self, variant_id: str, key: dict[str, Any]) -> VariantOutcome | None:
        """The stored variant if its key equals ``key``, else None."""

    def save(self, variant_id: str, outcome: VariantOutcome) -> None:
        """Store a finished variant (``outcome.about["key"]`` is its key), all or nothing."""


class MemoryStore:
    """Keeps finished variants in memory (a sweep without an output folder)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, VariantOutcome] = {}

    def load(self, variant_id: str, key: dict[str, Any]) -> VariantOutcome | None:
        """The stored variant if its key equals ``key``."""
        found = self.outcomes.get(variant_id)
        return found if found is not None and found.about.get("key") == key else None

    def save(self, variant_id: str, outcome: VariantOutcome) -> None:
        """Keep a finished variant."""
        self.outcomes[variant_id] = outcome


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` (``cf.sweep``) returns.

    Attributes
    ----------
    design : SweepDesign
    variants : list of SweepVariant
        In the sweep's order.
    outcomes : dict of str to VariantOutcome
        Every variant's stored results, by id.
    table : pandas.DataFrame
        One column per grid path, then ``variant, year, metric, mean, ci_low, ci_high, unit,
        replications`` (:func:`sweep_table`).
    scorecard : pandas.DataFrame
        The grid columns, ``variant`` and each variant's scorecard rows
        (:func:`sweep_scorecard`); empty without targets.
    metadata : dict
        Seed, replications, how many variants ran and how many were read back, seconds.
    """

    design: SweepDesign
    variants: list[SweepVariant]
    outcomes: dict[str, VariantOutcome]
    table: pd.DataFrame
    scorecard: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def _grid_frame(item: SweepVariant, axes: Sequence[GridAxis], rows: int) -> pd.DataFrame:
    return pd.DataFrame({axis.path: [item.grid.get(axis.path, "")] * rows for axis in axes})


def sweep_table(variants: Sequence[SweepVariant], outcomes: dict[str, VariantOutcome],
                axes: Sequence[GridAxis]) -> pd.DataFrame:
    """The variants' KPIs in one tidy table.

    Returns
    -------
    pandas.DataFrame
        One column per grid path (the value as given, text), then ``variant`` (its id),
        ``year, metric, mean, ci_low, ci_high, unit, replications``.
    """
    parts = []
    for item in variants:
        kpis = outcomes[item.variant_id].kpis[KPI_COLUMNS].reset_index(drop=True)
        grid = _grid_frame(item, axes, len(kpis))
        grid["variant"] = item.variant_id
        parts.append(pd.concat([grid, kpis], axis=1))
    columns = [*(axis.path for axis in axes), "variant", *KPI_COLUMNS]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(
        columns=columns)


def sweep_scorecard(variants: Sequence[SweepVariant], outcomes: dict[str, VariantOutcome],
                    axes: Sequence[GridAxis]) -> pd.DataFrame:
    """The variants' scorecards in one tidy table: the grid columns, ``variant``, then the
    scorecard's columns (:func:`carefacility.targets.scorecard.scorecard`)."""
    parts = []
    for item in variants:
        card = outcomes[item.variant_id].scorecard
        if card is None or card.empty:
            continue
        card = card.reset_index(drop=True)
        grid = _grid_frame(item, axes, len(card))
        grid["variant"] = item.variant_id
        parts.append(pd.concat([grid, card], axis=1))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*(axis.path for axis in axes), "variant"])


def load_sweep(design: SweepDesign, variants: Sequence[SweepVariant] | None = None
               ) -> list[Scenario]:
    """Load and check every variant of a sweep; every problem at once.

    Returns
    -------
    list of Scenario
        In the order of ``design.sweep_variants()`` (or of ``variants``).

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Every problem of every variant, a problem caused by a value of a sweep file located
        at that value's line, one of a ``--grid`` value at ``--grid PATH=VALUE``.
    """
    variants = design.sweep_variants() if variants is None else variants
    try:
        return load_variants([item.variant for item in variants], design.overrides)
    except ScenarioError as error:
        if not design.positions:
            raise
        raise ScenarioError([_at_position(problem, design.positions)
                             for problem in error.problems]) from None


def _at_position(problem: Problem, positions: dict[str, tuple[str, int, int]]) -> Problem:
    """A problem of a common override of a sweep file, located at its line."""
    text = problem.file.removeprefix("--set ")
    if problem.file.startswith("--set ") and text in positions:
        file, line, column = positions[text]
        return dataclasses.replace(problem, file=file, line=line, column=column,
                                   message=f"{text}: {problem.message}")
    return problem


def sweep_design(source: str | Path, *, grid: Sequence[str] | Mapping[str, Sequence[Any]] = (),
                 variants: Mapping[str, Sequence[str]] | None = None,
                 overrides: Sequence[str] = (), replications: int | None = None,
                 seed: int | None = None) -> tuple[SweepDesign, list[Scenario]]:
    """A sweep's design from a sweep file or a scenario file with a grid, with every variant
    loaded and checked.

    Parameters
    ----------
    source : str or pathlib.Path
        A sweep file (:mod:`carefacility.scenario.sweep_file`), or the base scenario file.
    grid : sequence of str or mapping
        With a scenario file: ``PATH=V1,V2,...`` texts (``--grid``), or a mapping of paths to
        lists of values (``{"simulation.admitted_within_days": [30, 60]}``).
    variants : mapping of str to sequence of str, optional
        With a scenario file: variants by name, each a list of ``PATH=VALUE`` changes.
    overrides : sequence of str
        Applied to every variant (``--set``; after a sweep file's ``set:``).
    replications, seed : int, optional
        Replace the sweep file's (or the scenario's) for every variant.

    Returns
    -------
    (SweepDesign, list of Scenario)
        The design and its variants loaded, in the order of ``design.sweep_variants()``.

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Every problem at once: of the sweep file, of the grid arguments (a field given twice,
        an empty value list, ...), and of every variant's scenario with its overrides (each
        located at its argument or at its line of the sweep file).
    """
    source = Path(source)
    problems: list[Problem] = []
    if is_sweep_file(source):
        if grid or variants:
            raise ScenarioError([Problem(str(source), 0, 0, "--grid", (
                "a sweep file gives its own grid and variants: put them into the file, or "
                "sweep the scenario file itself with --grid"))])
        design = SweepDesign.from_file(read_sweep_file(source), overrides=tuple(overrides),
                                       replications=replications, seed=seed)
        twice = same_field_problems(design.axes, design.scenario_file)
        if twice:
            raise ScenarioError(twice)
    else:
        texts = ([f"{path}={','.join(value_text(value) for value in values)}"
                  for path, values in grid.items()] if isinstance(grid, Mapping)
                 else list(grid))
        axes, problems = parse_grid(texts)
        twice = same_field_problems(axes, source)
        problems += twice
        # a field given twice: its later axis is not run (its problem says so)
        axes = [axis for axis in axes if not any(p.field == axis.path and p.file ==
                                                 axis.argument for p in twice)]
        listed = tuple(Variant(name, source, tuple(changes), argument=f"variants[{name}] ")
                       for name, changes in (variants or {}).items())
        if not texts and not listed:
            problems.append(Problem(str(source), 0, 0, "--grid", (
                "nothing to sweep: give --grid PATH=V1,V2,... (or a sweep file)")))
        design = SweepDesign(source, axes=tuple(axes), variants=listed,
                             overrides=tuple(overrides), replications=replications, seed=seed)
    if design.size > MAX_GRID_VARIANTS:
        problems.append(Problem(str(source), 0, 0, "--grid", (
            f"{design.size:,} variants; at most {MAX_GRID_VARIANTS:,} in one sweep")))
        raise ScenarioError(problems)
    try:
        scenarios = load_sweep(design) if design.size else []
    except ScenarioError as error:
        problems += error.problems
    if problems:
        raise ScenarioError(problems)
    return design, scenarios


def run_sweep(design: SweepDesign, *, store: SweepStore | None = None,
              executor: Executor = "processes", workers: int | None = None,
              dask_address: str | None = None, progress: Progress | None = None,
              scenarios: Sequence[Scenario] | None = None) -> SweepResult:
    """Run every variant of a sweep that the store does not hold yet; tabulate them all.

    Parameters
    ----------
    design : SweepDesign
    store : SweepStore, optional
        Where finished variants are kept and read back (by default in memory: nothing is
        resumed).
    executor, workers, dask_address
        Where replications run (all variants on one pool); the numbers do not depend on it.
    progress : Progress, optional
        Times (and shows) the stages ``load``, ``read back`` (the stored variants),
        ``project``, ``prepare``, ``replications`` (the replications of every variant to run,
        with the time left) and ``summary``.
    scenarios : sequence of Scenario, optional
        The variants already loaded, in the order of ``design.sweep_variants()``.

    Returns
    -------
    SweepResult

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Every problem of every variant (the scenario and the overrides), before anything runs.
    """
    started = time.perf_counter()
    progress = progress if progress is not None else Progress()
    store = store if store is not None else MemoryStore()
    variants = design.sweep_variants()
    if scenarios is None:
        with progress.stage("load"):
            scenarios = load_sweep(design, variants)
    base = scenarios[0].spec.simulation
    if base is None or any(s.plan is None or s.spec.simulation is None for s in scenarios):
        raise ValueError(f"{design.scenario_file}: a sweep needs `plan` and `simulation` "
                         "sections")
    seed = base.seed if design.seed is None else int(design.seed)
    replications = base.replications if design.replications is None else int(
        design.replications)
    with progress.stage("read back"):
        fingerprint = scenario_fingerprint(design.scenario_file)
        keys = {item.variant_id: variant_key(fingerprint, [*design.overrides,
                                                           *item.variant.overrides],
                                             seed=seed, replications=replications)
                for item in variants}
        stored: dict[str, VariantOutcome] = {}
        for item in variants:
            found = store.load(item.variant_id, keys[item.variant_id])
            if found is not None:
                stored[item.variant_id] = found
    todo = [number for number, item in enumerate(variants) if item.variant_id not in stored]
    ran_seconds: dict[str, float] = {}
    projected = 0
    if todo:
        chosen = [scenarios[number] for number in todo]
        prepared, projections = prepare_variants(chosen, progress=progress)
        projected = len({id(p) for p in projections if p is not None})
        began = time.perf_counter()

        def finished(position: int, per_replication: pd.DataFrame) -> None:
            number = todo[position]
            item = variants[number]
            result = summarise_variant(scenarios[number], prepared[position],
                                       projections[position], per_replication, seed=seed,
                                       replications=replications, name=item.variant_id,
                                       executor=executor)
            ran_seconds[item.variant_id] = time.perf_counter() - began
            store.save(item.variant_id, VariantOutcome(
                per_replication=result.per_replication, kpis=result.kpis,
                scorecard=result.scorecard, about={
                    "variant": item.variant_id, "label": item.label, "grid": item.grid,
                    "scenario": scenarios[number].name,
                    "scenario_file": str(design.scenario_file),
                    "key": keys[item.variant_id],
                    "finished_after_seconds": round(ran_seconds[item.variant_id], 3)}))

        replicate_variants(prepared, replications=replications, seed=seed, executor=executor,
                           workers=workers, dask_address=dask_address, progress=progress,
                           on_variant=finished)
    with progress.stage("summary"):
        outcomes: dict[str, VariantOutcome] = {}
        for item in variants:
            # what was run now is read back too: a resumed sweep's tables are the same
            found = stored.get(item.variant_id) or store.load(item.variant_id,
                                                              keys[item.variant_id])
            if found is None:
                raise RuntimeError(f"variant {item.variant_id} was stored but cannot be read "
                                   "back")
            outcomes[item.variant_id] = found
        table = sweep_table(variants, outcomes, design.axes)
        card = sweep_scorecard(variants, outcomes, design.axes)
    metadata = {
        "carefacility_version": __version__,
        "scenario_file": str(design.scenario_file),
        "scenario_sha256": fingerprint["scenario_sha256"],
        "overrides": list(design.overrides),
        "grid": {axis.path: list(axis.values) for axis in design.axes},
        "variants": [{"variant": item.variant_id, "label": item.label, "grid": item.grid,
                      "overrides": list(item.variant.overrides)} for item in variants],
        "seed": seed,
        "replications": replications,
        "executor": executor,
        "variants_run": len(todo),
        "projections": projected,
        "variants_read_back": len(stored),
        "duration_seconds": round(time.perf_counter() - started, 3),
        "stage_seconds": {name: round(value, 3) for name, value in progress.seconds.items()},
    }
    return SweepResult(design=design, variants=variants, outcomes=outcomes, table=table,
                       scorecard=card, metadata=metadata)
