"""Handoff briefs: one Markdown and one HTML page per handoff, from precompiled Jinja2 templates.

Every value a template shows is prepared first, column-wise in Polars (:func:`brief_context`): names, the
account line, relative ages of touches, percentages, the SLA deadline in the owner's time zone and in UTC, the
tier-specific next step and the suggested next asset. The templates then only place strings, which keeps
rendering at tens of thousands of briefs per second; the one per-row Python step is the template call itself.
Only the fields a rep needs reach a template (name, title, work email, phone, company, country): the context
is a fixed selection, so extra input columns (a personal email, an IP, an anonymous id) can never leak in.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import markupsafe
import polars as pl

from .content import next_asset
from .parallel import submit_render

__all__ = ["BRIEF_INPUT_SCHEMA", "BRIEF_SCHEMA", "TEMPLATES_DIR", "brief_context", "check_handoffs",
           "render_briefs", "submit_briefs", "template_version", "wall_clock"]

_TS = pl.Datetime("us", "UTC")
BRIEF_INPUT_SCHEMA = pl.Schema({
    "handoff_id": pl.String, "person_id": pl.String, "decided_at": _TS, "tier": pl.String,
    "probability": pl.Float64, "confidence": pl.Float64, "needs_review": pl.Boolean,
    "owner_id": pl.String, "owner_name": pl.String, "owner_kind": pl.String, "owner_time_zone": pl.String,
    "rule_id": pl.String, "rule_version": pl.String, "model_version": pl.String, "rule_path": pl.List(pl.String),
    "candidates": pl.List(pl.Struct({"candidate_id": pl.String, "name": pl.String, "reason": pl.String})),
    "sla_due_at": _TS, "reasons": pl.List(pl.String),
    "first_name": pl.String, "last_name": pl.String, "title": pl.String, "email": pl.String, "phone": pl.String,
    "company": pl.String, "country_code": pl.String,
    "account_name": pl.String, "account_industry": pl.String, "account_employees": pl.Int64, "segment": pl.String,
    "buying_group": pl.List(pl.Struct({"name": pl.String, "title": pl.String})),
    "recent_touches": pl.List(pl.Struct({"at": _TS, "kind": pl.String, "detail": pl.String})),
    "surging_topics": pl.List(pl.String), "engaged_content": pl.List(pl.String),
})
BRIEF_SCHEMA = pl.Schema({"handoff_id": pl.String, "brief_markdown": pl.String, "brief_html": pl.String,
                          "next_asset": pl.String, "template_version": pl.String})

TEMPLATES_DIR = Path(__file__).with_name("templates")
_TEMPLATES = ("brief.md.j2", "brief.html.j2")
_TIERS = ("hot", "warm")
_GLOBALS = dict(jinja2.Environment().globals)  # range, dict, namespace, ...: what a template may call
# an address at one of these is a personal one: a brief shows work email only
_FREEMAIL = ["gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "aol.com",
             "icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com",
             "yandex.ru", "qq.com", "163.com"]


def check_handoffs(handoffs: pl.DataFrame) -> pl.DataFrame:
    """The brief input columns of ``handoffs``, cast to :data:`BRIEF_INPUT_SCHEMA` (extra columns dropped).

    Raises ``ValueError`` naming missing columns, columns that do not cast, unknown tiers and repeated ids.
    """
    missing = [c for c in BRIEF_INPUT_SCHEMA if c not in handoffs.columns]
    if missing:
        msg = (f"render_briefs: the handoffs frame lacks columns {missing}; add them (see "
               f"pipelines.briefs.BRIEF_INPUT_SCHEMA for names and types)")
        raise ValueError(msg)
    cols = []
    for name, dtype in BRIEF_INPUT_SCHEMA.items():
        got = handoffs.schema[name]
        if got != dtype and got != pl.Null:
            try:
                handoffs.select(pl.col(name).cast(dtype, strict=True))
            except (pl.exceptions.PolarsError, TypeError) as exc:
                msg = f"render_briefs: column {name!r} is {got}, expected {dtype}, and does not cast: {exc}"
                raise ValueError(msg) from exc
        cols.append(pl.col(name).cast(dtype))
    frame = handoffs.select(cols)
    odd = frame.filter(~pl.col("tier").is_in(_TIERS))["tier"].unique().to_list()
    if odd:
        msg = f"render_briefs: tier must be one of {_TIERS}, found {sorted(map(str, odd))}; route only hot/warm"
        raise ValueError(msg)
    dupes = frame.filter(pl.col("handoff_id").is_duplicated())["handoff_id"].unique().to_list()
    if dupes:
        msg = f"render_briefs: handoff_id must be unique, repeated: {sorted(dupes)[:5]}"
        raise ValueError(msg)
    return frame


def wall_clock(frame: pl.DataFrame, ts: str, tz: str, fmt: str) -> pl.Expr:
    """``ts`` (UTC) formatted with ``fmt`` in each row's IANA zone ``tz`` (UTC where null): one pass per zone.

    Examples
    --------
    >>> import datetime as dt
    >>> f = pl.DataFrame({"at": [dt.datetime(2025, 1, 14, 21, 30, tzinfo=dt.UTC)] * 2,
    ...                   "tz": ["America/New_York", None]},
    ...                  schema={"at": pl.Datetime("us", "UTC"), "tz": pl.String})
    >>> f.select(wall_clock(f, "at", "tz", "%H:%M %Z")).to_series().to_list()
    ['16:30 EST', '21:30 UTC']
    """
    zones = sorted(frame.get_column(tz).drop_nulls().unique().to_list())
    for zone in zones:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"time zone {zone!r} in column {tz!r} is not an IANA zone (e.g. 'Europe/Berlin'); fix the owner"
            raise ValueError(msg) from exc
    expr = pl.col(ts).dt.convert_time_zone("UTC").dt.strftime(fmt)
    for zone in zones:
        local = pl.col(ts).dt.convert_time_zone(zone).dt.strftime(fmt)
        expr = pl.when(pl.col(tz) == zone).then(local).otherwise(expr)
    return expr


def _age(delta: pl.Expr) -> pl.Expr:
    minutes = delta.dt.total_minutes()
    hours, days = delta.dt.total_hours(), delta.dt.total_days()
    return (pl.when(minutes < 1).then(pl.lit("just now"))
            .when(minutes < 60).then(pl.format("{} min ago", minutes))
            .when(hours < 24).then(pl.format("{} h ago", hours))
            .when(days == 1).then(pl.lit("yesterday"))
            .otherwise(pl.format("{} days ago", days)))


def _pct(expr: pl.Expr) -> pl.Expr:
    return pl.format("{}%", (expr * 100).round(0).cast(pl.Int64))


def _touches(frame: pl.DataFrame) -> pl.DataFrame:
    long = (frame.select("handoff_id", "decided_at", "recent_touches").explode("recent_touches")
            .drop_nulls("recent_touches").unnest("recent_touches"))
    line = pl.concat_str(_age(pl.col("decided_at") - pl.col("at")), pl.lit(": "),
                         pl.col("kind").fill_null("touch").str.replace_all("_", " "),
                         pl.lit(" · ") + pl.col("detail"), ignore_nulls=True)
    return long.group_by("handoff_id").agg(line.alias("touches"))


def brief_context(handoffs: pl.DataFrame, *, catalog: pl.DataFrame | Path | None = None) -> pl.DataFrame:
    """The template variables, one row per handoff, in input order; every value a display string or list of them.

    Whole lines are composed here, column-wise, so a template places a few strings per brief (each escaped
    once in HTML) instead of formatting dozens of fields per row. The variables: ``handoff_id, person_id,
    tier, tier_label, needs_review, owner_id, owner_name, owner_kind, owner_time_zone, name, title, company,
    email, headline, handed, review_note, action, sla_local, sla_utc, sla_line, person_line, who, reasons,
    touches, surging, engaged, next_asset, next_asset_title, next_asset_url, next_asset_because, rule_line,
    rule_path, rule_steps, candidates, model_line, probability, confidence``.
    """
    f = check_handoffs(handoffs)
    name = pl.concat_str("first_name", "last_name", separator=" ", ignore_nulls=True).replace("", None)
    domain = pl.col("email").str.split("@").list.last().str.to_lowercase()
    employees = (pl.col("account_employees").cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "$1,")
                 .str.strip_chars_end(",").str.reverse())
    account = pl.concat_list(pl.coalesce("account_name", "company"), "account_industry",
                             pl.format("{} employees", employees), pl.format("{} segment", "segment"))
    group = pl.col("buying_group").list.eval(pl.concat_str(
        pl.element().struct.field("name"), pl.lit(", ") + pl.element().struct.field("title"), ignore_nulls=True))
    cands = pl.col("candidates").list.eval(pl.concat_str(
        pl.element().struct.field("name"), pl.lit(" (") + pl.element().struct.field("candidate_id") + pl.lit(")"),
        pl.lit(": ") + pl.element().struct.field("reason"), ignore_nulls=True))
    until = pl.col("sla_due_at") - pl.col("decided_at")
    due_in = (pl.when(until.dt.total_minutes() < 0).then(pl.lit("overdue at hand-off"))
              .when(until.dt.total_hours() < 1).then(pl.format("in {} min", until.dt.total_minutes()))
              .when(until.dt.total_hours() < 48).then(pl.format("in {} h", until.dt.total_hours()))
              .otherwise(pl.format("in {} days", until.dt.total_days())))
    base = (f.join(next_asset(f, catalog=catalog), on="handoff_id", how="left", maintain_order="left")
            .join(_touches(f), on="handoff_id", how="left", maintain_order="left")
            .with_columns(
                wall_clock(f, "sla_due_at", "owner_time_zone", "%a %d %b %Y, %H:%M %Z").alias("sla_local"),
                pl.col("sla_due_at").dt.strftime("%a %d %b %Y, %H:%M UTC").alias("sla_utc"),
                pl.coalesce(name, "email", pl.lit("Unknown contact")).alias("name"),
                pl.coalesce("first_name", name, pl.lit("them")).alias("_greet"),
                pl.when(domain.is_in(_FREEMAIL)).then(None).otherwise("email").alias("email"),
                pl.col("owner_time_zone").fill_null("UTC"),
                _pct(pl.col("probability")).alias("probability"), _pct(pl.col("confidence")).alias("confidence")))
    queue = pl.when(pl.col("owner_kind") == "queue").then(pl.format("Claim it from {} first, then: ", "owner_name"))
    action = pl.concat_str(queue, pl.when(pl.col("tier") == "hot")
                           .then(pl.format("Call {} today, before {}. Open with why now: {}.", "_greet",
                                           "sla_local", pl.col("reasons").list.first().fill_null("their intent")))
                           .otherwise(pl.format("Email {} within the SLA (by {}) and share \u201c{}\u201d.",
                                                "_greet", "sla_local", "next_asset_title")), ignore_nulls=True)
    who = pl.concat_list(pl.lit("Account: ") + account.list.drop_nulls().list.join(" · ").replace("", None),
                         pl.lit("Phone: ") + pl.col("phone"),
                         pl.lit("Country: ") + pl.col("country_code").str.to_uppercase(),
                         pl.lit("Buying group (last 30 days): ")
                         + group.list.join("; ").replace("", "no one else engaged yet")).list.drop_nulls()
    return base.select(
        "handoff_id", "person_id", "tier", pl.col("tier").str.to_uppercase().alias("tier_label"), "needs_review",
        "owner_id", "owner_name", "owner_kind", "owner_time_zone", "name", "title", "company", "email",
        pl.concat_str(pl.col("tier").str.to_uppercase(), pl.lit(" lead: "), "name",
                      pl.format(" ({})", "company"), ignore_nulls=True).alias("headline"),
        pl.format("Handed to {} ({}) at {} · handoff {}", "owner_name", "owner_kind",
                  pl.col("decided_at").dt.strftime("%Y-%m-%d %H:%M UTC"), "handoff_id").alias("handed"),
        pl.when("needs_review").then(pl.format("Needs review: the model is unsure about this lead (confidence {}); "
                                               "check before acting.", "confidence")).alias("review_note"),
        action.alias("action"), "sla_local", "sla_utc",
        pl.format("{} ({}), {} · {}", "sla_local", "owner_time_zone", due_in, "sla_utc").alias("sla_line"),
        pl.concat_str("name", pl.lit(", ") + pl.col("title"), ignore_nulls=True).alias("person_line"),
        who.alias("who"), "reasons", pl.col("touches").fill_null([]),
        pl.col("surging_topics").list.unique(maintain_order=True).list.join(", ").replace("", None)
        .alias("surging"),
        pl.col("engaged_content").list.head(5).alias("engaged"),
        "next_asset", "next_asset_title", "next_asset_url", "next_asset_because",
        pl.format("Rule {} version {}, path:", "rule_id", "rule_version").alias("rule_line"), "rule_path",
        pl.col("rule_path").list.eval(pl.format("{}. {}", pl.int_range(1, pl.len() + 1), pl.element()))
        .alias("rule_steps"),
        cands.alias("candidates"),
        pl.concat_str(pl.format("Model {}: probability {}, confidence {}", "model_version", "probability",
                                "confidence"),
                      pl.when("needs_review").then(pl.lit(", flagged for review")), ignore_nulls=True)
        .alias("model_line"),
        "probability", "confidence").rechunk()


def _stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for name in _TEMPLATES:
        p = directory / name
        if not p.is_file():
            msg = (f"templates folder {directory} lacks {name}; it needs {list(_TEMPLATES)} "
                   f"(copy them from {TEMPLATES_DIR})")
            raise FileNotFoundError(msg)
        st = p.stat()
        out.append((name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def _join_escaped(items: list[str] | None, separator: str = ", ") -> markupsafe.Markup:
    """``join`` for autoescaped HTML with one escape call per list, not per item (separator is template text).

    Examples
    --------
    >>> str(_join_escaped(["a<b", "c&d"], "</li><li>"))
    'a&lt;b</li><li>c&amp;d'
    """
    if not items:
        return markupsafe.Markup("")
    joined = str(markupsafe.escape("\x1e".join(map(str, items))))
    return markupsafe.Markup(joined.replace("\x1e", str(separator)))


@lru_cache(maxsize=8)
def _compiled(directory: str, stamp: tuple) -> tuple[jinja2.Template, jinja2.Template, str]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"),
                                                                 default_for_string=False, default=False),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
    env.filters["join_escaped"] = _join_escaped
    digest = hashlib.sha256()
    for name in _TEMPLATES:
        digest.update(name.encode() + b"\0" + (Path(directory) / name).read_bytes() + b"\0")
    try:
        md, html = (env.get_template(n) for n in _TEMPLATES)
    except jinja2.TemplateSyntaxError as exc:
        msg = f"template {exc.name or exc.filename} line {exc.lineno} in {directory} does not parse: {exc.message}"
        raise ValueError(msg) from exc
    return md, html, digest.hexdigest()[:12]


def _templates(templates: Path | None) -> tuple[jinja2.Template, jinja2.Template, str]:
    directory = Path(templates) if templates is not None else TEMPLATES_DIR
    return _compiled(str(directory.resolve()), _stamp(directory))


def template_version(templates: Path | None = None) -> str:
    """Short sha256 of the two template sources: the ``template_version`` a brief records.

    Examples
    --------
    >>> len(template_version())
    12
    """
    return _templates(templates)[2]


def render_rows(directory: str, stamp: tuple, ctx: pl.DataFrame) -> tuple[list[str], list[str]]:
    """(Markdown, HTML) of each row of a :func:`brief_context` frame, with the templates of ``directory``."""
    md, html, _ = _compiled(directory, stamp)
    md_root, md_ctx = md.root_render_func, md.new_context
    html_root, html_ctx = html.root_render_func, html.new_context
    # the loop only makes acyclic str/dict objects: pausing the cyclic GC saves its repeated full scans
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        # each row dict is the template context as it is (shared=True): Template.render would copy it merged
        # with the globals ChainMap, ~15 µs a brief; the globals are merged in once per row here instead
        rows = [{**_GLOBALS, **r} for r in ctx.to_dicts()]
        return ([("".join(md_root(md_ctx(r, shared=True)))) for r in rows],
                ["".join(html_root(html_ctx(r, shared=True))) for r in rows])
    finally:
        if gc_was_enabled:
            gc.enable()


def render_briefs(handoffs: pl.DataFrame, *, templates: Path | None = None,
                  catalog: pl.DataFrame | Path | None = None) -> pl.DataFrame:
    """Markdown and HTML briefs, one row per handoff (``BRIEF_SCHEMA``), in the input order.

    Parameters
    ----------
    handoffs
        One row per handoff with the columns of :data:`BRIEF_INPUT_SCHEMA` (others are ignored).
    templates
        A folder holding ``brief.md.j2`` and ``brief.html.j2`` (default: the packaged ones). Compiled once
        per folder and file version; the HTML one is autoescaped, the Markdown one is not.
    catalog
        The content catalog for the next asset (see :func:`pipelines.briefs.content.next_asset`).

    Examples
    --------
    >>> from pipelines.briefs.sample import sample_handoffs
    >>> out = render_briefs(sample_handoffs(3))
    >>> out.columns, out["brief_markdown"].str.contains("## Next step").all()
    (['handoff_id', 'brief_markdown', 'brief_html', 'next_asset', 'template_version'], True)
    """
    return submit_briefs(handoffs, templates=templates, catalog=catalog)()


def submit_briefs(handoffs: pl.DataFrame, *, templates: Path | None = None,
                  catalog: pl.DataFrame | Path | None = None, background: bool = False
                  ) -> Callable[[], pl.DataFrame]:
    """:func:`render_briefs`, started: returns the function that waits for its frame. With ``background``,
    a large frame renders wholly in the worker processes (:func:`~pipelines.briefs.parallel.submit_render`)
    while the caller goes on, e.g. writing the previous chunk's briefs."""
    version = _templates(templates)[2]  # compiles (or finds compiled) both templates first
    directory = Path(templates) if templates is not None else TEMPLATES_DIR
    ctx = brief_context(handoffs, catalog=catalog)

    def undefined(exc: jinja2.UndefinedError) -> ValueError:
        return ValueError(f"a brief template in {directory} uses an undefined variable: {exc.message}; "
                          f"the variables are {sorted(ctx.columns)}")

    try:
        pending = submit_render(ctx, str(directory.resolve()), _stamp(directory), background=background)
    except jinja2.UndefinedError as exc:
        raise undefined(exc) from exc

    def result() -> pl.DataFrame:
        try:
            markdown, pages = pending.result()
        except jinja2.UndefinedError as exc:
            raise undefined(exc) from exc
        return pl.DataFrame({"handoff_id": ctx["handoff_id"],
                             "brief_markdown": markdown, "brief_html": pages,
                             "next_asset": ctx["next_asset"], "template_version": [version] * ctx.height},
                            schema=BRIEF_SCHEMA)

    return result
