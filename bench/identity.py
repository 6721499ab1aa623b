"""Identity benchmark: handoff's resolution against a plain Splink dedupe of the same records, at 1M persons.

    uv run python bench/identity.py --persons 1000000 --workdir /tmp/b1m --small-workdir /tmp/b10k

Each contender runs in its own child process (its own peak RSS) on the person records of the same ingested
world, and is scored by pairwise precision / recall / F1 against the generator's truth. Printed:

- handoff: read + normalise + deterministic links + Splink on profiles + conflict-aware merge + ids;
- plain Splink: the same records lower-cased and trimmed, a standard configuration (NameComparison on first and
  last name, EmailComparison, exact phone, Jaro-Winkler company, exact city; blocking on email, phone, and first
  name + last name + city; u by random sampling, m by EM; clusters at match probability 0.9);
- the incremental path: 1,000 held-out records matched against the resolved persons (``IdentityIndex.match``);
- precision at scale: handoff's precision on a small world (default 10k persons) next to the 1M figure.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from harness import child, ensure_world, machine_probe

HANDOFF = """
import json, sys, time
from pathlib import Path
import polars as pl
from handoff.evaluation import truth_person_records
from pipelines.identity.evaluate import pairwise_scores
from pipelines.identity.incremental import IdentityIndex
from pipelines.identity.records import read_person_records
from pipelines.identity.resolve import resolve_persons
from pipelines.storage.delta import DeltaStore
lake, truth_dir, held_n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
records = read_person_records(DeltaStore(str(lake)))
held = records.filter(pl.col("source").is_in(["hubspot_contact", "linkedin_lead_gen", "marketo_lead"])).sample(
    min(held_n, records.height // 10), seed=1) if held_n else records.clear()
rest = records.join(held.select("source", "record_id"), on=["source", "record_id"], how="anti")
res = resolve_persons(rest)
seconds = time.perf_counter() - t
out = {"seconds": seconds, "records": rest.height, "stats": res.stats}
crosswalk = res.crosswalk.select("source", "record_id", "person_id")
if held.height:
    index = IdentityIndex(res.records, res.crosswalk, res.model)
    index.warm_up()
    t = time.perf_counter()
    match = index.match(held)
    out["incremental_seconds"] = time.perf_counter() - t
    out["incremental_records"] = held.height
    batch = match.crosswalk.join(held.select("source", "record_id"), on=["source", "record_id"])
    crosswalk = pl.concat([crosswalk, batch.select("source", "record_id", "person_id")])
s = pairwise_scores(crosswalk, truth_person_records(truth_dir), on=["source", "record_id"])
out |= {"precision": s.precision, "recall": s.recall, "f1": s.f1}
print(json.dumps(out))
"""

PLAIN_SPLINK = """
import json, sys, time
from pathlib import Path
import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from handoff.evaluation import truth_person_records
from pipelines.identity.evaluate import pairwise_scores
from pipelines.identity.records import read_person_records
from pipelines.storage.delta import DeltaStore
lake, truth_dir = Path(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter()
records = read_person_records(DeltaStore(str(lake)))
cols = ["first_name", "last_name", "email", "phone", "company", "city"]
frame = records.select(pl.int_range(pl.len()).alias("unique_id"), "source", "record_id",
                       *[pl.col(c).str.to_lowercase().str.strip_chars().alias(c) for c in cols])
settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[cl.NameComparison("first_name"), cl.NameComparison("last_name"), cl.EmailComparison("email"),
                 cl.ExactMatch("phone"), cl.JaroWinklerAtThresholds("company", [0.9]), cl.ExactMatch("city")],
    blocking_rules_to_generate_predictions=[block_on("email"), block_on("phone"),
                                            block_on("first_name", "last_name", "city")],
    retain_matching_columns=False,
)
con = duckdb.connect(config={"memory_limit": "3GB"})
db = DuckDBAPI(connection=con)
linker = Linker(db.register(frame.drop("source", "record_id").to_arrow()), settings, log_level="WARNING")
linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=7)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name", "city"))
pairs = linker.inference.predict(threshold_match_probability=0.9)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.9)
labels = pl.from_arrow(con.sql(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").arrow())
seconds = time.perf_counter() - t
pred = frame.select("unique_id", "source", "record_id").join(labels, on="unique_id")
s = pairwise_scores(pred, truth_person_records(truth_dir), on=["source", "record_id"], predicted_cluster="cluster_id")
print(json.dumps({"seconds": seconds, "records": frame.height, "precision": s.precision, "recall": s.recall,
                  "f1": s.f1}))
"""


def _line(name: str, r: dict, rss: float) -> str:
    return (f"{name:13s} {r['records']:>10,} records in {r['seconds']:6.1f} s   precision {r['precision']:.4f}  "
            f"recall {r['recall']:.4f}  F1 {r['f1']:.4f}   peak RSS {rss:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None, help="world + lakehouse (made once, then reused)")
    parser.add_argument("--small-persons", type=int, default=10_000)
    parser.add_argument("--small-workdir", type=Path, default=None)
    parser.add_argument("--held-out", type=int, default=1_000, help="records matched incrementally")
    parser.add_argument("--skip-plain", action="store_true", help="skip the plain Splink baseline")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="handoff-bench-id-"))
    small = args.small_workdir or Path(tempfile.mkdtemp(prefix="handoff-bench-id-small-"))
    world, lake = ensure_world(work, args.persons)
    small_world, small_lake = ensure_world(small, args.small_persons)

    probe = machine_probe()
    mine, mine_rss = child(HANDOFF, str(lake), str(world / "truth"), str(args.held_out))
    print(_line("handoff", mine, mine_rss))
    st = mine["stats"]
    print("  stages (s): " + ", ".join(f"{k.removeprefix('seconds_')} {v}" for k, v in st.items()
                                       if k.startswith("seconds_")))
    print(f"  {st['profiles']:,} profiles, {st['probabilistic_pairs']:,} probabilistic pairs, "
          f"{st['persons']:,} persons")
    if "incremental_seconds" in mine:
        print(f"incremental   {mine['incremental_records']:,} new records matched against {st['persons']:,} persons "
              f"in {mine['incremental_seconds']:.2f} s (target ≤ 2 s)")
    if not args.skip_plain:
        plain, plain_rss = child(PLAIN_SPLINK, str(lake), str(world / "truth"))
        print(_line("plain Splink", plain, plain_rss))
        print(f"ratio         handoff / plain Splink time = {mine['seconds'] / plain['seconds']:.2f}x "
              f"(target ≤ 1.0x), F1 {mine['f1']:.4f} vs {plain['f1']:.4f} (target ≥), "
              f"handoff peak RSS {mine_rss:.2f} GiB (target ≤ 8 GB)")
    tiny, _ = child(HANDOFF, str(small_lake), str(small_world / "truth"), "0")
    print(_line(f"handoff {args.small_persons // 1000}k", tiny, 0.0).rsplit("peak", 1)[0].rstrip())
    print(f"precision at scale: {mine['precision']:.4f} at {args.persons:,} persons vs {tiny['precision']:.4f} at "
          f"{args.small_persons:,} (target: at most 0.01 lower); machine probe {probe:.2f} s")


if __name__ == "__main__":
    main()
