"""The one suggested "next asset" per handoff, from a small content catalog (``content.yaml``).

An asset is *related* to a handoff when something the person engaged with (a page, a form, a content title) is
one of the asset's ``leads_from`` entries (a path also matches everything under it), or when one of their
surging topics is among the asset's ``topics``. The suggestion is the related asset with the lowest ``order``
that the person has not already seen (its url or title is not among what they engaged with); when none is left,
the first unseen ``default`` asset (or the first default when they have seen them all). All of it is joins over
exploded lists: no per-row Python.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

__all__ = ["CATALOG_PATH", "NEXT_ASSET_SCHEMA", "load_catalog", "next_asset", "normalize_content"]

CATALOG_PATH = Path(__file__).with_name("content.yaml")

NEXT_ASSET_SCHEMA = pl.Schema({"handoff_id": pl.String, "next_asset": pl.String, "next_asset_title": pl.String,
                               "next_asset_url": pl.String, "next_asset_because": pl.String})

_CATALOG_SCHEMA = pl.Schema({"asset_id": pl.String, "title": pl.String, "url": pl.String, "order": pl.Int64,
                             "default": pl.Boolean, "leads_from": pl.List(pl.String),
                             "topics": pl.List(pl.String)})


def normalize_content(expr: pl.Expr) -> pl.Expr:
    """A comparable key for a page, form or title: lower case; URLs lose scheme, host, query and trailing ``/``.

    Examples
    --------
    >>> s = pl.Series(["https://x.example/Pricing/?utm=1", "/pricing", "Form: Demo Request ", "https://x.example/"])
    >>> pl.select(normalize_content(pl.lit(s))).to_series().to_list()
    ['/pricing', '/pricing', 'form: demo request', '/']
    """
    text = expr.str.strip_chars().str.to_lowercase()
    is_url = text.str.starts_with("/") | text.str.contains(r"^https?://")
    path = (text.str.replace(r"^https?://[^/?#]*", "").str.replace(r"[?#].*$", "").str.strip_chars_end("/")
            .replace("", "/"))
    return pl.when(is_url).then(path).otherwise(text)


@lru_cache(maxsize=8)
def _load(path: str, stamp: int) -> pl.DataFrame:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    assets = raw.get("assets") if isinstance(raw, dict) else None
    if not isinstance(assets, list) or not assets:
        msg = f"content catalog {path} must hold a non-empty 'assets:' list; see pipelines/briefs/content.yaml"
        raise ValueError(msg)
    rows = []
    for i, a in enumerate(assets):
        missing = [k for k in ("id", "title", "url", "order") if not isinstance(a, dict) or a.get(k) is None]
        if missing:
            msg = f"content catalog {path}: asset #{i + 1} lacks {missing}; every asset needs id, title, url, order"
            raise ValueError(msg)
        rows.append({"asset_id": str(a["id"]), "title": str(a["title"]), "url": str(a["url"]),
                     "order": int(a["order"]), "default": bool(a.get("default", False)),
                     "leads_from": [str(x) for x in a.get("leads_from") or []],
                     "topics": [str(x) for x in a.get("topics") or []]})
    catalog = pl.DataFrame(rows, schema=_CATALOG_SCHEMA)
    dupes = catalog.filter(pl.col("asset_id").is_duplicated())["asset_id"].unique().to_list()
    if dupes:
        msg = f"content catalog {path}: asset ids {sorted(dupes)} appear more than once; make each id unique"
        raise ValueError(msg)
    if not catalog["default"].any():
        msg = f"content catalog {path} has no 'default: true' asset; mark at least one as the generic fallback"
        raise ValueError(msg)
    return catalog.sort("order", "asset_id")


def load_catalog(path: Path | None = None) -> pl.DataFrame:
    """The catalog as a frame (``asset_id, title, url, order, default, leads_from, topics``), sorted by order.

    Examples
    --------
    >>> load_catalog().filter(pl.col("default"))["asset_id"].to_list()[:1]
    ['product-tour']
    """
    p = Path(path) if path is not None else CATALOG_PATH
    if not p.is_file():
        msg = f"content catalog {p} does not exist; pass an existing YAML file (see pipelines/briefs/content.yaml)"
        raise FileNotFoundError(msg)
    return _load(str(p.resolve()), p.stat().st_mtime_ns)


def next_asset(handoffs: pl.DataFrame, *, catalog: pl.DataFrame | Path | None = None) -> pl.DataFrame:
    """One suggested next asset per handoff (``NEXT_ASSET_SCHEMA``), in the order of ``handoffs``.

    Parameters
    ----------
    handoffs
        Needs ``handoff_id`` (str), ``engaged_content`` and ``surging_topics`` (lists of str).
    catalog
        A frame from :func:`load_catalog`, a YAML path, or ``None`` for the packaged ``content.yaml``.

    Examples
    --------
    >>> h = pl.DataFrame({"handoff_id": ["a", "b"], "surging_topics": [[], ["lead routing"]],
    ...                   "engaged_content": [["https://handoff.example/pricing",
    ...                                        "https://handoff.example/tools/roi-calculator"], []]})
    >>> next_asset(h)["next_asset"].to_list()  # a has seen what pricing leads to; b surges on routing
    ['product-tour', 'routing-playbook']
    """
    missing = [c for c in ("handoff_id", "engaged_content", "surging_topics") if c not in handoffs.columns]
    if missing:
        msg = f"next_asset: the handoffs frame lacks columns {missing}; it needs handoff_id, engaged_content, " \
              f"surging_topics"
        raise ValueError(msg)
    cat = catalog if isinstance(catalog, pl.DataFrame) else load_catalog(catalog)
    ids = handoffs.select(pl.col("handoff_id").cast(pl.String)).with_row_index("_row")
    engaged = (handoffs.select(pl.col("handoff_id").cast(pl.String),
                               pl.col("engaged_content").cast(pl.List(pl.String)).alias("item"))
               .explode("item").drop_nulls("item")
               .with_columns(normalize_content(pl.col("item")).alias("key")))
    topics = (handoffs.select(pl.col("handoff_id").cast(pl.String),
                              pl.col("surging_topics").cast(pl.List(pl.String)).alias("item"))
              .explode("item").drop_nulls("item")
              .with_columns(pl.col("item").str.strip_chars().str.to_lowercase().alias("key")))
    leads = (cat.select("asset_id", pl.col("leads_from").alias("lead")).explode("lead").drop_nulls("lead")
             .with_columns(normalize_content(pl.col("lead")).alias("lead")))
    # distinct engaged keys × the catalog's few lead keys: exact match, or a page under a catalog path
    keys = engaged.select("key").unique()
    key_assets = (keys.join(leads, how="cross")
                  .filter((pl.col("key") == pl.col("lead"))
                          | (pl.col("lead").str.starts_with("/") & (pl.col("lead") != "/")
                             & pl.col("key").str.starts_with(pl.col("lead") + "/")))
                  .select("key", "asset_id").unique())
    by_page = engaged.join(key_assets, on="key").select("handoff_id", "asset_id", "item")
    cat_topics = (cat.select("asset_id", pl.col("topics").alias("key")).explode("key").drop_nulls("key")
                  .with_columns(pl.col("key").str.strip_chars().str.to_lowercase()))
    by_topic = topics.join(cat_topics, on="key").select("handoff_id", "asset_id",
                                                         pl.format("surging topic {}", "item").alias("item"))
    seen_keys = pl.concat([
        cat.select("asset_id", normalize_content(pl.col("url")).alias("key")),
        cat.select("asset_id", normalize_content(pl.col("title")).alias("key"))])
    seen = engaged.join(seen_keys, on="key").select("handoff_id", "asset_id").unique()
    order = cat.select("asset_id", "order", "title", "url", "default")
    related = (pl.concat([by_page.with_columns(pl.lit(0).alias("_src")),
                          by_topic.with_columns(pl.lit(1).alias("_src"))])
               .join(seen, on=["handoff_id", "asset_id"], how="anti")
               .join(order, on="asset_id")
               .sort("handoff_id", "order", "_src", "item")
               .unique("handoff_id", keep="first", maintain_order=True)
               .select("handoff_id", pl.col("asset_id").alias("next_asset"),
                       pl.col("title").alias("next_asset_title"),
                       pl.col("url").alias("next_asset_url"),
                       pl.format("they engaged with {}", "item").alias("next_asset_because")))
    defaults = order.filter(pl.col("default"))
    unseen_default = (ids.select("handoff_id").unique().join(defaults, how="cross")
                      .join(seen.with_columns(pl.lit(True).alias("_seen")), on=["handoff_id", "asset_id"],
                            how="left")
                      .sort("handoff_id", pl.col("_seen").is_not_null(), "order")
                      .unique("handoff_id", keep="first", maintain_order=True)
                      .select("handoff_id", pl.col("asset_id").alias("d_id"), pl.col("title").alias("d_title"),
                              pl.col("url").alias("d_url")))
    out = (ids.join(related, on="handoff_id", how="left").join(unseen_default, on="handoff_id", how="left")
           .sort("_row")
           .select("handoff_id",
                   pl.coalesce("next_asset", "d_id").alias("next_asset"),
                   pl.coalesce("next_asset_title", "d_title").alias("next_asset_title"),
                   pl.coalesce("next_asset_url", "d_url").alias("next_asset_url"),
                   "next_asset_because"))
    return out.cast(dict(NEXT_ASSET_SCHEMA))  # type: ignore[arg-type]
