"""Orchestration: generate_world() builds the whole sample world stage by stage."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import polars as pl

from . import accounts as accounts_mod
from . import ads_intent, campaigns, crm, events, journey, marketing, people, roster, salesforce
from .core import Clock, null_where, stream
from .lexicon import FUNCTIONS, SENIORITIES
from .writer import Sink

STAGES = [
    "accounts",
    "campaigns",
    "persons",
    "journeys",
    "sales team",
    "google ads",
    "crm state",
    "leads & contacts",
    "crm objects",
    "hubspot",
    "marketo",
    "linkedin",
    "bombora",
    "events",
    "truth",
]


@dataclass(frozen=True)
class WorldSummary:
    landing_dir: Path
    truth_dir: Path
    files: dict[str, int]
    persons: int
    accounts: int
    seconds: float
    seed: int = 7
    as_of: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    bad_rows: int = 0
    rejected_files: tuple[str, ...] = ()

    @property
    def data_rows(self) -> int:
        return sum(self.files.values())


class _Stages:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = None
        self.task = None

    def __enter__(self) -> Self:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("[bold]world[/] {task.description:<18}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            self.progress.__enter__()
            self.task = self.progress.add_task(STAGES[0], total=len(STAGES))
        return self

    def next(self, stage: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=stage)

    def done(self) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


def generate_world(
    out_dir: Path,
    *,
    persons: int = 5_000,
    seed: int = 7,
    bad_row_rate: float = 0.005,
    drift: bool = True,
    as_of: dt.date | None = None,
    progress: bool = False,
) -> WorldSummary:
    """Write a coherent synthetic landing zone (vendor extracts) plus its ground truth under out_dir.

    ``out_dir/landing/<source>/...`` holds the files exactly as the vendors export them (see
    ``/work/shared/vendor-formats.md``); ``out_dir/truth/*.parquet`` + ``world.json`` hold what really
    happened (never read by the pipeline). ``as_of`` (default: today, UTC) names the files and ends the
    ~180-day window every timestamp falls in. The same ``seed`` and ``as_of`` give byte-identical files.
    About ``bad_row_rate`` of the data rows of every file carry exactly one defect each (listed in
    ``truth/bad_rows.parquet``); ``drift`` adds a custom column to the Lead incremental extract and a
    HubSpot re-export missing its key column (listed in ``truth/rejected_files.parquet``). Files of an
    earlier world in ``out_dir`` are overwritten, not removed: use a fresh folder for a clean world.
    """
    if persons < 1:
        raise ValueError("persons must be positive")
    if not 0.0 <= bad_row_rate < 0.5:
        raise ValueError("bad_row_rate must be in [0, 0.5)")
    t0 = time.perf_counter()
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    clock = Clock.for_date(as_of)
    day = as_of.isoformat()
    out_dir = Path(out_dir)
    sink = Sink(out_dir, seed, bad_row_rate)
    with _Stages(progress) as st:

        def stage(name: str):
            st.next(name)
            return stream(seed, name)

        acc = accounts_mod.make_accounts(stage("accounts"), max(20, persons // 10), clock)
        st.done()
        camps = campaigns.make_campaigns(stage("campaigns"), campaigns.campaign_count(persons), clock)
        st.done()
        p = people.make_persons(stage("persons"), persons, acc)
        st.done()
        p = journey.make_journey(stage("journeys"), p, camps, clock)
        st.done()
        team = roster.make_team(stage("sales team"), persons, clock)
        sink.write_text("roster/roster.yaml", roster.roster_yaml(team))
        st.done()

        rng = stage("google ads")
        clicks = ads_intent.make_clicks(rng, p, camps, clock)
        gclid = ads_intent.person_gclid(clicks, p.height)
        ads_tables, spend = ads_intent.google_ads(rng, clicks, camps, p, day)
        for t in ads_tables:
            sink.emit(t)
        del clicks, ads_tables
        st.done()

        state = salesforce.crm_state(stage("crm state"), p, acc, team, clock)
        st.done()
        rng = stage("leads & contacts")
        for t in salesforce.leads(rng, p, acc, camps, team, state, gclid, clock, day, drift):
            sink.emit(t)
        sink.emit(salesforce.contacts(rng, p, acc, camps, team, state, clock, day))
        st.done()
        rng = stage("crm objects")
        sink.emit(crm.accounts(rng, acc, team, state, clock, day))
        sink.emit(crm.opportunities(rng, p, acc, camps, team, state, clock, day))
        sink.emit(crm.tasks(rng, p, team, state, clock, day))
        sink.emit(crm.users(team, day))
        sink.emit(crm.campaigns(camps, spend, clock, day))
        st.done()

        for t in marketing.hubspot(stage("hubspot"), p, acc, camps, state, clock, day, drift):
            sink.emit(t)
            if not t.inject:
                sink.reject(t.path, "missing_required_column: hs_object_id")
        st.done()
        rng = stage("marketo")
        mk_leads, mk_sel, mk_ids, mk_created = marketing.marketo_leads(rng, p, acc, camps, state, clock, day)
        sink.emit(mk_leads)
        del mk_leads
        sink.emit(marketing.marketo_activities(rng, p, camps, mk_sel, mk_ids, mk_created, clock, day))
        st.done()
        sink.emit(ads_intent.linkedin(stage("linkedin"), p, acc, camps, clock, day))
        st.done()
        for t in ads_intent.bombora(stage("bombora"), acc, clock):
            sink.emit(t)
        st.done()
        ev = events.build_events(stage("events"), p, acc, camps, gclid, clock)
        events.write_events(ev, sink, seed, bad_row_rate, day)
        del ev
        st.done()

        st.next("truth")
        sink.finish(
            _persons_truth(p),
            _accounts_truth(acc, state),
            {
                "seed": seed,
                "persons": persons,
                "accounts": acc.height,
                "as_of": day,
                "bad_row_rate": bad_row_rate,
                "drift": drift,
            },
        )
        st.done()
    bad = sum(b.height for b in sink.bad)
    return WorldSummary(
        landing_dir=sink.landing,
        truth_dir=sink.truth,
        files=dict(sorted(sink.files.items())),
        persons=persons,
        accounts=acc.height,
        seconds=round(time.perf_counter() - t0, 3),
        seed=seed,
        as_of=as_of,
        bad_rows=bad,
        rejected_files=tuple(r["file"] for r in sink.rejected),
    )


def _persons_truth(p: pl.DataFrame) -> pl.DataFrame:
    return p.select(
        "person_id",
        "account_id",
        "first_name",
        "last_name",
        "work_email",
        "personal_email",
        "title",
        pl.col("seniority").replace_strict(dict(enumerate(SENIORITIES)), return_dtype=pl.String),
        pl.col("function").replace_strict(dict(enumerate(FUNCTIONS)), return_dtype=pl.String),
        "country",
        "propensity",
        "converted",
        "intent",
        "fit",
        pl.col("acct_intent").alias("account_intent"),
        pl.col("ft_type_name").alias("first_touch"),
        "namesake_of",
        "twin_of",
    )


def _accounts_truth(acc: pl.DataFrame, state: salesforce.Crm) -> pl.DataFrame:
    parent = acc["parent_row"].to_numpy()
    return pl.DataFrame(
        {
            "account_id": acc["account_id"],
            "salesforce_account_id": state.acct_sf,
            "name": acc["name"],
            "domain": acc["domain"],
            "alias_domains": acc["alias_domains"],
            "parent_account_id": null_where(pl.Series(parent + 1, dtype=pl.Int64), parent < 0),
            "country": acc["country"],
            "employees": acc["employees"],
            "industry": acc["industry"],
            "segment": acc["segment"].replace_strict({0: "SMB", 1: "MID", 2: "ENT"}, return_dtype=pl.String),
            "type": pl.Series(state.acct_type),
            "intent": acc["intent"],
        }
    )
