"""The graph stage over a lakehouse: bronze + silver identity → ``silver.graph_nodes`` / ``silver.graph_edges``.

:func:`pipelines.graph.build.build_graph` does the work (in its two halves, the inputs dropped between them);
this reads its inputs from Delta (only the columns it uses) and merges its outputs by ``node_id`` /
``edge_id``, so an unchanged input makes no new table version.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.identity.stage import ACCOUNTS, CROSSWALK, PERSON_ACCOUNTS
from pipelines.storage.delta import DeltaStore

from .build import graph_from_parts, graph_parts
from .edges import USED_COLUMNS

__all__ = ["GRAPH_NODES", "GRAPH_EDGES", "GraphReport", "run_graph_stage", "read_graph_inputs"]

GRAPH_NODES = "silver.graph_nodes"
GRAPH_EDGES = "silver.graph_edges"


@dataclass(frozen=True)
class GraphReport:
    nodes_by_type: dict[str, int]
    edges_by_type: dict[str, int]
    inputs: dict[str, int | None]
    outputs: dict[str, tuple[int | None, int | None]]


def read_graph_inputs(store: DeltaStore) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame,
                                                  pl.DataFrame]:
    """The bronze tables (used columns only), the crosswalk, person accounts and accounts."""
    bronze = {}
    for table, wanted in USED_COLUMNS.items():
        dt = store.table(f"bronze.{table}")
        if dt is None:
            continue
        present = {f.name for f in dt.schema().fields}
        cols = [c for c in (*wanted, "ingested_at", "source_file", "source_row") if c in present]
        bronze[table] = store.read(f"bronze.{table}", columns=cols)
    crosswalk = store.read(CROSSWALK, columns=["source", "record_id", "person_id"])
    person_accounts = store.read(PERSON_ACCOUNTS)
    accounts = store.read(ACCOUNTS)
    return bronze, crosswalk, person_accounts, accounts


def run_graph_stage(store: DeltaStore) -> GraphReport:
    """Rebuild the knowledge graph from the current bronze and identity tables."""
    if store.table(CROSSWALK) is None:
        msg = f"{CROSSWALK} does not exist yet: materialize the identity assets before the graph"
        raise FileNotFoundError(msg)
    inputs = {t: store.version(t) for t in (CROSSWALK, PERSON_ACCOUNTS, ACCOUNTS)}
    inputs |= {f"bronze.{t}": store.version(f"bronze.{t}") for t in USED_COLUMNS}
    before = {t: store.version(t) for t in (GRAPH_NODES, GRAPH_EDGES)}
    parts = graph_parts(*read_graph_inputs(store))  # the inputs are freed here, before edge ids and nodes
    nodes, edges = graph_from_parts(parts)
    del parts
    store.merge(GRAPH_NODES, nodes, keys=["node_id"], full_state=True)
    store.merge(GRAPH_EDGES, edges, keys=["edge_id"], full_state=True)
    return GraphReport(
        nodes_by_type=dict(nodes.group_by("node_type").len().sort("node_type").iter_rows()),
        edges_by_type=dict(edges.group_by("edge_type").len().sort("edge_type").iter_rows()),
        inputs=inputs, outputs={t: (before[t], store.version(t)) for t in (GRAPH_NODES, GRAPH_EDGES)})
