"""The ``services:`` section: day-care centres (日间照料中心) and meal points (助餐点).

Sites have a zone, a daily capacity and build (and closure) dates like beds. Demand comes from
the projected care need: who is eligible (by care level, 80+, living alone), what share of them
use the service (uptake) and how often they come on an open day (attendance). Optional
communities (村/社区) with their elderly counts give coverage below the zone level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from carefacility.base.errors import Problem, format_path
from carefacility.base.section import Section
from carefacility.base.tables import read_table
from carefacility.base.yaml_source import YamlDocument

__all__ = [
    "WEEKDAYS",
    "Communities",
    "ServiceDemandSpec",
    "ServiceSiteSpec",
    "ServiceSpecSection",
    "ServicesSpec",
    "resolve_services",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Fraction = Annotated[float, Field(ge=0, le=1)]
Level = Literal["independent", "partially_dependent", "dependent", "dementia"]


class ServiceDemandSpec(Section):
    """Who uses a service and how often."""

    eligible_levels: list[Level] = Field(
        description="Care levels whose members (aged 60+) may use the service.")
    eligible_80plus: bool = Field(False, description="Everyone aged 80+ is eligible too.")
    living_alone_share: Fraction = Field(
        0.0, description="Share of the other elders aged 60+ who live alone and are eligible "
        "for that reason [fraction]; cite the source or label it an assumption.")
    uptake: Fraction = Field(description="Share of eligible elders registered as users "
                             "[fraction]; cite the source or label it an assumption.")
    attendance_probability: Fraction = Field(
        description="Probability that a registered user comes on an open day [fraction].")


class ServiceSiteSpec(Section):
    """A site (or ``count`` identical sites)."""

    name: str = Field(min_length=1, description="Name (unique within the service).")
    zone: str = Field(min_length=1, description="Zone of the site.")
    capacity_per_day: Annotated[float, Field(ge=0)] = Field(
        description="Places (day care) or meals (meal points) per open day.")
    count: int = Field(1, ge=1, le=10_000, description="Identical sites this entry stands for.")
    opens: dt.date | None = Field(None, description="First day open (default: open already).")
    closes: dt.date | None = Field(None, description="First day closed for good (default: "
                                   "never).")
    communities: list[str] | None = Field(
        None, description="Communities in its catchment (names from communities_csv); default: "
        "every community of its zone.")


class ServiceSpecSection(Section):
    """One service: its sites, opening days and demand."""

    demand: ServiceDemandSpec
    sites: list[ServiceSiteSpec] = Field(default_factory=list, description="Sites.")
    open_weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(WEEKDAYS), description="Days of the week sites open.")
    closure_dates: list[dt.date] = Field(default_factory=list,
                                         description="Days every site is closed (holidays).")
    overflow: Literal["none", "zone"] = Field(
        "zone", description="Whether demand a full site cannot serve goes to other sites of "
        "its zone that day.")
    max_turned_away_share: Annotated[float, Field(gt=0, le=1)] = Field(
        0.05, description="Service level for `sites_needed`: at most this share of demand "
        "turned away [fraction].")


class ServicesSpec(Section):
    """Day-care centres and meal points."""

    communities_csv: str | None = Field(
        None, description="CSV path, columns `community, zone, elders` (persons aged 60+): "
        "coverage is then counted by community; otherwise by zone.")
    day_centres: ServiceSpecSection | None = Field(None, description="日间照料中心.")
    meal_points: ServiceSpecSection | None = Field(None, description="助餐点 / 老年餐桌.")


@dataclass(frozen=True)
class Communities:
    """Communities (村/社区) with their zone and elderly count."""

    names: tuple[str, ...]
    zone: np.ndarray
    elders: np.ndarray


def resolve_services(spec: ServicesSpec, zones: tuple[str, ...], doc: YamlDocument,
                     base_dir: Path) -> tuple[Communities | None, list[Problem]]:
    """Check sites' zones, catchments and dates; read the communities table.

    Returns
    -------
    (Communities or None, list of Problem)
        ``None`` when no communities table is given.
    """
    problems: list[Problem] = []

    def at(location: tuple[str | int, ...], message: str) -> None:
        problems.append(doc.problem(location, format_path(location), message))

    communities = None
    if spec.communities_csv is not None:
        path = base_dir / spec.communities_csv
        location = ("services", "communities_csv")
        if not path.is_file():
            at(location, f"CSV file {spec.communities_csv!r} not found (looked for {path})")
        else:
            shown = str(Path(doc.file).parent / spec.communities_csv)
            table, found = read_table(path, shown, required=["community", "zone", "elders"])
            problems += found
            if table is not None and not found:
                names, zone_index, elders = [], [], []
                for row, cells in enumerate(table.rows):
                    if cells["zone"] not in zones:
                        problems.append(table.problem(row, "zone", f"zone {cells['zone']!r} is "
                                                      f"not a plan zone ({', '.join(zones)})"))
                        continue
                    if cells["community"] in names:
                        problems.append(table.problem(row, "community", "community named "
                                                      "twice"))
                        continue
                    names.append(cells["community"])
                    zone_index.append(zones.index(cells["zone"]))
                    elders.append(table.number(row, "elders", problems, minimum=0))
                communities = Communities(tuple(names), np.asarray(zone_index, dtype=np.int64),
                                          np.asarray(elders, dtype=float))
    for key in ("day_centres", "meal_points"):
        service = getattr(spec, key)
        if service is None:
            continue
        seen: set[str] = set()
        for index, site in enumerate(service.sites):
            where = ("services", key, "sites", index)
            if site.name in seen:
                at((*where, "name"), f"site name {site.name!r} is used twice")
            seen.add(site.name)
            if site.zone not in zones:
                at((*where, "zone"), f"zone {site.zone!r} is not defined; defined zones: "
                   f"{', '.join(zones)}")
            if site.opens and site.closes and site.closes <= site.opens:
                at((*where, "closes"), f"closes {site.closes} is not after opens {site.opens}")
            if site.communities is not None:
                if communities is None:
                    at((*where, "communities"), "catchments need services.communities_csv")
                else:
                    for name in site.communities:
                        if name not in communities.names:
                            at((*where, "communities"), f"community {name!r} is not in "
                               f"{spec.communities_csv}")
        if not service.open_weekdays:
            at(("services", key, "open_weekdays"), "no opening day; list at least one weekday")
    return communities, problems
