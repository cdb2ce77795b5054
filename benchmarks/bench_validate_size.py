"""Time ``carefacility validate`` on scenarios with many care homes.

Writes a scenario with a population (inline base table, the packaged WPP death rates), zones
and ``N`` care homes, every eighth with a census entry and every twentieth with a build step, into a
temporary folder, and prints the seconds :func:`carefacility.scenario.loader.validate_scenario`
takes for 2,500, 5,000 and 25,000 homes (25,000 homes make a file of about 1.9 MB, just below
the largest scenario file accepted). Validation should grow linearly with the number of homes.

With ``--broken`` every census entry names a home that does not exist and every tenth home a
zone that does not exist: the error path (a located message for each, with a "did you mean"
and the names defined) must stay linear too.

Usage::

    python benchmarks/bench_validate_size.py [--homes 2500 5000 25000] [--broken] [--profile]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
name: many homes
population:
  basis: resident
  base_date: 2020-11-01
  horizon_year: 2030
  base_population:
    inline:
      age_groups: ["0-14", "15-59", "60-79", "80+"]
      male: [100000, 300000, 80000, 10000]
      female: [95000, 290000, 85000, 16000]
  mortality:
    measure: nMx
    csv: data/china_wpp2024_nmx.csv
  fertility:
    tfr: 1.1
    age_pattern:
      age_groups: ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
      percent: [3, 25, 37, 22, 9, 3, 1]
  sex_ratio_at_birth: 1.1
plan:
  zones:
"""


def scenario_text(homes: int, zones: int = 20, *, broken: bool = False) -> str:
    """The YAML text of a scenario with ``homes`` care homes spread over ``zones`` zones.

    Every eighth home has a census entry and every twentieth a build step (25,000 homes then
    make a file of about 1.9 MB, just below the largest scenario file accepted).

    Parameters
    ----------
    homes : int
        Number of care homes, each listed on its own line.
    zones : int
        Number of zones, with equal shares of the elderly.
    broken : bool
        Census entries name missing homes, and every tenth home a missing zone.

    Returns
    -------
    str
    """
    lines = [HEADER]
    share = 1 / zones
    for zone in range(zones):
        lines.append(f"    - {{name: z{zone}, share_of_elderly: {share:.6f}}}\n")
    lines.append("  care_homes:\n")
    for home in range(homes):
        zone = f"y{home % zones}" if broken and home % 10 == 0 else f"z{home % zones}"
        lines.append(f"    - {{name: h{home}, zone: {zone}, "
                     f"beds: {{general: 30, nursing: 20}}}}\n")
    lines.append("  build_schedule:\n")
    for home in range(0, homes, 20):
        lines.append(f"    - {{date: 2022-07-01, home: h{home}, open: {{nursing: 5}}}}\n")
    lines.append("  starting_state:\n    census:\n")
    for home in range(0, homes, 8):
        name = f"x{home}" if broken else f"h{home}"
        lines.append(f"      - {{home: {name}, general: 20, nursing: 15}}\n")
    lines.append("simulation:\n  start_date: 2021-01-01\n  years: 5\n")
    return "".join(lines)


def write_scenario(folder: Path, homes: int, *, broken: bool = False) -> Path:
    """Write the scenario of ``homes`` homes (and the data it reads) into ``folder``."""
    if not (folder / "data").exists():
        shutil.copytree(ROOT / "scenarios" / "data", folder / "data")
    path = folder / f"homes_{homes}.yaml"
    path.write_text(scenario_text(homes, broken=broken), encoding="utf-8")
    return path


def main() -> None:
    """Print the validation time of each size."""
    from carefacility.scenario.loader import validate_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, nargs="+", default=[2_500, 5_000, 25_000])
    parser.add_argument("--broken", action="store_true",
                        help="Census entries and some zones name what does not exist.")
    parser.add_argument("--profile", action="store_true",
                        help="Profile the largest size with cProfile (top 25 by cumulative).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for homes in args.homes:
            path = write_scenario(folder, homes, broken=args.broken)
            started = time.perf_counter()
            scenario, problems = validate_scenario(path)
            seconds = time.perf_counter() - started
            status = "OK" if scenario is not None else f"{len(problems)} problems"
            print(f"{homes:>7,} homes ({path.stat().st_size / 1e6:.2f} MB): "
                  f"{seconds:7.2f} s  {status}")
            for problem in problems[:3]:
                print(f"    {str(problem)[:300]}")
        if args.profile:
            import cProfile
            import pstats

            path = write_scenario(folder, max(args.homes), broken=args.broken)
            profiler = cProfile.Profile()
            profiler.enable()
            validate_scenario(path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
