"""Routing benchmark: the policy engine over 1M scored leads, SLA due times, and brief rendering.

    uv run python bench/routing.py                    # 1M leads, the 400-user team of a 1M-person world
    uv run python bench/routing.py --leads 200000     # a quicker look

One child process (its own peak RSS) builds synthetic scored leads (the shape ``routing_inputs`` returns:
countries and regions of the generated world's territories, employee counts, owners for a share of accounts,
product interest, calibrated probabilities) and the sales team a 1M-person world gets, then times:

- ``route_leads`` on all leads at once (target: 1M in ≤ 10 s), with the capacity check (no rep over capacity);
- ``with_sla_due`` (business-hours due times in each owner's zone) on the routed hot and warm leads;
- ``render_briefs`` on 20,000 handoffs (target ≥ 5,000 briefs/s; ``bench/briefs.py`` is the detailed one).
"""

from __future__ import annotations

import argparse

from harness import child, machine_probe

ROUTING = """
import datetime as dt, json, sys, time
import numpy as np, polars as pl
from handoff.world import roster as team_mod
from handoff.world.core import Clock
from pipelines.routing import parse_roster, route_leads
from pipelines.routing.stage import with_sla_due
from pathlib import Path
import yaml

n = int(sys.argv[1])
rng = np.random.default_rng(7)
team = team_mod.make_team(rng, 1_000_000, Clock.for_date(dt.date(2026, 11, 22)))
roster = parse_roster(yaml.safe_load(team_mod.roster_yaml(team)))
from pipelines.routing import parse_rules
rules = parse_rules(Path("rules/routing/v0001.yaml").read_text())
terr = team_mod.TERRITORIES
w = np.asarray(team_mod.TERRITORY_WEIGHT) / sum(team_mod.TERRITORY_WEIGHT)
t_ix = rng.choice(len(terr), size=n, p=w)
country = np.array([terr[i][1] for i in t_ix])
regions = np.full(n, None, dtype=object)
for i, (_, cc, regs, _, _) in enumerate(terr):
    m = t_ix == i
    if regs:
        regions[m] = np.asarray(regs, dtype=object)[rng.integers(0, len(regs), m.sum())]
rep_ids = roster.reps["rep_id"].to_numpy()
owner = np.where(rng.random(n) < 0.15, rep_ids[rng.integers(0, rep_ids.size, n)], None)
leads = pl.DataFrame({
    "person_id": [f"p_{i:014x}" for i in range(n)],
    "probability": rng.beta(1.2, 1.6, n), "confidence": rng.uniform(0.3, 1.0, n),
    "country_code": country, "region": pl.Series(list(regions), dtype=pl.String),
    "employees": rng.choice([20, 80, 150, 400, 900, 3000, 12000], size=n),
    "account_id": [f"001{i % (n // 8 + 1):015d}" for i in range(n)],
    "account_owner_id": pl.Series(list(owner), dtype=pl.String),
    "product": pl.Series(list(rng.choice(["routing", "analytics", ""], size=n, p=[0.2, 0.2, 0.6])), dtype=pl.String).replace("", None),
}).with_columns(pl.col("confidence").lt(0.6).alias("needs_review"))
now = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
route_leads(leads.head(2000), roster.reps, rules, now=now)  # warm-up (first-call costs)
runs = []
for _ in range(2):
    t = time.perf_counter()
    out = route_leads(leads, roster.reps, rules, now=now)
    runs.append(time.perf_counter() - t)
cap = roster.reps.select(pl.col("rep_id").alias("owner_id"), "daily_capacity")
load = out.filter(pl.col("owner_kind") == "rep").group_by("owner_id").len().join(cap, on="owner_id")
qualified = out.filter(pl.col("tier") != "nurture").with_columns(pl.lit(now).alias("decided_at"))
t = time.perf_counter()
due = with_sla_due(qualified, roster, rules)
sla_s = time.perf_counter() - t
from pipelines.briefs import render_briefs, sample_handoffs
h = sample_handoffs(20_000, seed=3)
render_briefs(h.head(200))
t = time.perf_counter()
render_briefs(h)
brief_s = time.perf_counter() - t
print(json.dumps({"leads": n, "reps": roster.reps.height, "route_seconds": min(runs),
                  "by_rule": dict(out.group_by("rule_id").len().iter_rows()),
                  "over_capacity": int((load["len"] > load["daily_capacity"]).sum()),
                  "candidates_mean": float(out["candidates"].list.len().mean()),
                  "sla_rows": due.height, "sla_seconds": sla_s, "briefs_per_s": 20_000 / brief_s}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    probe = machine_probe()
    r, rss = child(ROUTING, str(args.leads))
    print(f"route     {r['leads']:,} leads over {r['reps']} reps in {r['route_seconds']:.2f} s "
          f"({r['leads'] / r['route_seconds']:,.0f} leads/s; target 1M in ≤ 10 s), best of 2; "
          f"reps over capacity: {r['over_capacity']}; candidates listed per lead {r['candidates_mean']:.1f}")
    print(f"rules     {r['by_rule']}")
    print(f"sla       {r['sla_rows']:,} due times in {r['sla_seconds']:.2f} s")
    print(f"briefs    {r['briefs_per_s']:,.0f} briefs/s (Markdown + HTML, 20,000 handoffs; target ≥ 5,000)")
    print(f"peak RSS {rss:.2f} GiB; machine probe {probe:.2f} s")


if __name__ == "__main__":
    main()
