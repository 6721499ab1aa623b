"""The analysts' DuckDB catalog over every Delta table, refreshed after the tables it exposes."""


import dagster as dg

from assets.bronze import BRONZE_KEYS
from assets.graph import graph_assets
from assets.identity import identity_assets
from assets.resources import Lakehouse
from assets.routing import handoff_routing, sla_status
from assets.scoring import scoring_assets
from pipelines.graph import GRAPH_VIEWS
from pipelines.graph.stage import GRAPH_EDGES
from pipelines.scoring.current import LEAD_SCORE_UPDATES, LEAD_SCORES, current_scores_view
from pipelines.storage.catalog import refresh_catalog

__all__ = ["analyst_catalog"]


@dg.asset(
    key=dg.AssetKey(["catalog", "analyst_catalog"]),
    group_name="catalog",
    kinds={"duckdb"},
    deps=[*BRONZE_KEYS, *(k for a in [*identity_assets, *graph_assets, *scoring_assets, handoff_routing,
                                       sla_status] for k in a.keys)],
    description="DuckDB file with one view per Delta table (bronze, quarantine, silver, audit) under its layer as "
                "schema; open it read-only from the duckdb CLI or Python while runs write.",
)
def analyst_catalog(context: dg.AssetExecutionContext, lakehouse: Lakehouse) -> dg.MaterializeResult:
    store = lakehouse.store
    views = list(GRAPH_VIEWS) if store.table(GRAPH_EDGES) is not None else []
    if store.table(LEAD_SCORES) is not None:
        views.append(current_scores_view(with_updates=store.table(LEAD_SCORE_UPDATES) is not None))
    snapshot, replaced = refresh_catalog(store, lakehouse.catalog, views=views)
    context.log.info(f"catalog {'rebuilt' if replaced else 'unchanged'}: {len(snapshot.versions)} tables")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(lakehouse.catalog)),
        "tables": dg.MetadataValue.json(snapshot.versions),
        "replaced": replaced,
    })
