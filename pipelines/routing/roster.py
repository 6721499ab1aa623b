"""The sales roster (YAML maintained by RevOps) validated into frames the routing engine joins against.

A roster names each rep (Salesforce user id, territories, segment, skills, daily capacity, working hours, time
zone, out-of-office dates) and the queues. :func:`read_roster` validates it with pydantic and reports every
problem with its path in the file (``reps[3].time_zone``) and what to write instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10× faster

__all__ = ["Roster", "RosterFile", "REP_SCHEMA", "QUEUE_SCHEMA", "read_roster", "parse_roster", "RosterError"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

REP_SCHEMA = pl.Schema({
    "rep_id": pl.String, "name": pl.String, "email": pl.String, "active": pl.Boolean, "manager_id": pl.String,
    "segment": pl.String, "countries": pl.List(pl.String),
    "territories": pl.List(pl.Struct({"country": pl.String, "regions": pl.List(pl.String)})),
    "products": pl.List(pl.String), "languages": pl.List(pl.String), "daily_capacity": pl.Int64,
    "work_start_minute": pl.Int32, "work_end_minute": pl.Int32, "work_days": pl.List(pl.Int8),
    "time_zone": pl.String,
    "out_of_office": pl.List(pl.Struct({"start": pl.Date, "end": pl.Date})),
})
QUEUE_SCHEMA = pl.Schema({"queue_id": pl.String, "name": pl.String, "kind": pl.String})


class RosterError(ValueError):
    """The roster file is invalid; the message lists each problem with its path in the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Territory(_Strict):
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    regions: list[str] = Field(default_factory=list, description="states or regions; empty = the whole country")


class Skills(_Strict):
    products: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["en"])


class WorkingHours(_Strict):
    start: dt.time
    end: dt.time
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            msg = f"end {self.end} must be after start {self.start} (overnight shifts: split them into two reps)"
            raise ValueError(msg)
        return self


class Absence(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Absence:
        if self.end < self.start:
            msg = f"end {self.end} is before start {self.start}"
            raise ValueError(msg)
        return self


class Rep(_Strict):
    user_id: str = Field(pattern=r"^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$", description="Salesforce User id")
    name: str
    email: str
    active: bool = True
    manager_id: str | None = None
    territories: list[Territory] = Field(min_length=1)
    segment: Literal["SMB", "MID", "ENT"]
    skills: Skills = Field(default_factory=Skills)
    daily_capacity: int = Field(ge=0)
    working_hours: WorkingHours
    time_zone: str
    out_of_office: list[Absence] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r}: use an IANA name such as 'Europe/Berlin'"
            raise ValueError(msg) from None
        return value


class Queue(_Strict):
    name: str
    kind: Literal["pool", "nurture", "review", "fallback"]


class RosterFile(_Strict):
    version: int = 1
    queues: dict[str, Queue]
    reps: list[Rep]

    @model_validator(mode="after")
    def _unique(self) -> RosterFile:
        seen: set[str] = set()
        dupes = sorted({r.user_id for r in self.reps if r.user_id in seen or seen.add(r.user_id)})  # type: ignore[func-returns-value]
        if dupes:
            msg = f"user ids listed twice: {dupes}; keep one entry per rep"
            raise ValueError(msg)
        return self


class Roster:
    """A validated roster: ``reps`` (:data:`REP_SCHEMA`, one row per rep) and ``queues`` (:data:`QUEUE_SCHEMA`)."""

    def __init__(self, spec: RosterFile, *, source: str = "<roster>") -> None:
        self.spec = spec
        self.source = source
        self.reps = _rep_frame(spec)
        self.queues = pl.DataFrame(
            [{"queue_id": k, "name": q.name, "kind": q.kind} for k, q in spec.queues.items()],
            schema=QUEUE_SCHEMA)

    def queue_name(self, queue_id: str) -> str:
        q = self.spec.queues.get(queue_id)
        return q.name if q else queue_id


def _minute(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _rep_frame(spec: RosterFile) -> pl.DataFrame:
    rows = [{  # reps are few (hundreds): a loop over the roster, not over leads
        "rep_id": r.user_id, "name": r.name, "email": r.email, "active": r.active, "manager_id": r.manager_id,
        "segment": r.segment, "countries": sorted({t.country.upper() for t in r.territories}),
        "territories": [{"country": t.country.upper(), "regions": [x.upper() for x in t.regions]}
                        for t in r.territories],
        "products": list(r.skills.products), "languages": [x.lower() for x in r.skills.languages],
        "daily_capacity": r.daily_capacity,
        "work_start_minute": _minute(r.working_hours.start), "work_end_minute": _minute(r.working_hours.end),
        "work_days": [WEEKDAYS.index(d) for d in r.working_hours.days], "time_zone": r.time_zone,
        "out_of_office": [{"start": a.start, "end": a.end} for a in r.out_of_office],
    } for r in spec.reps]
    return pl.DataFrame(rows, schema=REP_SCHEMA)


def field_problems(exc: ValidationError) -> str:
    """One line per invalid field, named by its path in the file (``reps[3].time_zone: ...``)."""
    lines = []
    for err in exc.errors():
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        lines.append(f"  {where or '<top>'}: {err['msg']}")
    return "\n".join(lines)


def parse_roster(data: Mapping[str, Any], *, source: str = "<roster>") -> Roster:
    """Validate a roster already loaded from YAML.

    Examples
    --------
    >>> r = parse_roster({"queues": {"review": {"name": "Review", "kind": "review"}}, "reps": [{
    ...     "user_id": "005000000000001AAA", "name": "Ann Lee", "email": "ann@example.com",
    ...     "territories": [{"country": "US", "regions": ["CA"]}], "segment": "SMB", "daily_capacity": 5,
    ...     "working_hours": {"start": "09:00", "end": "17:00", "days": ["mon", "tue"]},
    ...     "time_zone": "America/Los_Angeles"}]})
    >>> r.reps.select("rep_id", "work_start_minute", "work_days").row(0)
    ('005000000000001AAA', 540, [0, 1])
    >>> parse_roster({"queues": {}, "reps": [{"user_id": "x"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pipelines.routing.roster.RosterError: roster <roster> is invalid; fix these fields:
      reps[0].user_id: String should match pattern ...
    """
    try:
        spec = RosterFile.model_validate(dict(data))
    except ValidationError as exc:
        msg = f"roster {source} is invalid; fix these fields:\n{field_problems(exc)}"
        raise RosterError(msg) from None
    return Roster(spec, source=source)


def read_roster(path: Path) -> Roster:
    """Read and validate the roster YAML at ``path`` (a :class:`RosterError` lists every invalid field)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        msg = f"no roster at {path}: put RevOps' roster YAML there (see docs/routing.md for its fields)"
        raise RosterError(msg) from None
    except yaml.YAMLError as exc:
        msg = f"roster {path} is not valid YAML: {exc}"
        raise RosterError(msg) from None
    if not isinstance(data, Mapping):
        msg = f"roster {path} must be a mapping with 'queues' and 'reps'"
        raise RosterError(msg)
    return parse_roster(data, source=str(path))
