"""The intake HTTP service: Segment's HTTP Tracking API, so Segment and RudderStack SDKs can send to it.

``POST /v1/batch`` (``{"batch": [...], "sentAt": ..., "writeKey": ...}``), ``POST /v1/track`` and
``POST /v1/identify`` (one message; the path implies ``type``), ``GET /health``. The write key is the HTTP
Basic auth username or ``writeKey`` in the body. Bodies may be gzip-compressed (``Content-Encoding: gzip``).

Status codes: 200 once the accepted messages are on disk (at least one accepted; rejected ones are listed and
quarantined), 400 when every message was rejected or the body is not a valid request, 401 for a missing or
unknown write key, 413 for a body over ``max_batch_bytes`` (compressed or not), 415 for another encoding.
Error bodies carry ``code`` and ``message``, which the SDKs log.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import logging
import socket
import threading
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipelines.intake.landing import events_dir, land_batch, new_batch_id, remove_stale_temp_files
from pipelines.intake.validate import validate_batch

__all__ = ["create_app", "serve", "running_intake", "RunningIntake", "DEFAULT_MAX_BATCH_BYTES"]

DEFAULT_MAX_BATCH_BYTES = 500_000  # Segment's own limit for one batch request
_log = logging.getLogger("handoff.intake")
_HOW_TO_AUTH = ("send your write key as the HTTP Basic auth username with an empty password "
                "(Authorization: Basic base64('<writeKey>:')), or as \"writeKey\" in the JSON body")


class _RequestError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Basic realm="handoff intake"'} if self.status == 401 else None
        return JSONResponse({"success": False, "code": self.code, "message": self.message}, self.status,
                            headers=headers)


def _reject_constant(name: str) -> float:
    msg = f"{name} is not valid JSON (send numbers as finite decimals)"
    raise ValueError(msg)


def _basic_user(request: Request) -> str | None:
    """The Basic auth username; ``""`` for a header that is not Basic auth, ``None`` without a header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[0]


def _known(key: object, keys: tuple[bytes, ...]) -> bool:
    if not isinstance(key, str) or not key:
        return False
    given = key.encode()
    return any(hmac.compare_digest(given, k) for k in keys)  # no early exit: timing does not leak a key


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, decompressed, refusing (413) anything over ``limit`` bytes before or after decompression."""
    too_big = _RequestError(413, "payload_too_large",
                            f"request body over {limit:,} bytes; send smaller batches (Segment SDKs cap a "
                            "batch at 500 KB)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise _RequestError(415, "unsupported_encoding",
                            f"Content-Encoding {encoding!r} is not supported; send gzip or an uncompressed "
                            "body")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise _RequestError(400, "invalid_gzip", f"body is not valid gzip ({exc}); compress the whole "
                            "body, or drop the Content-Encoding header") from exc
    if len(data) > limit:
        raise too_big
    if not inflater.eof:
        raise _RequestError(400, "invalid_gzip", "gzip body is truncated; send the complete compressed body")
    return data


def _parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"body is not UTF-8 (byte {exc.start}); send UTF-8 JSON"
        raise _RequestError(400, "invalid_json", msg) from exc
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _RequestError(400, "invalid_json", f"malformed JSON at line {exc.lineno} column {exc.colno} "
                            f"(char {exc.pos}): {exc.msg}") from exc
    except ValueError as exc:
        raise _RequestError(400, "invalid_json", str(exc)) from exc


def create_app(*, landing_dir: Path, write_keys: Collection[str],
               max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> Starlette:
    """The intake ASGI app, landing into ``landing_dir`` and accepting any of ``write_keys``.

    Raises ``ValueError`` without a write key: an intake that accepts anything is never what is wanted.
    """
    keys = tuple(k.encode() for k in write_keys if k)
    if not keys:
        msg = "no write key: give create_app at least one non-empty write key"
        raise ValueError(msg)
    landing_dir = Path(landing_dir)
    events_dir(landing_dir).mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(landing_dir)

    async def ingest(request: Request, implied_type: str | None) -> Response:
        header_key = _basic_user(request)
        if header_key is not None and header_key != "" and not _known(header_key, keys):
            raise _RequestError(401, "unauthorized", f"unknown write key; {_HOW_TO_AUTH}")
        body = _parse_json(await _read_body(request, max_batch_bytes))
        if not isinstance(body, dict):
            what = ' {"batch": [...]}' if implied_type is None else " (one message)"
            raise _RequestError(400, "invalid_request",
                                f"body is a JSON {type(body).__name__}; send a JSON object{what}")
        if not (_known(header_key, keys) or _known(body.get("writeKey"), keys)):
            what = "unknown write key" if header_key or body.get("writeKey") else "missing write key"
            raise _RequestError(401, "unauthorized", f"{what}; {_HOW_TO_AUTH}")
        sent_at = body.get("sentAt") if isinstance(body.get("sentAt"), str) else None
        if implied_type is None:
            messages = body.get("batch")
            if not isinstance(messages, list) or not messages:
                raise _RequestError(400, "invalid_request",
                                    'send {"batch": [message, ...]} with at least one message')
            context = body.get("context")
            if isinstance(context, dict):  # Segment: a batch-level context applies to messages without one
                messages = [{**m, "context": context} if isinstance(m, dict) and "context" not in m else m
                            for m in messages]
        else:
            messages = [{k: v for k, v in body.items() if k not in ("writeKey", "sentAt")}]
        received_at = dt.datetime.now(dt.UTC)
        batch_id = new_batch_id()

        def decide_and_land() -> tuple[int, list[dict[str, Any]]]:
            verdict = validate_batch(messages, implied_type=implied_type)
            land_batch(landing_dir, verdict.accepted, verdict.rejected, received_at=received_at,
                       batch_id=batch_id, sent_at=sent_at)
            return len(verdict.accepted), [r.summary() for r in verdict.rejected]

        accepted, rejected = await run_in_threadpool(decide_and_land)
        payload: dict[str, Any] = {"success": accepted > 0, "batch_id": batch_id, "accepted": accepted,
                                   "rejected": rejected}
        if accepted:
            _log.debug("batch %s: %d accepted, %d rejected", batch_id, accepted, len(rejected))
            return JSONResponse(payload, 200)
        payload.update(code="all_rejected", message=f"all {len(rejected)} message(s) rejected by the event "
                       f"contract, none landed; first reason: {rejected[0]['reason']}")
        return JSONResponse(payload, 400)

    def endpoint(implied_type: str | None):  # type: ignore[no-untyped-def]
        async def handle(request: Request) -> Response:
            try:
                return await ingest(request, implied_type)
            except _RequestError as exc:
                return exc.response()
        return handle

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "landing": str(events_dir(landing_dir))})

    routes = [
        Route("/v1/batch", endpoint(None), methods=["POST"]),
        Route("/v1/track", endpoint("track"), methods=["POST"]),
        Route("/v1/identify", endpoint("identify"), methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def serve(*, landing_dir: Path, host: str, port: int, write_keys: Collection[str],
          max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES, access_log: bool = True) -> None:
    """Run the intake in the foreground with uvicorn until interrupted (Ctrl-C, SIGTERM)."""
    app = create_app(landing_dir=landing_dir, write_keys=write_keys, max_batch_bytes=max_batch_bytes)
    _log.warning("intake listening on http://%s:%d, landing into %s", host, port,
                 events_dir(Path(landing_dir)))
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=access_log,
                            lifespan="off")
    uvicorn.Server(config).run()


@dataclass(frozen=True)
class RunningIntake:
    """An intake serving in a background thread: ``url`` is its base URL (``http://127.0.0.1:PORT``)."""

    url: str
    host: str
    port: int
    landing_dir: Path


@contextmanager
def running_intake(*, landing_dir: Path, write_keys: Collection[str], port: int = 0, host: str = "127.0.0.1",
                   max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES) -> Iterator[RunningIntake]:
    """Serve the intake on ``host:port`` (0: a free port) in a background thread; stop it on exit.

    The socket is bound before the thread starts and the block is entered only once uvicorn is accepting, so
    requests made inside the block never race the start-up. On exit in-flight requests are finished first.
    """
    app = create_app(landing_dir=landing_dir, write_keys=write_keys, max_batch_bytes=max_batch_bytes)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - uvicorn exits via SystemExit; surfaced below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"intake-{bound}", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                msg = f"intake server on {host}:{bound} stopped during start-up: {errors or 'see its log'}"
                raise RuntimeError(msg)
            thread.join(0.01)
        yield RunningIntake(f"http://{host}:{bound}", host, bound, Path(landing_dir))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        if thread.is_alive():
            msg = f"intake server on {host}:{bound} did not stop within 10 s"
            raise RuntimeError(msg)
