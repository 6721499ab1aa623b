"""Knowledge graph over the lakehouse: accounts, persons, campaigns, content, topics and reps as node and edge
tables (see ``docs/graph.md``)."""

from .build import (
    EDGE_SCHEMA, EDGE_TYPES, GRAPH_VIEWS, NODE_SCHEMA, NODE_TYPES, SURGE_THRESHOLD, build_graph, edge_ids,
    prepare,
)
from .edges import USED_COLUMNS, campaign_key, normalise_name, normalise_url

__all__ = ["NODE_SCHEMA", "EDGE_SCHEMA", "NODE_TYPES", "EDGE_TYPES", "GRAPH_VIEWS", "SURGE_THRESHOLD",
           "USED_COLUMNS", "build_graph", "edge_ids", "prepare", "normalise_url", "normalise_name",
           "campaign_key"]
