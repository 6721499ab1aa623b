"""Event intake over real HTTP: the real Segment and RudderStack SDKs, auth, bad bodies, quarantine, atomic
landing, and the project's own bronze ingest reading what landed."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from contracts.registry import contract_for_table
from pipelines.ingest.bronze import QUARANTINE, ingest_bronze, landing_files
from pipelines.intake import (
    INTAKE_PREFIX,
    RunningIntake,
    check_message,
    events_dir,
    quarantine_dir,
    running_intake,
    validate_batch,
    write_jsonl_atomic,
)
from pipelines.storage.delta import DeltaStore

KEY = "wk_test_123"
CONTRACT = contract_for_table("segment_event")
NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIntake]:
    with running_intake(landing_dir=tmp_path_factory.mktemp("intake") / "landing", write_keys=[KEY]) as svc:
        yield svc


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[RunningIntake]:
    """An intake of its own (an empty landing zone) for tests that count files."""
    with running_intake(landing_dir=tmp_path / "landing", write_keys=[KEY], max_batch_bytes=20_000) as svc:
        yield svc


def msg(kind: str = "track", **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"messageId": str(uuid.uuid4()), "type": kind, "anonymousId": "anon-1",
                            "timestamp": "2026-11-21T22:02:07.560+00:00"}
    if kind == "track":
        base |= {"event": "Demo Requested", "properties": {"form_name": "Demo", "url": "https://x.io/demo"}}
    else:
        base |= {"userId": "u-1", "traits": {"email": "ada@example.com", "company": "Acme"}}
    return base | over


def post(svc: RunningIntake, body: Any, path: str = "/v1/batch", key: str | None = KEY,
         **kw: Any) -> httpx.Response:
    auth = (key, "") if key is not None else None
    if "content" not in kw:
        kw["json"] = body
    return httpx.post(svc.url + path, auth=auth, timeout=10, **kw)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def landed(svc: RunningIntake, batch_id: str) -> Path:
    (path,) = events_dir(svc.landing_dir).glob(f"{INTAKE_PREFIX}*_{batch_id}.jsonl")
    return path


def bronze_load(landing: Path, tmp_path: Path) -> tuple[Any, DeltaStore]:
    store = DeltaStore(str(tmp_path / "lakehouse"))
    return ingest_bronze(CONTRACT, store=store, landing_root=landing, run_id="t", now=NOW), store


# --- the contract, without HTTP ----------------------------------------

def test_check_message_names_the_field_and_what_to_send() -> None:
    assert check_message(msg()) == [] and check_message(msg("identify")) == []
    cases = {
        "required_missing:messageId": msg(messageId=None),
        "required_missing:event": msg(event=None),
        "not_in_contract:event 'Foo'": msg(event="Foo"),
        "not_in_contract:type 'page'": msg(type="page"),
        "required_missing:timestamp": msg(timestamp=None),
        "type_mismatch:timestamp '2026-11-21T22:02:07'": msg(timestamp="2026-11-21T22:02:07"),  # naive
        "required_missing:anonymousId": msg(anonymousId=None, userId=""),
        "type_mismatch:traits": msg("identify", traits=["x"]),
    }
    for code, message in cases.items():
        reasons = check_message(message)
        assert len(reasons) == 1 and reasons[0].startswith(code + " ("), (code, reasons)
    assert "Demo Requested" in check_message(msg(event="Foo"))[0]  # the allowed list, from the contract
    assert check_message(msg(timestamp="2026-11-21T17:02:07-05:00")) == []
    untyped = {"messageId": "m", "event": "Page Viewed", "userId": "u", "timestamp": "2026-11-21T00:00:00Z"}
    assert check_message(untyped, implied_type="track") == []
    assert check_message(msg("identify"), implied_type="track")[0].startswith("invalid_value:type 'identify'")
    assert check_message("nope")[0].startswith("invalid_message")


def test_validate_batch_rejects_a_repeat_within_the_batch_and_fills_an_implied_type() -> None:
    first = msg()
    verdict = validate_batch([first, {**first}, msg(event="Foo")])
    assert verdict.accepted == [first]
    codes = [r.reason.split(" ")[0] for r in verdict.rejected]
    assert codes == ["duplicate_key:messageId", "not_in_contract:event"]
    single = {k: v for k, v in msg().items() if k != "type"}
    assert validate_batch([single], implied_type="track").accepted[0]["type"] == "track"


# --- real SDKs over real HTTP, read back by bronze --------------------

def _sdk_roundtrip(client: Any, svc: RunningIntake, tmp_path: Path) -> list[dict[str, Any]]:
    errors: list[Any] = []
    client.on_error = lambda exc, batch: errors.append(exc)
    client.identify("u-42", {"email": "grace@example.com", "firstName": "Grace", "company": "Navy"},
                    anonymous_id="anon-42")
    client.track("u-42", "Form Submitted", {"form_name": "Contact us", "utm_source": "google"},
                 anonymous_id="anon-42")
    client.flush()
    client.join()
    assert errors == []
    files = landing_files(svc.landing_dir, CONTRACT)  # bronze's own discovery
    assert len(files) == 1 and files[0].name.startswith(INTAKE_PREFIX)
    rows = read_jsonl(files[0])
    assert [r["type"] for r in rows] == ["identify", "track"]
    report, store = bronze_load(svc.landing_dir, tmp_path)
    assert (report.rows_bronze, report.rows_quarantined, report.files_rejected) == (2, 0, {})
    assert report.drift_columns == {}  # context.library, integrations, receivedAt, sentAt: all known keys
    bronze = store.read("bronze.segment_event").sort("source_row")
    assert bronze["message_id"].to_list() == [r["messageId"] for r in rows]
    assert bronze.row(0, named=True)["email"] == "grace@example.com"
    assert bronze.row(1, named=True)["event"] == "Form Submitted"
    assert bronze["timestamp"].is_not_null().all()
    return rows


def test_segment_sdk_identify_and_track_land_as_one_file_bronze_loads(fresh: RunningIntake,
                                                                      tmp_path: Path) -> None:
    from segment.analytics import Client

    client = Client(KEY, host=fresh.url, max_retries=0)
    assert client.gzip is False
    rows = _sdk_roundtrip(client, fresh, tmp_path)
    assert rows[0]["context"]["library"]["name"] == "analytics-python"
    assert "writeKey" not in rows[0] and rows[0]["receivedAt"].endswith("Z") and rows[0]["sentAt"]


def test_rudderstack_sdk_gzip_body_lands_and_bronze_loads(fresh: RunningIntake, tmp_path: Path) -> None:
    from rudderstack.analytics.client import Client

    client = Client(KEY, host=fresh.url, max_retries=0)
    assert client.gzip is True  # the body arrives with Content-Encoding: gzip
    rows = _sdk_roundtrip(client, fresh, tmp_path)  # bronze got the email: traits copied from context.traits
    assert rows[1]["integrations"] == {"All": True}
    assert rows[0]["traits"] == rows[0]["context"]["traits"]


# --- auth and bad requests ----------------------------------------

def test_write_key_from_basic_auth_or_body_else_401(intake: RunningIntake) -> None:
    for key in ("wrong", None):
        r = post(intake, {"batch": [msg()]}, key=key)
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "unauthorized" and "Basic" in r.json()["message"]
    assert "unknown" in post(intake, {"batch": [msg()], "writeKey": "nope"}, key=None).json()["message"]
    assert post(intake, {"batch": [msg()], "writeKey": KEY}, key=None).status_code == 200
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    r = httpx.post(intake.url + "/v1/batch", json={"batch": [msg()]},
                   headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    assert httpx.get(intake.url + "/health").status_code == 200


def test_malformed_json_is_400_with_the_position(intake: RunningIntake) -> None:
    r = post(intake, None, content=b'{"batch": [{"type": "track",}]}',
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_json"
    assert "line 1 column 29" in r.json()["message"]
    r = post(intake, None, content=gzip.compress(b'{"batch": ['), headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400 and "line 1" in r.json()["message"]
    r = post(intake, None, content=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_gzip"
    assert post(intake, {"batch": []}).status_code == 400
    assert post(intake, [msg()]).status_code == 400


def test_oversize_body_is_413_compressed_or_not(fresh: RunningIntake) -> None:
    big = {"batch": [msg(properties={"url": "x" * 25_000})]}
    assert post(fresh, big).status_code == 413
    bomb = gzip.compress(json.dumps(big).encode())
    assert len(bomb) < 20_000
    r = post(fresh, None, content=bomb,
             headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert not any(events_dir(fresh.landing_dir).iterdir())


# --- partial and total rejection ----------------------------------------

def test_one_bad_message_is_quarantined_the_rest_land(fresh: RunningIntake, tmp_path: Path) -> None:
    good = [msg("identify"), msg()]
    bad = [msg(event=None), msg(event="Foo")]
    r = post(fresh, {"batch": [good[0], bad[0], good[1], bad[1]]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["accepted"] == 2
    assert [x["messageId"] for x in body["rejected"]] == [m["messageId"] for m in bad]
    assert body["rejected"][0]["reason"].startswith("required_missing:event")
    assert body["rejected"][1]["reason"].startswith("not_in_contract:event 'Foo' (allowed: Form Submitted")
    path = landed(fresh, body["batch_id"])
    assert [m["messageId"] for m in read_jsonl(path)] == [m["messageId"] for m in good]
    quarantined = read_jsonl(quarantine_dir(fresh.landing_dir) / path.name)
    assert [q["message"] for q in quarantined] == bad
    assert [q["reason"] for q in quarantined] == [x["reason"] for x in body["rejected"]]
    report, store = bronze_load(fresh.landing_dir, tmp_path)  # the quarantine folder is no source of bronze
    assert (report.files_seen, report.rows_bronze, report.rows_quarantined) == (1, 2, 0)
    assert store.read(QUARANTINE).height == 0


def test_all_bad_is_400_and_still_quarantined(fresh: RunningIntake) -> None:
    bad = [msg(event="Foo"), msg(timestamp="yesterday")]
    r = post(fresh, {"batch": bad})
    assert r.status_code == 400
    body = r.json()
    assert (body["success"], body["accepted"], len(body["rejected"])) == (False, 0, 2)
    assert body["code"] == "all_rejected" and "not_in_contract:event" in body["message"]
    assert list(events_dir(fresh.landing_dir).iterdir()) == []
    (q,) = quarantine_dir(fresh.landing_dir).iterdir()
    assert body["batch_id"] in q.name
    assert [x["message"] for x in read_jsonl(q)] == bad


def test_single_message_endpoints_imply_the_type(fresh: RunningIntake) -> None:
    track = {k: v for k, v in msg().items() if k != "type"}
    r = post(fresh, {**track, "writeKey": KEY, "sentAt": "2026-11-21T22:02:08Z"}, path="/v1/track", key=None)
    assert r.status_code == 200, r.text
    (row,) = read_jsonl(landed(fresh, r.json()["batch_id"]))
    assert row["type"] == "track" and "writeKey" not in row and row["sentAt"] == "2026-11-21T22:02:08Z"
    identify = {k: v for k, v in msg("identify").items() if k != "type"}
    assert post(fresh, identify, path="/v1/identify").status_code == 200
    r = post(fresh, msg("identify"), path="/v1/track")
    assert r.status_code == 400 and r.json()["rejected"][0]["reason"].startswith("invalid_value:type")


# --- durability and atomicity ----------------------------------------

def test_200_means_the_file_is_on_disk_and_complete(fresh: RunningIntake) -> None:
    for n in (1, 3, 50):
        batch = [msg() for _ in range(n)]
        r = post(fresh, {"batch": batch})
        assert r.status_code == 200
        rows = read_jsonl(landed(fresh, r.json()["batch_id"]))  # there the moment the response is back
        assert [x["messageId"] for x in rows] == [m["messageId"] for m in batch]


def test_concurrent_batches_only_ever_show_complete_files(fresh: RunningIntake, tmp_path: Path) -> None:
    folder = events_dir(fresh.landing_dir)
    stop = threading.Event()
    seen: dict[str, int] = {}
    problems: list[str] = []

    def watch() -> None:  # reads every file the moment it shows up, as bronze would
        while not stop.is_set():
            for path in landing_files(fresh.landing_dir, CONTRACT):
                if path.name in seen:
                    continue
                text = path.read_text()
                lines = text.splitlines()
                if not text.endswith("\n") or any(not json.loads(line).get("messageId") for line in lines):
                    problems.append(path.name)
                seen[path.name] = len(lines)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with httpx.Client(auth=(KEY, ""), timeout=10) as client, ThreadPoolExecutor(4) as pool:
            bodies = [{"batch": [msg() for _ in range(40)]} for _ in range(40)]
            codes = list(pool.map(lambda b: client.post(fresh.url + "/v1/batch", json=b).status_code, bodies))
    finally:
        stop.set()
        watcher.join()
    assert codes == [200] * 40 and problems == []
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 40 and not [n for n in names if n.startswith(".") or n.endswith(".tmp")]
    assert all(n in names for n in seen) and all(v == 40 for v in seen.values())
    report, _ = bronze_load(fresh.landing_dir, tmp_path)
    assert (report.rows_bronze, report.rows_quarantined) == (1600, 0)


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path: Path) -> None:
    write_jsonl_atomic(tmp_path, "events_a.jsonl", [{"a": 1}])
    with pytest.raises(FileExistsError):
        write_jsonl_atomic(tmp_path, "events_a.jsonl", [{"a": 2}])
    with pytest.raises(TypeError):
        write_jsonl_atomic(tmp_path, "events_b.jsonl", [{"a": object()}])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events_a.jsonl"]
    assert read_jsonl(tmp_path / "events_a.jsonl") == [{"a": 1}]
    assert not CONTRACT.file_pattern.match(".events_a.jsonl.tmp")


def test_a_retried_batch_lands_again_and_bronze_keeps_one(fresh: RunningIntake, tmp_path: Path) -> None:
    """An SDK retry resends the same messageIds: the intake writes them again (a new file); messageId is a
    global key, so bronze keeps the first copy and quarantines the resend as a duplicate, in this run or a
    later one."""
    batch = {"batch": [msg()]}
    assert [post(fresh, batch).status_code for _ in range(2)] == [200, 200]
    report, store = bronze_load(fresh.landing_dir, tmp_path)
    assert (report.rows_bronze, report.rows_quarantined) == (1, 1)
    assert report.quarantined_by_reason == {"duplicate_key": 1}
    assert store.read("bronze.segment_event").height == 1
    assert post(fresh, batch).status_code == 200  # a third copy, ingested by a later run
    later, _ = bronze_load(fresh.landing_dir, tmp_path)
    assert (later.rows_bronze, later.rows_quarantined) == (0, 1)
    assert store.read("bronze.segment_event").height == 1
    assert pl.Series(sorted(report.files_loaded)).str.starts_with(f"events/{INTAKE_PREFIX}").all()


def test_micro_batches_look_their_message_ids_up_and_keep_one(fresh: RunningIntake, tmp_path: Path) -> None:
    """A micro-batch (``only=`` its files) finds earlier copies by looking its own messageIds up in bronze, not
    by reading every key: a resend inside the batch and one of an earlier batch are both duplicates. Its files
    land as one bronze commit."""
    store = DeltaStore(str(tmp_path / "lakehouse"))
    folder = fresh.landing_dir / "events"

    def micro_batch(*batches: dict) -> Any:
        before = set(folder.iterdir())
        for body in batches:
            assert post(fresh, body).status_code == 200
        files = sorted(set(folder.iterdir()) - before)
        return ingest_bronze(CONTRACT, store=store, landing_root=fresh.landing_dir, run_id="t", now=NOW, only=files)

    a, b = msg(), msg()
    first = micro_batch({"batch": [a]}, {"batch": [a, b]})
    assert (first.rows_bronze, first.quarantined_by_reason) == (2, {"duplicate_key": 1})
    later = micro_batch({"batch": [b]}, {"batch": [msg()]})
    assert (later.rows_bronze, later.quarantined_by_reason) == (1, {"duplicate_key": 1})
    table = later.table  # a micro-batch's files are one bronze commit
    assert later.versions_after[table] - later.versions_before[table] == 1
    ids = store.read("bronze.segment_event", columns=["message_id"])["message_id"]
    assert ids.len() == ids.n_unique() == 3
