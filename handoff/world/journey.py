"""Each person's journey: first touch, system memberships, engagement counts, hand-off and conversion."""

from __future__ import annotations

import numpy as np
import polars as pl

from .campaigns import TYPES, pick_campaign_times
from .core import DAY, HOUR, Clock, sigmoid

FORM_FIRST_TOUCH = {"Webinar", "Paid Search", "Content Syndication", "Website", "Paid Social"}


def _lognormal_secs(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    return np.exp(rng.normal(np.log(median), sigma, size=n)).astype(np.int64)


def make_journey(
    rng: np.random.Generator, p: pl.DataFrame, camps: pl.DataFrame, clock: Clock
) -> pl.DataFrame:
    n = p.height
    intent = p["intent"].to_numpy()
    fit = p["fit"].to_numpy()
    has_acct = p["acct_row"].to_numpy() >= 0
    prop = p["propensity"].to_numpy()

    # first touch: a campaign for ~75%, organic otherwise
    ft_camp = np.where(rng.random(n) < 0.75, rng.integers(0, camps.height, size=n), -1)
    with_camp = ft_camp >= 0
    t_first = clock.start + (rng.random(n) * (clock.end - clock.start - 2 * HOUR)).astype(np.int64)
    t_first[with_camp] = pick_campaign_times(rng, camps, ft_camp[with_camp])
    t_first = np.minimum(t_first, clock.end - 2 * HOUR)
    type_names = np.array(TYPES)
    ft_type = np.where(with_camp, camps["type_idx"].to_numpy()[np.maximum(ft_camp, 0)], -1)
    ft_is = {t: ft_type == i for i, t in enumerate(TYPES)}

    # engagement drawn from intent (+ fit)
    ei = np.exp(0.5 * intent)
    n_web = rng.poisson(2.0 * ei)
    n_form = rng.poisson(0.35 * np.exp(0.7 * intent + 0.2 * fit))
    ft_form = np.isin(ft_type, [TYPES.index(t) for t in FORM_FIRST_TOUCH])
    n_sent = rng.poisson(2.0, size=n)
    n_open = rng.binomial(n_sent, sigmoid(-0.8 + 0.5 * intent))
    n_click = rng.binomial(n_open, sigmoid(-1.5 + 0.6 * intent))
    n_pricing = rng.poisson(0.3 * np.exp(0.9 * intent))
    n_demo = rng.poisson(0.04 * np.exp(1.1 * intent + 0.3 * fit))
    n_chat = rng.poisson(0.08 * ei)
    n_trial = np.minimum(rng.poisson(0.03 * np.exp(1.2 * intent)), 1)
    n_ads = np.where(ft_is["Paid Search"], 1 + rng.poisson(0.4, size=n), 0)

    # conversion: an opportunity follows engagement with a lag, only if created before as_of
    lag = (7 * DAY + rng.gamma(2.0, 14 * DAY, size=n) * np.exp(-0.2 * intent)).astype(np.int64)
    t_opp = t_first + lag
    converted = has_acct & (rng.random(n) < prop) & (t_opp < clock.end - HOUR)

    # system memberships
    in_lead = rng.random(n) < np.clip(0.55 + 0.06 * intent, 0.2, 0.95)
    in_lead |= converted & (rng.random(n) < 0.7)
    in_contact = (has_acct & (rng.random(n) < 0.21)) | converted
    lead_converted = in_lead & in_contact & (converted | (rng.random(n) < 0.7))
    in_hubspot = rng.random(n) < np.clip(0.5 + 0.05 * intent, 0.2, 0.95)
    in_marketo = rng.random(n) < np.clip(0.4 + 0.05 * intent, 0.1, 0.95)
    in_linkedin = (ft_is["Paid Social"] & (rng.random(n) < 0.55)) | (rng.random(n) < 0.02)
    in_identify = rng.random(n) < np.clip(0.15 * np.exp(0.3 * intent), 0.0, 0.9)
    in_tracked = in_identify | (rng.random(n) < 0.10)

    lead_created = np.minimum(t_first + rng.integers(60, 2 * DAY, size=n), clock.end)
    # lead conversion (-> contact) happens at the opportunity, or some time after lead creation
    t_convert = np.where(
        converted,
        t_opp,
        lead_created + (rng.random(n) * np.maximum(clock.end - lead_created, 1) * 0.6).astype(np.int64),
    )
    t_convert = np.clip(t_convert, lead_created + 60, clock.end)
    contact_created = np.where(
        lead_converted, t_convert, np.minimum(t_first + rng.integers(HOUR, 5 * DAY, size=n), clock.end)
    )
    contact_created = np.where(
        converted & ~lead_converted, np.minimum(contact_created, t_opp - HOUR), contact_created
    )
    contact_created = np.maximum(contact_created, clock.start)

    # hand-off: a rep picks the lead up (worked) some hours later
    worked = in_lead & ((rng.random(n) < sigmoid(-0.6 + 0.8 * intent + 0.5 * fit)) | lead_converted)
    t_handoff = np.minimum(lead_created + _lognormal_secs(rng, n, 5 * HOUR, 1.3), clock.end)

    return p.with_columns(
        ft_camp=pl.Series(ft_camp),
        ft_type=pl.Series(ft_type),
        ft_type_name=pl.Series(np.where(with_camp, type_names[np.maximum(ft_type, 0)], "Organic")),
        t_first=pl.Series(t_first),
        ft_form=pl.Series(ft_form),
        n_web=pl.Series(n_web),
        n_form=pl.Series(n_form),
        n_sent=pl.Series(n_sent),
        n_open=pl.Series(n_open),
        n_click=pl.Series(n_click),
        n_pricing=pl.Series(n_pricing),
        n_demo=pl.Series(n_demo),
        n_chat=pl.Series(n_chat),
        n_trial=pl.Series(n_trial),
        n_ads=pl.Series(n_ads),
        converted=pl.Series(converted),
        t_opp=pl.Series(t_opp),
        in_lead=pl.Series(in_lead),
        in_contact=pl.Series(in_contact),
        lead_converted=pl.Series(lead_converted),
        in_hubspot=pl.Series(in_hubspot),
        in_marketo=pl.Series(in_marketo),
        in_linkedin=pl.Series(in_linkedin),
        in_identify=pl.Series(in_identify),
        in_tracked=pl.Series(in_tracked),
        lead_created=pl.Series(lead_created),
        t_convert=pl.Series(t_convert),
        contact_created=pl.Series(contact_created),
        worked=pl.Series(worked),
        t_handoff=pl.Series(t_handoff),
    )
