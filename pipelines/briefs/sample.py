"""Synthetic handoffs in the brief input shape (plus CRM ids), for tests, the benchmark and the sample briefs.

Every name, company and address is made up; lists are built column-wise from offsets (no per-row Python).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from .render import BRIEF_INPUT_SCHEMA, render_briefs

__all__ = ["SAMPLE_SCHEMA", "sample_handoffs", "write_sample_briefs"]

SAMPLE_SCHEMA = pl.Schema({**BRIEF_INPUT_SCHEMA, "sf_lead_id": pl.String, "sf_contact_id": pl.String})

_FIRST = ["Avery", "Jordan", "Riley", "Morgan", "Quinn", "Casey", "Rowan", "Harper", "Emerson", "Sasha", "Noor",
          "Kenji", "Ines", "Tomas", "Priya", "Lena"]
_LAST = ["Lindqvist", "Okafor", "Marchetti", "Haddad", "Novak", "Ferreira", "Takahashi", "Brennan", "Kowalski",
         "Dubois", "Mensah", "Castillo", "Larsen", "Varga"]
_TITLES = ["VP Marketing", "Director of Revenue Operations", "Head of Sales", "Marketing Operations Manager",
           "CRO", "Demand Generation Lead", "Sales Operations Analyst"]
_COMPANIES = [("Northwind Analytics", "northwind.example", "Software"), ("Bluefin Logistics", "bluefin.example",
              "Logistics"), ("Copperleaf Health", "copperleaf.example", "Healthcare"),
              ("Tallgrass Energy", "tallgrass.example", "Energy"), ("Quillon Media", "quillon.example", "Media"),
              ("Ostrava Robotics", "ostrava.example", "Manufacturing")]
_COUNTRIES = ["US", "US", "US", "CA", "GB", "DE", "FR", "JP"]
_OWNERS = [("0051", "Dana Whitfield", "rep", "America/New_York"), ("0052", "Luis Ortega", "rep", "America/Chicago"),
           ("0053", "Mei Tanaka", "rep", "America/Los_Angeles"), ("0054", "Oskar Brandt", "rep", "Europe/Berlin"),
           ("0055", "Claire Dubois", "rep", "Europe/Paris"), ("0056", "Amara Obi", "rep", "Europe/London"),
           ("0057", "Kaito Mori", "rep", "Asia/Tokyo"), ("00G1", "Inbound SDR queue", "queue", None)]
_REASONS = ["requested a demo 2 days ago", "visited pricing 4 times this week", "title matches the buying persona",
            "account is surging on lead routing", "3 colleagues engaged in the last 30 days",
            "downloaded the scoring whitepaper yesterday", "opened the last 3 emails",
            "attended the routing webinar"]
_TOUCHES = [("form_fill", "Demo request"), ("page_view", "https://handoff.example/pricing"),
            ("email_click", "Speed-to-lead newsletter"), ("webinar", "Speed to lead, live"),
            ("page_view", "https://handoff.example/product/routing/rules"), ("ad_click", "LinkedIn: routing ad")]
_TOPICS = ["lead routing", "sales efficiency", "data governance", "lead scoring", "crm", "pricing"]
_CONTENT = ["https://handoff.example/pricing", "https://handoff.example/product/routing/rules",
            "Form: Demo Request",
            "https://handoff.example/tools/roi-calculator", "https://handoff.example/blog/lead-scoring/part-2",
            "Webinar: Speed to lead", "https://handoff.example/security", "https://handoff.example/customers"]
_SKIP = ["at capacity (14 open leads)", "out of office until Monday", "outside the territory",
         "segment mismatch (SMB rep)", "round-robin turn not due"]


def _lists(counts: np.ndarray, values: pa.Array) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _pick(rng: np.random.Generator, pool: list, size: int) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), size)]


def sample_handoffs(n: int, *, seed: int = 0) -> pl.DataFrame:
    """``n`` synthetic handoffs with every brief input column and ``sf_lead_id`` / ``sf_contact_id``.

    Examples
    --------
    >>> f = sample_handoffs(4, seed=1)
    >>> f.height, f.schema == SAMPLE_SCHEMA, f["handoff_id"].is_unique().all()
    (4, True, True)
    """
    if n < 0:
        msg = f"sample_handoffs: n must be >= 0, got {n}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    base = dt.datetime(2025, 3, 3, 14, 0, tzinfo=dt.UTC)
    decided = np.datetime64(base.replace(tzinfo=None), "us") + rng.integers(0, 14 * 24 * 60, n).astype(
        "timedelta64[m]")
    hot = rng.random(n) < 0.4
    comp = rng.integers(0, len(_COMPANIES), n)
    owner = rng.integers(0, len(_OWNERS), n)
    first, last = _pick(rng, _FIRST, n), _pick(rng, _LAST, n)
    conf = rng.uniform(0.3, 0.95, n)
    # candidates: the chosen owner plus two passed over
    cand_owner = np.stack([owner, (owner + 1 + rng.integers(0, 3, n)) % 7, (owner + 4) % 7], axis=1).ravel()
    cand_reason = np.stack([np.full(n, "chosen", dtype=object), _pick(rng, _SKIP, n), _pick(rng, _SKIP, n)],
                           axis=1).ravel()
    candidates = _lists(np.full(n, 3), pa.StructArray.from_arrays(
        [pa.array([o[0] for o in _OWNERS]).take(pa.array(cand_owner)),
         pa.array([o[1] for o in _OWNERS]).take(pa.array(cand_owner)),
         pa.array(cand_reason, pa.string())], names=["candidate_id", "name", "reason"]))
    g = rng.integers(0, 4, n)
    group = _lists(g, pa.StructArray.from_arrays(
        [pa.array(_pick(rng, _FIRST, g.sum()) + " " + _pick(rng, _LAST, g.sum()), pa.string()),
         pa.array(_pick(rng, _TITLES, g.sum()), pa.string())], names=["name", "title"]))
    t = rng.integers(1, 6, n)
    touch_kind = rng.integers(0, len(_TOUCHES), t.sum())
    ago = np.sort(rng.integers(5, 20 * 24 * 60, t.sum()))  # sorted ascending: latest first within each row
    touch_at = np.repeat(decided, t) - ago.astype("timedelta64[m]")
    touches = _lists(t, pa.StructArray.from_arrays(
        [pa.array(touch_at, pa.timestamp("us", "UTC")),
         pa.array(np.asarray([k for k, _ in _TOUCHES], dtype=object)[touch_kind], pa.string()),
         pa.array(np.asarray([d for _, d in _TOUCHES], dtype=object)[touch_kind], pa.string())],
        names=["at", "kind", "detail"]))
    s, e = rng.integers(0, 4, n), rng.integers(0, 5, n)
    pick3 = (rng.integers(0, len(_REASONS), n)[:, None] + np.array([0, 1, 3])) % len(_REASONS)
    reasons = _lists(np.full(n, 3), pa.array(np.asarray(_REASONS, dtype=object)[pick3.ravel()], pa.string()))
    company, domain, industry = (np.asarray([c[i] for c in _COMPANIES], dtype=object)[comp] for i in range(3))
    email = np.char.add(np.char.add(np.char.lower(first.astype(str)), "."),
                        np.char.add(np.char.lower(last.astype(str)), np.char.add("@", domain.astype(str))))
    lead = rng.random(n) < 0.7
    arrow = {
        "handoff_id": pa.array(np.char.add("h-", np.char.zfill(idx.astype(str), 7))),
        "person_id": pa.array(np.char.add("p-", np.char.zfill(rng.integers(0, 10**7, n).astype(str), 8))),
        "decided_at": pa.array(decided, pa.timestamp("us", "UTC")),
        "tier": pa.array(np.where(hot, "hot", "warm")),
        "probability": pa.array(np.where(hot, rng.uniform(0.7, 0.99, n), rng.uniform(0.4, 0.7, n))),
        "confidence": pa.array(conf), "needs_review": pa.array(conf < 0.45),
        "owner_id": pa.array([o[0] for o in _OWNERS]).take(pa.array(owner)),
        "owner_name": pa.array([o[1] for o in _OWNERS]).take(pa.array(owner)),
        "owner_kind": pa.array([o[2] for o in _OWNERS]).take(pa.array(owner)),
        "owner_time_zone": pa.array([o[3] for o in _OWNERS], pa.string()).take(pa.array(owner)),
        "rule_id": pa.array(np.where(owner == 7, "R-90 overflow_queue", "R-20 territory_segment")),
        "rule_version": pa.array(np.full(n, "2025.03.1")), "model_version": pa.array(np.full(n, "lead-xgb-0007")),
        "rule_path": _lists(np.full(n, 3), pa.array(np.stack([
            np.full(n, "existing_owner: none", dtype=object),
            np.char.add("territory_segment: ", _pick(rng, ["US East × MID (4 reps)", "EMEA × ENT (3 reps)",
                                                          "APAC × SMB (2 reps)"], n).astype(str)).astype(object),
            np.char.add("capacity: ", rng.integers(1, 4, n).astype(str)).astype(object)], axis=1).ravel(),
            pa.string())),
        "candidates": candidates,
        "sla_due_at": pa.array(decided + np.where(hot, 4, 24).astype("timedelta64[h]"), pa.timestamp("us", "UTC")),
        "reasons": reasons,
        "first_name": pa.array(first, pa.string()), "last_name": pa.array(last, pa.string()),
        "title": pa.array(_pick(rng, _TITLES, n), pa.string()),
        "email": pa.array(email, pa.string()),
        "phone": pa.array(np.char.add("+1 555 01", np.char.zfill(rng.integers(0, 100, n).astype(str), 2))),
        "company": pa.array(company, pa.string()),
        "country_code": pa.array(_pick(rng, _COUNTRIES, n), pa.string()),
        "account_name": pa.array(company, pa.string()), "account_industry": pa.array(industry, pa.string()),
        "account_employees": pa.array(rng.integers(20, 20000, n)),
        "segment": pa.array(_pick(rng, ["SMB", "MID", "ENT"], n), pa.string()),
        "buying_group": group, "recent_touches": touches,
        "surging_topics": _lists(s, pa.array(_pick(rng, _TOPICS, s.sum()), pa.string())),
        "engaged_content": _lists(e, pa.array(_pick(rng, _CONTENT, e.sum()), pa.string())),
        "sf_lead_id": pa.array(np.where(lead, np.char.add("00Q5g00000", np.char.zfill(idx.astype(str), 8)), None)),
        "sf_contact_id": pa.array(np.where(lead, None,
                                           np.char.add("0035g00000", np.char.zfill(idx.astype(str), 8)))),
    }
    frame = pl.from_arrow(pa.table(arrow))
    return frame.cast(dict(SAMPLE_SCHEMA)).select(list(SAMPLE_SCHEMA))  # type: ignore[union-attr, arg-type]


def write_sample_briefs(out_dir: Path) -> list[Path]:
    """Render one sample handoff and write ``sample_brief.md`` and ``sample_brief.html`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    handoffs = sample_handoffs(8, seed=7).filter(pl.col("tier") == "hot").head(1)
    brief = render_briefs(handoffs).row(0, named=True)
    md, html = out_dir / "sample_brief.md", out_dir / "sample_brief.html"
    md.write_text(brief["brief_markdown"], encoding="utf-8")
    html.write_text("<!doctype html>\n<meta charset=\"utf-8\">\n<title>Sample handoff brief</title>\n"
                    + brief["brief_html"], encoding="utf-8")
    return [md, html]
