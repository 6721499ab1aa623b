"""Handoff briefs: Markdown + HTML per handoff from precompiled Jinja2 templates, and the suggested next asset.

No Dagster here: the assets call :func:`render_briefs` with the routed handoffs (:data:`BRIEF_INPUT_SCHEMA`).
"""

from .content import CATALOG_PATH, NEXT_ASSET_SCHEMA, load_catalog, next_asset, normalize_content
from .render import (
                     BRIEF_INPUT_SCHEMA,
                     BRIEF_SCHEMA,
                     TEMPLATES_DIR,
                     brief_context,
                     check_handoffs,
                     render_briefs,
                     submit_briefs,
                     template_version,
                     wall_clock,
)
from .sample import SAMPLE_SCHEMA, sample_handoffs, write_sample_briefs

__all__ = ["BRIEF_INPUT_SCHEMA", "BRIEF_SCHEMA", "CATALOG_PATH", "NEXT_ASSET_SCHEMA", "SAMPLE_SCHEMA",
           "TEMPLATES_DIR", "brief_context", "check_handoffs", "load_catalog", "next_asset", "normalize_content",
           "render_briefs", "sample_handoffs", "submit_briefs", "template_version", "wall_clock",
           "write_sample_briefs"]
