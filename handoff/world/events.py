"""Real-time intake events (Segment spec, JSON Lines): identify + track, plus anonymous traffic."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import defects, noise, web
from . import lexicon as lx
from .core import (
    HOUR,
    Clock,
    early_times,
    hex_ids,
    lit_series,
    null_where,
    recent_tail,
    stream,
    take,
    ts_offset,
    uuid_like,
    where,
)
from .writer import Sink

LINES_PER_FILE = 50_000
TRACK_EVENTS = [
    "Page Viewed",
    "Pricing Page Viewed",
    "Form Submitted",
    "Demo Requested",
    "Chat Started",
    "Trial Started",
]
_FORM_EVENTS = {"Form Submitted", "Demo Requested", "Trial Started"}
_EVENT_PAGE = {
    "Pricing Page Viewed": "/pricing",
    "Demo Requested": "/demo",
    "Trial Started": "/docs/getting-started",
    "Chat Started": "/",
    "Form Submitted": "/contact",
}
_FORM_OF = {"Demo Requested": "Demo Request", "Trial Started": "Free Trial"}
PROPERTY_KEYS = ["form_name", "url", "utm_source", "utm_medium", "utm_campaign", "gclid", "email"]


def build_events(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    gclid: pl.Series,
    clock: Clock,
) -> pl.DataFrame:
    tracked = np.flatnonzero(p["in_tracked"].to_numpy())
    n_p = p.height
    anon1 = uuid_like(rng, n_p)
    anon2 = uuid_like(rng, n_p)
    two_dev = rng.random(n_p) < 0.3
    has_user = p["in_identify"].to_numpy() & ((p["n_trial"].to_numpy() > 0) | (rng.random(n_p) < 0.4))
    user_id = null_where("usr_" + hex_ids(rng, n_p, 12), ~has_user)
    t_first = p["t_first"].to_numpy()
    frames: list[pl.DataFrame] = []

    # identify
    idn = np.flatnonzero(p["in_identify"].to_numpy())
    idn = np.sort(np.concatenate([idn, idn[rng.random(idn.size) < 0.3]]), kind="stable")
    second = np.zeros(idn.size, dtype=bool)
    second[1:] = idn[1:] == idn[:-1]
    m = idn.size
    ps = take(p, idn)
    t = np.where(
        second, early_times(rng, t_first[idn], clock.end), t_first[idn] + rng.integers(0, 600, size=m)
    )
    acct = ps["acct_row"].to_numpy()
    traits = pl.DataFrame(
        {
            "email": noise.email(rng, ps["work_email"], ps["personal_email"], personal_p=0.25, typo_p=0.005),
            "firstName": noise.first_name(rng, ps["first_name"], null=0.1),
            "lastName": noise.last_name(rng, ps["last_name"], null=0.1),
            "phone": noise.phone(rng, ps["phone_cc"], ps["phone_area"], ps["phone_sub"], null=0.6),
            "company": noise.company(rng, acc, acct, null=0.3),
            "title": noise.title(rng, ps["seniority"].to_numpy(), ps["function"].to_numpy(), null=0.4),
            "website": null_where(
                noise.website(rng, acc["domain"].gather(np.maximum(acct, 0))),
                (acct < 0) | (rng.random(m) < 0.6),
            ),
            "country": noise.country(rng, ps["country"], style="code", variant=0.1, null=0.3),
        }
    ).to_struct("traits")
    frames.append(
        pl.DataFrame(
            {
                "shape": ["identify"] * m,
                "pr": idn,
                "t": t,
                "userId": null_where(user_id.gather(idn), ~second & (rng.random(m) < 0.5)),
                "dev": two_dev[idn] & (rng.random(m) < 0.5),
                "event": pl.Series([None] * m, dtype=pl.String),
                "page_url": pl.Series([lx.SELLER_SITE + "/signup"] * m),
                "traits": traits,
            }
        )
    )

    # track: counts per tracked person and event name
    tp = take(
        p, tracked, ["n_web", "n_pricing", "n_form", "ft_form", "n_demo", "n_chat", "n_trial"], core=False
    )
    counts = [
        tp["n_web"].to_numpy(),
        tp["n_pricing"].to_numpy(),
        tp["n_form"].to_numpy() + tp["ft_form"].to_numpy(),
        tp["n_demo"].to_numpy(),
        tp["n_chat"].to_numpy(),
        tp["n_trial"].to_numpy(),
    ]
    for e, c in enumerate(counts):
        li = np.repeat(tracked, c)
        k = np.arange(li.size) - np.repeat(np.cumsum(c) - c, c)
        mm = li.size
        if mm == 0:
            continue
        name = TRACK_EVENTS[e]
        first_form = (name == "Form Submitted") & (k == 0) & p["ft_form"].to_numpy()[li]
        t = np.where(first_form, t_first[li], early_times(rng, t_first[li] - HOUR, clock.end))
        url = (
            web.pages(rng, mm)[1]
            if name == "Page Viewed"
            else pl.Series([lx.SELLER_SITE + _EVENT_PAGE[name]] * mm)
        )
        frames.append(
            pl.DataFrame(
                {
                    "shape": ["track"] * mm,
                    "pr": li,
                    "t": t,
                    "userId": null_where(user_id.gather(li), rng.random(mm) < 0.4),
                    "dev": two_dev[li] & (rng.random(mm) < 0.5),
                    "event": [name] * mm,
                    "page_url": url,
                    "first_form": first_form,
                    "is_form": np.full(mm, name in _FORM_EVENTS),
                }
            )
        )
    ev = pl.concat(frames, how="diagonal")
    n = ev.height
    pr = ev["pr"].to_numpy()
    anon = where(ev["dev"].to_numpy(), anon2.gather(pr), anon1.gather(pr))
    first_form = ev["first_form"].fill_null(False).to_numpy()
    is_form = ev["is_form"].fill_null(False).to_numpy()
    ft = p["ft_camp"].to_numpy()[pr]
    ftc = np.maximum(ft, 0)
    utm_on = first_form & (ft >= 0)
    pe = take(p, pr, ["person_id", "account_id", "work_email", "personal_email", "tz_offset"], core=False)
    form_name = where(
        ev["event"].is_in(list(_FORM_OF)).to_numpy(),
        ev["event"].replace_strict(_FORM_OF, default="Contact Us"),
        lit_series(lx.FORM_NAMES, rng.integers(0, len(lx.FORM_NAMES), size=n)),
    )
    props = pl.DataFrame(
        {
            "form_name": null_where(form_name, ~is_form),
            "url": ev["page_url"],
            "utm_source": null_where(camps["utm_source"].gather(ftc), ~utm_on),
            "utm_medium": null_where(camps["utm_medium"].gather(ftc), ~utm_on),
            "utm_campaign": null_where(camps["utm_campaign"].gather(ftc), ~utm_on),
            "gclid": null_where(gclid.gather(pr), ~first_form),
            "email": null_where(
                noise.email(rng, pe["work_email"], pe["personal_email"], personal_p=0.2),
                ~is_form | (rng.random(n) < 0.2),
            ),
        }
    ).to_struct("properties")
    ev = ev.with_columns(
        anonymousId=anon,
        properties=props,
        person_id=pe["person_id"],
        account_id=pe["account_id"],
        tz=pe["tz_offset"],
    )
    anon_ev = _anonymous(rng, max(n // 4, 10), clock)
    ev = pl.concat([ev.drop("dev", "first_form", "is_form", "pr"), anon_ev], how="diagonal")
    ev = ev.with_columns(pl.col("t").clip(clock.start, clock.end))
    ev = ev.with_columns(messageId=uuid_like(rng, ev.height)).sort(["t", "messageId"])
    m = ev.height
    context = pl.DataFrame(
        {
            "ip": web.ips(rng, m),
            "userAgent": web.user_agents(rng, m),
            "page": pl.DataFrame({"url": ev["page_url"], "referrer": web.referrers(rng, m)}).to_struct(
                "page"
            ),
        }
    ).to_struct("context")
    return ev.with_columns(
        type=ev["shape"],
        timestamp=ts_offset(ev["t"].to_numpy(), ev["tz"].to_numpy(), rng.integers(0, 1000, size=m)),
        context=context,
    )


def _anonymous(rng: np.random.Generator, n: int, clock: Clock) -> pl.DataFrame:
    """Unknown visitors: page views only, never tied to a person."""
    visitors = uuid_like(rng, max(n // 2, 1))
    v = rng.integers(0, len(visitors), size=n)
    pricing = rng.random(n) < 0.2
    url = where(pricing, pl.Series([lx.SELLER_SITE + "/pricing"] * n), web.pages(rng, n)[1])
    return pl.DataFrame(
        {
            "shape": ["track"] * n,
            "t": recent_tail(
                rng, clock.start + (rng.random(n) * (clock.end - clock.start)).astype(np.int64), clock
            ),
            "userId": pl.Series([None] * n, dtype=pl.String),
            "event": where(pricing, pl.Series(["Pricing Page Viewed"] * n), pl.Series(["Page Viewed"] * n)),
            "page_url": url,
            "anonymousId": visitors.gather(v),
            "properties": pl.DataFrame(
                {k: (url if k == "url" else pl.Series([None] * n, dtype=pl.String)) for k in PROPERTY_KEYS}
            ).to_struct("properties"),
            "person_id": pl.Series([None] * n, dtype=pl.Int64),
            "account_id": pl.Series([None] * n, dtype=pl.Int64),
            "tz": rng.choice([-480, -300, 0, 60, 330], size=n),
        }
    )


def write_events(ev: pl.DataFrame, sink: Sink, seed: int, rate: float, as_of: str) -> None:
    n = ev.height
    n_files = -(-n // LINES_PER_FILE)
    for old in sorted((sink.landing / "events").glob(f"events_{as_of}_*.jsonl")):
        if old.stem.rsplit("_", 1)[-1].isdigit() and int(old.stem.rsplit("_", 1)[-1]) > n_files:
            old.unlink()  # a chunk left over from an earlier, larger world of the same day
    for f, lo in enumerate(range(0, n, LINES_PER_FILE)):  # a few dozen files at most
        chunk = ev.slice(lo, LINES_PER_FILE)
        rel = f"events/events_{as_of}_{f + 1:04d}.jsonl"
        rng = stream(seed, "defects:" + rel)
        plan = defects.plan(rng, "events", chunk.height, rate)
        if plan.height:
            identify = (chunk["shape"].gather(plan["pos"]) == "identify").to_numpy()
            plan = plan.with_columns(
                pl.Series(
                    "field",
                    where(
                        identify & (plan["field"] == "event").to_numpy(),
                        pl.Series(["timestamp"] * plan.height),
                        plan["field"],
                    ),
                )
            )
        chunk = defects.apply(rng, chunk, plan, ["messageId"])
        cols = ["type", "messageId", "timestamp", "userId", "anonymousId"]
        ident = pl.struct(*cols, "traits", "context").struct.json_encode()
        track = pl.struct(*cols, "event", "properties", "context").struct.json_encode()
        lines = chunk.select(pl.when(pl.col("shape") == "identify").then(ident).otherwise(track)).to_series()
        broken = plan.filter(pl.col("gen") == "line")["pos"].to_numpy()
        if broken.size:
            cut = lines.gather(broken)
            lines = lines.scatter(broken, cut.str.slice(0, (cut.str.len_chars() // 2).cast(pl.Int64)))
        sink.write_lines(rel, lines)
        sink.add_bad(rel, "events", "events", plan)
        has_email = chunk["properties"].struct.field("email").is_not_null().fill_null(False)
        person = (chunk["shape"] == "identify") | chunk["userId"].is_not_null() | has_email
        person &= chunk["person_id"].is_not_null()
        idx = np.flatnonzero(person.to_numpy())
        sub = chunk[idx]
        for shape in ("identify", "track"):
            s = (sub["shape"] == shape).to_numpy()
            sink.add_records(
                "events",
                shape,
                rel,
                sub["messageId"].filter(pl.Series(s)),
                sub["person_id"].filter(pl.Series(s)),
                sub["account_id"].filter(pl.Series(s)),
                rows=idx[s] + 1,
            )
