"""Briefs: sections, owner-time-zone SLA, escaping, StrictUndefined, privacy, next asset, input checks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.briefs import (
    BRIEF_INPUT_SCHEMA,
    TEMPLATES_DIR,
    next_asset,
    render_briefs,
    sample_handoffs,
    template_version,
    write_sample_briefs,
)

UTC = dt.UTC


def _one(**overrides: object) -> pl.DataFrame:
    frame = sample_handoffs(1, seed=3)
    values = {"tier": "hot", "owner_time_zone": "America/New_York", "owner_name": "Dana Whitfield",
              "decided_at": dt.datetime(2025, 1, 14, 17, 30, tzinfo=UTC),
              "sla_due_at": dt.datetime(2025, 1, 14, 21, 30, tzinfo=UTC), **overrides}
    return frame.with_columns(pl.lit(v, dtype=frame.schema[k]).alias(k) if not isinstance(v, pl.Expr) else v.alias(k)
                              for k, v in values.items())


def test_brief_has_every_section_and_the_owner_time_zone_deadline() -> None:
    brief = render_briefs(_one()).row(0, named=True)
    md, html = brief["brief_markdown"], brief["brief_html"]
    for section in ("## Next step", "## Who", "## Why now", "## Content", "## What was considered"):
        assert section in md
        assert f"<h2>{section[3:]}</h2>" in html
    for text in (md, html):
        assert "Tue 14 Jan 2025, 16:30 EST (America/New_York)" in text  # the owner's wall clock
        assert "Tue 14 Jan 2025, 21:30 UTC" in text and "in 4 h" in text
        assert "Call " in text and "today" in text  # hot: call today
        assert "R-20 territory_segment version 2025.03.1" in text and "existing_owner: none" in text
        assert "chosen" in text and "lead-xgb-0007" in text
    assert "employees" in md and "segment" in md and "Buying group" in md
    assert brief["next_asset"] and brief["template_version"] == template_version()


def test_warm_lead_is_emailed_and_a_queue_is_claimed_first() -> None:
    md = render_briefs(_one(tier="warm", owner_kind="queue", owner_name="Inbound SDR queue",
                            owner_time_zone=None))["brief_markdown"][0]
    assert "Claim it from Inbound SDR queue first, then: Email" in md
    assert "21:30 UTC (UTC)" in md  # no owner zone: UTC


def test_html_escapes_markup_and_markdown_does_not() -> None:
    brief = render_briefs(_one(company="<script>alert(1)</script> & Co")).row(0, named=True)
    assert "<script>" not in brief["brief_html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in brief["brief_html"]
    assert "<script>alert(1)</script> & Co" in brief["brief_markdown"]
    # list items are escaped too, the list markup is not
    html = render_briefs(_one(reasons=pl.lit(["<b>bold</b>"]))) ["brief_html"][0]
    assert "<li>&lt;b&gt;bold&lt;/b&gt;</li>" in html


def test_personal_fields_never_reach_a_brief() -> None:
    frame = _one().with_columns(pl.lit("quinn.private@gmail.com").alias("personal_email"),
                                pl.lit("203.0.113.77").alias("ip_address"),
                                pl.lit("Mozilla/5.0 (X11; Linux)").alias("user_agent"),
                                pl.lit("anon-7f3e9a").alias("anonymous_id"))
    free = _one(email="someone.home@gmail.com")
    out = pl.concat([render_briefs(frame), render_briefs(free)])
    for text in (*out["brief_markdown"], *out["brief_html"]):
        for secret in ("private@gmail.com", "203.0.113.77", "Mozilla", "anon-7f3e9a", "someone.home@gmail.com"):
            assert secret not in text
    assert frame["email"][0] in out["brief_markdown"][0]  # the work email is there


def test_a_template_typo_fails_naming_the_variable(tmp_path: Path) -> None:
    for name in ("brief.md.j2", "brief.html.j2"):
        shutil.copy(TEMPLATES_DIR / name, tmp_path / name)
    md = tmp_path / "brief.md.j2"
    md.write_text(md.read_text().replace("{{ action }}", "{{ acton }}"))
    with pytest.raises(ValueError, match="'acton' is undefined"):
        render_briefs(_one(), templates=tmp_path)
    assert template_version(tmp_path) != template_version()


def test_missing_or_mistyped_input_columns_are_named() -> None:
    with pytest.raises(ValueError, match=r"\['sla_due_at', 'segment'\]"):
        render_briefs(_one().drop("segment", "sla_due_at"))
    with pytest.raises(ValueError, match="'probability'"):
        render_briefs(_one().with_columns(pl.lit("high").alias("probability")))
    with pytest.raises(ValueError, match="nurture"):
        render_briefs(_one(tier="nurture"))
    assert set(BRIEF_INPUT_SCHEMA) <= set(sample_handoffs(1).columns)


def test_next_asset_skips_what_they_already_saw() -> None:
    h = pl.DataFrame({
        "handoff_id": ["pricing", "pricing+roi", "nothing", "saw-tour", "deep-page"],
        "surging_topics": [[], [], [], [], []],
        "engaged_content": [["https://handoff.example/pricing?utm_source=x"],
                            ["https://handoff.example/pricing", "ROI calculator: what faster lead handoff is worth"],
                            [], ["https://handoff.example/tour"], ["https://handoff.example/product/routing/rules"]]},
        schema={"handoff_id": pl.String, "surging_topics": pl.List(pl.String), "engaged_content": pl.List(pl.String)})
    out = next_asset(h)
    assert out["handoff_id"].to_list() == h["handoff_id"].to_list()
    assert out["next_asset"].to_list() == ["roi-calculator", "product-tour", "product-tour", "customer-stories",
                                           "routing-playbook"]
    assert out["next_asset_because"][0] == "they engaged with https://handoff.example/pricing?utm_source=x"


def test_sample_briefs_are_written(tmp_path: Path) -> None:
    paths = write_sample_briefs(tmp_path)
    assert [p.name for p in paths] == ["sample_brief.md", "sample_brief.html"]
    assert "## Next step" in paths[0].read_text() and "<article" in paths[1].read_text()


def test_render_keeps_input_order_and_one_row_per_handoff() -> None:
    h = sample_handoffs(300, seed=5).sample(fraction=1.0, shuffle=True, seed=1)
    out = render_briefs(h)
    assert out["handoff_id"].to_list() == h["handoff_id"].to_list()
    assert out["brief_markdown"].str.contains("## Who").all() and out["brief_html"].str.contains("</article>").all()


def test_briefs_rendered_across_processes_equal_those_rendered_in_one() -> None:
    from pipelines.briefs.parallel import submit_render
    from pipelines.briefs.render import TEMPLATES_DIR, _stamp, brief_context

    ctx = brief_context(sample_handoffs(301))
    directory = str(TEMPLATES_DIR.resolve())
    one = submit_render(ctx, directory, _stamp(TEMPLATES_DIR), min_rows=10**9).result()
    split = submit_render(ctx, directory, _stamp(TEMPLATES_DIR), min_rows=1).result()
    background = submit_render(ctx, directory, _stamp(TEMPLATES_DIR), min_rows=1, background=True).result()
    assert split[0].equals(one[0]) and split[1].equals(one[1]) and len(one[0]) == len(one[1]) == 301
    assert background[0].equals(one[0]) and background[1].equals(one[1])
    assert all("## Next step" in md for md in split[0].to_pylist())


def test_briefs_submitted_in_the_background_equal_render_briefs() -> None:
    from pipelines.briefs import submit_briefs

    h = sample_handoffs(250, seed=3)
    later = submit_briefs(h, background=True)
    assert later().equals(render_briefs(h))


def test_briefs_render_in_process_when_workers_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    from pipelines.briefs import parallel
    from pipelines.briefs.render import TEMPLATES_DIR, _stamp, brief_context

    class Broken:
        def submit(self, *_args: object, **_kwargs: object) -> None:
            raise BrokenProcessPool("a worker could not start")

    monkeypatch.setattr(parallel, "_workers", lambda _n: Broken())
    monkeypatch.setattr(parallel, "_broken", False)
    ctx = brief_context(sample_handoffs(40))
    directory = str(TEMPLATES_DIR.resolve())
    with pytest.warns(RuntimeWarning, match="rendering in this process"):
        md, html = parallel.submit_render(ctx, directory, _stamp(TEMPLATES_DIR), min_rows=1).result()
    serial = parallel.submit_render(ctx, directory, _stamp(TEMPLATES_DIR), min_rows=10**9).result()
    assert md.equals(serial[0]) and html.equals(serial[1])
    assert parallel._broken  # later calls do not try the workers again
