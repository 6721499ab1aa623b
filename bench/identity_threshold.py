"""Precision and recall of person resolution at several match-probability thresholds, one model, one world.

    uv run python bench/identity_threshold.py --workdir /tmp/b10k --persons 10000 0.8 0.9 0.95 0.99
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import REPO, ensure_world

sys.path.insert(0, str(REPO))

import polars as pl  # noqa: E402

from handoff.evaluation import truth_person_records  # noqa: E402
from pipelines.identity import linkage  # noqa: E402
from pipelines.identity.clusters import components, key_links, merge_without_conflicts  # noqa: E402
from pipelines.identity.evaluate import pairwise_scores  # noqa: E402
from pipelines.identity.normalize import normalize_person_records  # noqa: E402
from pipelines.identity.records import conform_person_records, read_person_records  # noqa: E402
from pipelines.identity.resolve import cluster_links, deterministic_keys, mailboxes_of, profiles_of  # noqa: E402
from pipelines.storage.delta import DeltaStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("thresholds", type=float, nargs="+")
    args = parser.parse_args()
    world, lake = ensure_world(args.workdir, args.persons)
    base = normalize_person_records(conform_person_records(read_person_records(DeltaStore(str(lake)))))
    truth = truth_person_records(world / "truth")
    keys = deterministic_keys(base)
    det = components(base.height, key_links(keys.select("row", "key")))
    profiles, _ = profiles_of(base, det)
    model = linkage.train_model(profiles)
    pairs = linkage.predict_pairs(profiles, model, threshold=min(args.thresholds))
    prob = cluster_links(pairs, profiles)
    boxes = mailboxes_of(base, det)
    for th in sorted(args.thresholds):
        cluster = merge_without_conflicts(det, prob.filter(pl.col("match_probability") >= th), boxes)
        s = pairwise_scores(base.select("source", "record_id", pl.Series("person_id", cluster)), truth,
                            on=["source", "record_id"])
        print(f"threshold {th:<5}  precision {s.precision:.4f}  recall {s.recall:.4f}  F1 {s.f1:.4f}")


if __name__ == "__main__":
    main()
