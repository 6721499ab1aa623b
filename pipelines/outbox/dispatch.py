"""Deliver the pending outbox rows to a Salesforce-compatible REST API, idempotently.

Each Task is an upsert by its external id (``PATCH .../sobjects/Task/Handoff_Id__c/{handoff_id}``), so a
resend, a crash between sending and recording, or two overlapping runs update the same record rather than
creating a second one. Lead owners are a plain ``PATCH .../sobjects/Lead/{id}``, idempotent by nature.
Connection errors, timeouts, 429 and 5xx are retried with exponential backoff (``Retry-After`` honoured, capped);
other 4xx are permanent and go straight to ``outbox.dead_letter``, as does a row whose retries run out (the
dispatch call then stops: the endpoint looks down, the remaining rows stay pending for the next call).
Delivery state is written back with one MERGE per table per batch of ``batch_size`` rows.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import polars as pl
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from pipelines.storage.delta import DeltaStore, _plain_strings

from .tasks import (
    CRM_TASK_SCHEMA,
    CRM_TASKS,
    DEAD_LETTER,
    DEAD_LETTER_SCHEMA,
    DELIVERY_STATE,
    OWNER_UPDATE_SCHEMA,
    OWNER_UPDATES,
)

__all__ = ["API_VERSION", "DispatchReport", "dispatch", "requeue"]

API_VERSION = "v61.0"


@dataclass(frozen=True)
class DispatchReport:
    """What one :func:`dispatch` call did.

    ``sent`` counts delivered records (tasks and owner updates); ``created`` / ``updated`` split the tasks by
    what Salesforce answered; ``dead`` went to the dead letter; ``pending`` were left for the next call because
    the endpoint stopped answering; ``requests`` includes retries.
    """

    sent: int
    created: int
    updated: int
    owners_updated: int
    dead: int
    pending: int
    requests: int
    seconds: float


class _Transient(Exception):
    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class _Permanent(Exception):
    pass


@dataclass
class _Outcome:
    status: str  # sent | dead
    attempts: int
    error: str | None = None
    crm_id: str | None = None
    created: bool | None = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class _Sender:
    def __init__(self, client: httpx.Client, *, max_attempts: int, backoff: float, max_wait: float) -> None:
        self.client, self.requests, self.down = client, 0, False
        exponential = wait_exponential(multiplier=backoff, max=max_wait)

        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = getattr(exc, "retry_after", None)
            return min(hinted, max_wait) if hinted is not None else exponential(state)

        self.retrying = Retrying(stop=stop_after_attempt(max_attempts), wait=wait, reraise=True,
                                 retry=retry_if_exception_type((_Transient, httpx.TransportError)))

    def send(self, url: str, body: dict[str, Any]) -> _Outcome:
        attempts = 0

        def call() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            self.requests += 1
            r = self.client.patch(url, json=body)
            if r.status_code == 429 or r.status_code >= 500:
                raise _Transient(f"HTTP {r.status_code} from PATCH {url}: {r.text[:500]}",
                                 _retry_after(r.headers.get("retry-after")))
            if r.status_code >= 400:
                raise _Permanent(f"HTTP {r.status_code} from PATCH {url}: {r.text[:1000]}")
            return r

        try:
            r = self.retrying(call)
        except _Permanent as exc:
            return _Outcome("dead", attempts, error=str(exc))
        except (_Transient, httpx.TransportError) as exc:
            self.down = True
            return _Outcome("dead", attempts,
                            error=f"gave up after {attempts} attempts: {type(exc).__name__}: {exc}")
        data = r.json() if r.status_code != 204 and r.content else {}
        return _Outcome("sent", attempts, crm_id=data.get("id"), created=data.get("created"))


def _task_request(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    body = {"Subject": row["subject"], "WhoId": row["who_id"], "OwnerId": row["owner_id"],
            "ActivityDate": row["activity_date"].isoformat() if row["activity_date"] else None,
            "Priority": row["priority"], "Status": row["status"], "TaskSubtype": row["task_subtype"],
            "Description": row["description"]}
    return f"/services/data/{API_VERSION}/sobjects/Task/Handoff_Id__c/{row['external_id']}", body


def _owner_request(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return f"/services/data/{API_VERSION}/sobjects/Lead/{row['lead_id']}", {"OwnerId": row["owner_id"]}


def _pending(store: DeltaStore, table: str, schema: pl.Schema, order: list[pl.Expr | str]) -> pl.DataFrame:
    frame = store.read_or_empty(table, schema).filter(pl.col("delivery_status") == "pending")
    return frame.sort(order, nulls_last=True)


def _write_back(store: DeltaStore, table: str, kind: str, batch: pl.DataFrame, outcomes: list[_Outcome],
                payloads: list[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    result = pl.DataFrame({
        "external_id": batch["external_id"], "_status": [o.status for o in outcomes],
        "_attempts": [o.attempts for o in outcomes], "_error": [o.error for o in outcomes],
        "_crm_id": [o.crm_id for o in outcomes], "_payload": payloads},
        schema_overrides={"_error": pl.String, "_crm_id": pl.String, "_attempts": pl.Int32})
    state = (batch.select("external_id", "attempts", "crm_id", "payload_hash").join(result, on="external_id")
             .select("external_id", pl.col("_status").alias("delivery_status"),
                     (pl.col("attempts") + pl.col("_attempts")).cast(pl.Int32).alias("attempts"),
                     pl.col("_error").alias("last_error"),
                     pl.when(pl.col("_status") == "sent").then(pl.lit(now)).cast(DELIVERY_STATE["sent_at"])
                     .alias("sent_at"),
                     pl.coalesce("_crm_id", "crm_id").alias("crm_id"), "payload_hash", "_payload"))
    dt_ = store.table(table)
    assert dt_ is not None
    (dt_.merge(_plain_strings(state.drop("_payload").to_arrow()), predicate="t.external_id = s.external_id",
               source_alias="s", target_alias="t")
     .when_matched_update(updates={c: f"s.{c}" for c in DELIVERY_STATE}).execute())
    dead = state.filter(pl.col("delivery_status") == "dead")
    if dead.height:
        store.append(DEAD_LETTER, dead.select(
            pl.lit(kind).alias("kind"), "external_id", pl.col("_payload").alias("payload"),
            pl.col("last_error").alias("error"), "attempts",
            pl.lit(now).cast(DEAD_LETTER_SCHEMA["dead_at"]).alias("dead_at")).cast(dict(DEAD_LETTER_SCHEMA)))


def dispatch(store: DeltaStore, *, endpoint: str, token: str | None = None, max_attempts: int = 5,
             backoff_seconds: float = 0.5, batch_size: int = 200, timeout: float = 10.0,
             max_wait: float = 30.0) -> DispatchReport:
    """Send every pending Task (hot first) and Lead owner update; record ``sent``/``dead`` on the rows.

    Parameters
    ----------
    endpoint
        The instance URL, e.g. ``https://acme.my.salesforce.com`` or a :mod:`handoff.crm_stub` URL.
    token
        Bearer token (an OAuth access token) sent as ``Authorization``; none for a local stub.
    max_attempts
        HTTP attempts per record for transient failures (connection errors, timeouts, 429, 5xx).
    backoff_seconds
        First retry delay; doubles per attempt, each wait capped at ``max_wait`` (as is ``Retry-After``).
    batch_size
        Rows whose delivery state is committed together (one MERGE per table per batch).
    timeout
        Seconds per HTTP request.
    """
    if max_attempts < 1 or batch_size < 1 or backoff_seconds < 0:
        msg = (f"dispatch: max_attempts ({max_attempts}) and batch_size ({batch_size}) must be >= 1 and "
               f"backoff_seconds ({backoff_seconds}) >= 0")
        raise ValueError(msg)
    if not endpoint.startswith(("http://", "https://")):
        msg = f"dispatch: endpoint {endpoint!r} must be an http(s) URL such as https://acme.my.salesforce.com"
        raise ValueError(msg)
    start = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    work: list[tuple[str, str, pl.DataFrame, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]]] = [
        ("task", CRM_TASKS, _pending(store, CRM_TASKS, CRM_TASK_SCHEMA,
                                     [pl.col("priority") != "High", "activity_date", "external_id"]),
         _task_request),
        ("lead_owner", OWNER_UPDATES, _pending(store, OWNER_UPDATES, OWNER_UPDATE_SCHEMA, ["external_id"]),
         _owner_request)]
    counts = {"sent": 0, "created": 0, "updated": 0, "owners_updated": 0, "dead": 0, "pending": 0}
    with httpx.Client(base_url=endpoint.rstrip("/"), headers=headers, timeout=timeout) as client:
        sender = _Sender(client, max_attempts=max_attempts, backoff=backoff_seconds, max_wait=max_wait)
        for kind, table, pending, request in work:
            for batch in pending.iter_slices(batch_size):
                if sender.down:
                    counts["pending"] += batch.height
                    continue
                outcomes, payloads = [], []
                for row in batch.iter_rows(named=True):
                    if sender.down:  # stop mid-batch too; the rows not tried stay pending
                        break
                    url, body = request(row)
                    outcomes.append(sender.send(url, body))
                    payloads.append(json.dumps(body))
                tried = batch.head(len(outcomes))
                counts["pending"] += batch.height - tried.height
                if tried.height:
                    _write_back(store, table, kind, tried, outcomes, payloads)
                for o in outcomes:
                    counts["sent" if o.status == "sent" else "dead"] += 1
                    if o.status == "sent" and kind == "task":
                        counts["created" if o.created else "updated"] += 1
                    elif o.status == "sent":
                        counts["owners_updated"] += 1
    return DispatchReport(**counts, requests=sender.requests, seconds=time.perf_counter() - start)


def requeue(store: DeltaStore, external_ids: Iterable[str] | None = None, *,
            tables: Iterable[str] = (CRM_TASKS, OWNER_UPDATES)) -> dict[str, int]:
    """Mark rows ``pending`` again (attempts reset) so the next :func:`dispatch` resends them.

    For replaying the dead letter once its cause is fixed, or forcing a resend: a resent Task is an upsert by
    its external id, so Salesforce updates the record it already has. ``external_ids=None`` requeues every
    dead row. Returns rows requeued per table.
    """
    ids = None if external_ids is None else sorted(set(external_ids))
    if ids is not None and not ids:
        return {t: 0 for t in tables}
    if ids is None:
        predicate = "delivery_status = 'dead'"
    else:
        predicate = "external_id IN (" + ", ".join("'" + i.replace("'", "''") + "'" for i in ids) + ")"
    out = {}
    for table in tables:
        dt_ = store.table(table)
        if dt_ is None:
            out[table] = 0
            continue
        metrics = dt_.update(predicate=predicate, updates={"delivery_status": "'pending'", "attempts": "0",
                                                             "last_error": "NULL"})
        out[table] = int(metrics.get("num_updated_rows", 0))
    return out
