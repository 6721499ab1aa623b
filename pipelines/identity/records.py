"""Person-bearing bronze records in one canonical shape: the resolver's input contract.

Each bronze table that carries a person maps onto :data:`PERSON_RECORD_SCHEMA` through a declarative column map
(:data:`PERSON_SOURCES`); :func:`person_records` applies it. The resolver accepts any frame in this shape, so
outside data only has to be mapped once, and optional columns may simply be missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from pipelines.storage.delta import DeltaStore

__all__ = ["PERSON_RECORD_SCHEMA", "PersonSource", "PERSON_SOURCES", "person_records", "conform_person_records",
           "bronze_columns", "read_person_records"]

PERSON_RECORD_SCHEMA = pl.Schema({
    "source": pl.String,            # the bronze table, e.g. "salesforce_lead"
    "record_id": pl.String,         # the record's id in its source system
    "first_name": pl.String,
    "last_name": pl.String,
    "email": pl.String,
    "phone": pl.String,
    "mobile_phone": pl.String,
    "title": pl.String,
    "company": pl.String,
    "website": pl.String,
    "city": pl.String,
    "region": pl.String,            # state or province (territory routing)
    "country": pl.String,
    "observed_at": pl.Datetime("us", "UTC"),  # when the source last saw these values (survivorship)
    "sf_lead_id": pl.String,        # cross-system ids: deterministic links
    "sf_contact_id": pl.String,
    "sf_account_id": pl.String,     # the CRM's account for the person (Contact.AccountId, converted lead)
    "anonymous_id": pl.String,
    "user_id": pl.String,
    "is_deleted": pl.Boolean,
})


@dataclass(frozen=True)
class PersonSource:
    """How one bronze table maps onto the person-record contract.

    ``columns`` maps a canonical column to the bronze column(s) it comes from (the first non-null wins);
    ``where`` keeps only the rows that carry a person (events without identity are not person records).
    """

    table: str
    record_id: str
    columns: Mapping[str, tuple[str, ...]]
    where: pl.Expr | None = field(default=None)


def _same(*names: str) -> dict[str, tuple[str, ...]]:
    return {n: (n,) for n in names}


_NAME_FIELDS = ("first_name", "last_name", "email", "phone", "title", "company", "website", "city", "country")

PERSON_SOURCES: tuple[PersonSource, ...] = (
    PersonSource("salesforce_lead", "id", {
        **_same(*_NAME_FIELDS, "mobile_phone", "is_deleted"), "region": ("state",),
        "observed_at": ("last_modified_at", "created_at"),
        "sf_lead_id": ("id",), "sf_contact_id": ("converted_contact_id",), "sf_account_id": ("converted_account_id",),
    }),
    PersonSource("salesforce_contact", "id", {
        **_same("first_name", "last_name", "email", "phone", "title", "is_deleted"),
        "city": ("mailing_city",), "region": ("mailing_state",), "country": ("mailing_country",),
        "observed_at": ("last_modified_at", "created_at"), "sf_contact_id": ("id",), "sf_account_id": ("account_id",),
    }),
    PersonSource("hubspot_contact", "hs_object_id", {
        **_same("first_name", "last_name", "email", "phone", "company", "website", "city", "country"),
        "region": ("state",), "title": ("job_title",), "observed_at": ("last_modified_at", "created_at"),
    }),
    PersonSource("marketo_lead", "id", {
        **_same(*_NAME_FIELDS), "region": ("state",), "observed_at": ("updated_at", "created_at"),
        "sf_lead_id": ("sfdc_lead_id",), "sf_contact_id": ("sfdc_contact_id",),
    }),
    PersonSource("linkedin_lead_gen", "lead_id", {
        **_same("first_name", "last_name", "email", "country"),
        "company": ("company_name",), "title": ("job_title",), "observed_at": ("submitted_at",),
    }),
    PersonSource("segment_event", "message_id", {
        **_same(*_NAME_FIELDS, "anonymous_id", "user_id"),
        "email": ("email", "form_email"), "observed_at": ("timestamp",),
    }, where=pl.any_horizontal(pl.col("user_id", "email", "form_email").is_not_null())),
)


def conform_person_records(frame: pl.DataFrame, *, source: str | None = None) -> pl.DataFrame:
    """Any frame with at least ``record_id`` (and ``source``, or ``source=``) to the full contract shape.

    Missing optional columns become nulls; extra columns are dropped; types are cast.

    Examples
    --------
    >>> f = conform_person_records(pl.DataFrame({"record_id": ["1"], "email": ["a@b.com"]}), source="crm")
    >>> f.select("source", "record_id", "email", "phone").row(0)
    ('crm', '1', 'a@b.com', None)
    """
    if source is not None:
        frame = frame.with_columns(source=pl.lit(source))
    missing = [c for c in ("source", "record_id") if c not in frame.columns]
    if missing:
        msg = f"person records need the columns {missing}; map your data to PERSON_RECORD_SCHEMA first"
        raise ValueError(msg)
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in PERSON_RECORD_SCHEMA.items()
    )


def person_records(bronze: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The person-bearing rows of the given bronze tables (keyed by table name) as person records.

    Tables absent from ``bronze`` are skipped. Rows keep their order within each table.
    """
    frames = []
    for spec in PERSON_SOURCES:
        table = bronze.get(spec.table)
        if table is None:
            continue
        if spec.where is not None:
            table = table.filter(spec.where)
        if "ingested_at" in table.columns:  # a record exported again later: its latest version counts
            order = [c for c in ("ingested_at", "source_file", "source_row") if c in table.columns]
            table = table.sort(order).unique(spec.record_id, keep="last", maintain_order=True)
        exprs = [pl.col(spec.record_id).cast(pl.String).alias("record_id")]
        for name, cols in spec.columns.items():
            present = [c for c in cols if c in table.columns]
            if present:
                exprs.append(pl.coalesce(present).alias(name))
        frames.append(conform_person_records(table.select(exprs), source=spec.table))
    if not frames:
        return PERSON_RECORD_SCHEMA.to_frame()
    return pl.concat(frames, how="vertical")


def bronze_columns(spec: PersonSource) -> list[str]:
    """The bronze columns a source's mapping reads (to read no more than needed)."""
    cols = {spec.record_id, *(c for cs in spec.columns.values() for c in cs)}
    if spec.where is not None:
        cols |= set(spec.where.meta.root_names())
    return sorted(cols)


def read_person_records(store: DeltaStore) -> pl.DataFrame:
    """Person records from the bronze Delta tables of ``store`` (tables not materialised yet are skipped)."""
    bronze = {}
    for spec in PERSON_SOURCES:
        name = f"bronze.{spec.table}"
        table = store.table(name)
        if table is not None:
            present = {f.name for f in table.schema().fields}
            wanted = [*bronze_columns(spec), "ingested_at", "source_file", "source_row"]
            bronze[spec.table] = store.read(name, columns=[c for c in wanted if c in present])
    return person_records(bronze)
