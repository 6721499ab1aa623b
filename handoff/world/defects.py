"""Bad-row injection: each chosen row gets exactly one defect of a kind valid for its object."""

from __future__ import annotations

import numpy as np
import polars as pl

KINDS = [
    "invalid_format",
    "required_missing",
    "type_mismatch",
    "out_of_range",
    "invalid_value",
    "invalid_json",
    "duplicate_key",
]

_TS_BAD = ["not-a-date", "2026-13-45T99:00:00Z", "yesterday", "20261120T250000"]
_DATE_BAD = ["not-a-date", "2026-02-30", "31/12/2026", "2026-13-01"]
_NUM_BAD = ["lots", "12,5x", "twelve", "1.2.3"]
_BOOL_BAD = ["yes-ish", "maybe", "2"]
_SCORE_BAD = ["140", "-3", "101", "250"]

Spec = dict[str, list[tuple[str, str]]]


def _req(fields: list[str]) -> list[tuple[str, str]]:
    return [(f, "missing") for f in fields]


_SF_SYS = [("CreatedDate", "ts"), ("LastModifiedDate", "ts"), ("IsDeleted", "bool")]

SPECS: dict[str, Spec] = {
    "Lead": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(
            ["Id", "LastName", "Company", "CreatedDate", "LastModifiedDate", "IsConverted", "IsDeleted"]
        ),
        "type_mismatch": _SF_SYS
        + [
            ("NumberOfEmployees", "num"),
            ("AnnualRevenue", "num"),
            ("IsConverted", "bool"),
            ("HasOptedOutOfEmail", "bool"),
        ],
        "out_of_range": [("NumberOfEmployees", "neg")],
        "duplicate_key": [("Id", "dup")],
    },
    "Contact": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(["Id", "LastName", "CreatedDate", "LastModifiedDate", "IsDeleted"]),
        "type_mismatch": _SF_SYS + [("HasOptedOutOfEmail", "bool")],
        "duplicate_key": [("Id", "dup")],
    },
    "Account": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(["Id", "Name", "CreatedDate", "LastModifiedDate", "IsDeleted"]),
        "type_mismatch": _SF_SYS + [("NumberOfEmployees", "num"), ("AnnualRevenue", "num")],
        "out_of_range": [("NumberOfEmployees", "neg")],
        "duplicate_key": [("Id", "dup")],
    },
    "Opportunity": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(
            [
                "Id",
                "Name",
                "StageName",
                "CloseDate",
                "IsClosed",
                "IsWon",
                "CreatedDate",
                "LastModifiedDate",
                "IsDeleted",
            ]
        ),
        "type_mismatch": _SF_SYS
        + [("Amount", "num"), ("CloseDate", "date"), ("IsClosed", "bool"), ("IsWon", "bool")],
        "duplicate_key": [("Id", "dup")],
    },
    "User": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(["Id", "Name", "IsActive", "CreatedDate"]),
        "type_mismatch": [("IsActive", "bool"), ("CreatedDate", "ts")],
        "duplicate_key": [("Id", "dup")],
    },
    "Task": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(["Id", "OwnerId", "Subject", "Status", "CreatedDate", "IsClosed"]),
        "type_mismatch": [("CreatedDate", "ts"), ("ActivityDate", "date"), ("IsClosed", "bool")],
        "invalid_value": [("TaskSubtype", "enum:Fax")],
        "duplicate_key": [("Id", "dup")],
    },
    "Campaign": {
        "invalid_format": [("Id", "sfid")],
        "required_missing": _req(["Id", "Name"]),
        "type_mismatch": [("StartDate", "date"), ("EndDate", "date"), ("ActualCost", "num")],
        "duplicate_key": [("Id", "dup")],
    },
    "contacts": {
        "invalid_format": [("hs_object_id", "numid")],
        "required_missing": _req(["hs_object_id", "createdate", "lastmodifieddate"]),
        "type_mismatch": [
            ("createdate", "ts"),
            ("lastmodifieddate", "ts"),
            ("num_conversion_events", "num"),
            ("hs_email_optout", "bool"),
        ],
        "invalid_value": [("lifecyclestage", "enum:prospectish")],
        "duplicate_key": [("hs_object_id", "dup")],
    },
    "leads": {
        "invalid_format": [("id", "numid")],
        "required_missing": _req(["id", "createdAt", "updatedAt"]),
        "type_mismatch": [("createdAt", "ts"), ("updatedAt", "ts"), ("unsubscribed", "bool")],
        "duplicate_key": [("id", "dup")],
    },
    "activities": {
        "invalid_format": [("leadId", "numid")],
        "required_missing": _req(["marketoGUID", "leadId", "activityDate", "activityTypeId"]),
        "type_mismatch": [("activityDate", "ts")],
        "invalid_value": [("activityTypeId", "enum:999")],
        "invalid_json": [("attributes", "json")],
        "duplicate_key": [("marketoGUID", "dup")],
    },
    "click_view": {
        "required_missing": _req(["click_view.gclid", "segments.date", "campaign.id"]),
        "type_mismatch": [("segments.date", "date"), ("campaign.id", "num")],
        "duplicate_key": [("click_view.gclid", "dup")],
    },
    "campaign": {
        "required_missing": _req(["segments.date", "campaign.id"]),
        "type_mismatch": [
            ("segments.date", "date"),
            ("metrics.impressions", "num"),
            ("metrics.clicks", "num"),
            ("metrics.cost_micros", "num"),
        ],
        "out_of_range": [("metrics.cost_micros", "neg")],
        "duplicate_key": [("segments.date+campaign.id", "dup")],
    },
    "leadgen": {
        "required_missing": _req(["Lead ID", "Submitted At"]),
        "type_mismatch": [("Submitted At", "ts")],
        "duplicate_key": [("Lead ID", "dup")],
    },
    "surge": {
        "required_missing": _req(["Domain", "Topic", "Composite Score", "Week Start Date"]),
        "type_mismatch": [("Composite Score", "num"), ("Week Start Date", "date")],
        "out_of_range": [("Composite Score", "score")],
        "duplicate_key": [("Domain+Topic+Week Start Date", "dup")],
    },
    "events": {
        "required_missing": _req(["type", "messageId", "timestamp", "event"]),
        "type_mismatch": [("timestamp", "ts")],
        "invalid_value": [("type", "enum:page")],
        "invalid_json": [("line", "line")],
        "duplicate_key": [("messageId", "dup")],
    },
}


def bad_count(rate: float, n: int) -> int:
    if rate <= 0 or n == 0:
        return 0
    k = round(rate * n)
    if n >= 50:
        k = max(k, 1)
    return min(k, n // 2)


def _bad_values(rng: np.random.Generator, gen: str, orig: pl.Series) -> pl.Series:
    k = len(orig)
    if gen == "missing":
        return pl.Series([None] * k, dtype=pl.String)
    if gen.startswith("enum:"):
        return pl.Series([gen[5:]] * k, dtype=pl.String)
    pools = {"ts": _TS_BAD, "date": _DATE_BAD, "num": _NUM_BAD, "bool": _BOOL_BAD, "score": _SCORE_BAD}
    if gen in pools:
        pool = pools[gen]
        return pl.Series(pool, dtype=pl.String).gather(rng.integers(0, len(pool), size=k))
    o = orig.fill_null("")
    if gen == "sfid":
        v = rng.integers(0, 3, size=k)
        f = pl.DataFrame({"o": o, "v": v})
        return f.select(
            pl.when(pl.col("v") == 0)
            .then("00Z" + pl.col("o").str.slice(3))
            .when(pl.col("v") == 1)
            .then(pl.col("o").str.slice(0, 17))
            .otherwise(pl.col("o") + "X")
        ).to_series()
    if gen == "numid":
        o = pl.Series(np.where(o.str.len_chars().to_numpy() < 2, "12345", o.to_numpy().astype(str)))
        pos = 1 + (rng.random(k) * (o.str.len_chars().to_numpy() - 1)).astype(np.int64)
        f = pl.DataFrame({"o": o, "p": pos})
        return f.select(
            pl.col("o").str.slice(0, pl.col("p")) + "a" + pl.col("o").str.slice(pl.col("p") + 1)
        ).to_series()
    if gen == "neg":
        digits = o.str.replace_all(r"[^0-9]", "")
        empty = digits.str.len_chars().to_numpy() == 0
        return "-" + digits.zip_with(pl.Series(~empty), pl.Series(["12"] * k, dtype=pl.String))
    if gen in ("json", "line"):
        half = np.maximum(o.str.len_chars().to_numpy() // 2, 1)
        f = pl.DataFrame({"o": o, "h": half})
        return f.select(pl.col("o").str.slice(0, pl.col("h"))).to_series()
    raise ValueError(gen)


def plan(rng: np.random.Generator, obj: str, n: int, rate: float) -> pl.DataFrame:
    """Choose bad rows (0-based pos) and their (kind, field, generator)."""
    k = bad_count(rate, n)
    spec = SPECS[obj]
    if k == 0:
        return pl.DataFrame(schema={"pos": pl.Int64, "kind": pl.String, "field": pl.String, "gen": pl.String})
    rows = np.sort(rng.choice(n, size=k, replace=False))
    kinds = list(spec)
    kind = np.array(kinds, dtype=object)[rng.integers(0, len(kinds), size=k)]
    if "duplicate_key" in spec:  # a duplicate needs a good row before it
        first = (kind == "duplicate_key") & (rows - np.arange(k) == 0)
        alt = [kd for kd in kinds if kd != "duplicate_key"]
        kind[first] = np.array(alt, dtype=object)[rng.integers(0, len(alt), size=int(first.sum()))]
    field = np.empty(k, dtype=object)
    gen = np.empty(k, dtype=object)
    for kd in kinds:
        m = kind == kd
        opts = spec[kd]
        pick = rng.integers(0, len(opts), size=int(m.sum()))
        field[m] = np.array([o[0] for o in opts], dtype=object)[pick]
        gen[m] = np.array([o[1] for o in opts], dtype=object)[pick]
    return pl.DataFrame(
        {
            "pos": rows.astype(np.int64),
            "kind": kind.astype(str),
            "field": field.astype(str),
            "gen": gen.astype(str),
        }
    )


def apply(rng: np.random.Generator, df: pl.DataFrame, p: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Write the planned defects into df (all-String columns); 'line' defects are left to the caller."""
    if p.height == 0:
        return df
    n = df.height
    cols = {c: df[c] for c in df.columns}
    bad = np.zeros(n, dtype=bool)
    bad[p["pos"].to_numpy()] = True
    good_idx = np.flatnonzero(~bad)
    good_before = np.searchsorted(good_idx, np.arange(n))  # number of good rows before each position
    for (field, g), grp in p.group_by(["field", "gen"], maintain_order=True):
        pos = grp["pos"].to_numpy()
        if g == "line":
            continue
        if g == "dup":
            cnt = good_before[pos]
            src = good_idx[(rng.random(pos.size) * np.maximum(cnt, 1)).astype(np.int64)]
            for kc in key:
                cols[kc] = cols[kc].scatter(pos, cols[kc].gather(src))
            continue
        cols[field] = cols[field].scatter(pos, _bad_values(rng, g, cols[field].gather(pos)))
    return pl.DataFrame(cols)
