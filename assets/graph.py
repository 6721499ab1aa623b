"""Silver knowledge graph: node and edge tables over accounts, persons, campaigns, content, topics and reps."""


import datetime as dt

import dagster as dg

from assets.identity import identity_assets
from assets.resources import Lakehouse
from pipelines.graph.edges import USED_COLUMNS
from pipelines.graph.stage import GRAPH_EDGES, GRAPH_NODES, run_graph_stage
from pipelines.lineage import lineage_row, record_lineage

__all__ = ["graph_assets"]

_DESCRIPTIONS = {
    GRAPH_NODES: "Knowledge-graph nodes: account, person, campaign, content, topic, rep (see docs/graph.md).",
    GRAPH_EDGES: "Knowledge-graph edges: works_at, engaged_with, clicked_ad, surging_on, owns, parent_of.",
}
_DEPS = [*(k for a in identity_assets for k in a.keys), *(dg.AssetKey(["bronze", t]) for t in USED_COLUMNS)]


@dg.multi_asset(
    name="knowledge_graph",
    specs=[dg.AssetSpec(dg.AssetKey(t.split(".")), group_name="silver", description=d, deps=_DEPS,
                        kinds={"polars", "deltalake"}) for t, d in _DESCRIPTIONS.items()],
    pool="lakehouse_writes",
)
def knowledge_graph(context: dg.AssetExecutionContext, lakehouse: Lakehouse):
    """Rebuild the graph from bronze and the identity tables; merged by node and edge id."""
    started = dt.datetime.now(dt.UTC)
    store = lakehouse.store
    report = run_graph_stage(store)
    for table in _DESCRIPTIONS:
        before, after = report.outputs[table]
        by_type = report.nodes_by_type if table == GRAPH_NODES else report.edges_by_type
        rows = sum(by_type.values())
        if before != after:
            record_lineage(store, lineage_row(
                run_id=context.run.run_id, asset=table.replace(".", "/"), inputs=report.inputs,
                outputs={table: (before, after)}, rows_in=rows, rows_out=rows, rows_quarantined=0,
                started_at=started, finished_at=dt.datetime.now(dt.UTC)))
        yield dg.MaterializeResult(asset_key=dg.AssetKey(table.split(".")), metadata={
            "rows_by_type": dg.MetadataValue.json(by_type),
            "delta_version_before": before if before is not None else -1,
            "delta_version_after": after if after is not None else -1})


graph_assets: list[dg.AssetsDefinition] = [knowledge_graph]
