"""A local Salesforce-compatible REST stub, real HTTP on a local port: for tests, demos and dry runs.

It speaks the few calls the outbox dispatcher makes, with Salesforce's status codes and bodies:

- ``PATCH /services/data/vXX.X/sobjects/Task/Handoff_Id__c/{external_id}``: upsert by external id
  (201 ``{"id", "success": true, "errors": [], "created": true}`` for a new record, 200 with ``created: false``
  for an update); 400 ``INVALID_FIELD`` / ``STRING_TOO_LONG`` like the real API for bad bodies;
- ``GET`` the same path: the record (404 ``NOT_FOUND`` if none);
- ``PATCH /services/data/vXX.X/sobjects/Lead/{id}``: 204 (404 for an unknown id when ``known_leads`` is given);
- ``GET /_stub/tasks``: every stored Task (stub only).

Failure injection: ``fail_first=N`` answers the first N API requests with ``fail_status`` (503; with a
``Retry-After`` header when ``retry_after`` is set); ``reject_ids`` always get a 400 for those external ids.

    uv run python -m handoff.crm_stub --port 8765
"""

from __future__ import annotations

import argparse
import itertools
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["CrmStub", "running_crm_stub", "salesforce_id"]

TASK_FIELDS = {"Subject": 255, "WhoId": 18, "OwnerId": 18, "ActivityDate": 10, "Priority": 40, "Status": 40,
               "TaskSubtype": 40, "Description": 32_000}
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce id: 3-char key prefix, 12 base-62 digits of ``n``, 3-char case checksum.

    Examples
    --------
    >>> salesforce_id("00T", 1)
    '00T000000000001EAA'
    """
    digits = ""
    for _ in range(12):
        n, r = divmod(n, 62)
        digits = _B62[r] + digits
    base = prefix + digits
    suffix = "".join(_SUFFIX[sum(1 << i for i, c in enumerate(base[k:k + 5]) if c.isupper())] for k in (0, 5, 10))
    return base + suffix


def _error(status: int, code: str, message: str, fields: list[str] | None = None) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code, "fields": fields or []}], status_code=status)


class CrmStub:
    """The stub's state and its Starlette ``app``; ``url`` is set once it listens (see :func:`running_crm_stub`)."""

    def __init__(self, *, fail_first: int = 0, fail_status: int = 503, retry_after: float | None = None,
                 reject_ids: Iterable[str] = (), known_leads: Iterable[str] | None = None,
                 token: str | None = None) -> None:
        self.url = ""
        self.tasks: dict[str, dict[str, Any]] = {}
        self.leads: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self.log: list[tuple[str, str, int]] = []
        self.fail_first, self.fail_status, self.retry_after = fail_first, fail_status, retry_after
        self.reject_ids = set(reject_ids)
        self.known_leads = None if known_leads is None else set(known_leads)
        self.token = token
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        api = "/services/data/{version}/sobjects"
        self.app = Starlette(routes=[
            Route(api + "/Task/Handoff_Id__c/{external_id}", self._task, methods=["PATCH", "GET"]),
            Route(api + "/Lead/{lead_id}", self._lead, methods=["PATCH"]),
            Route("/_stub/tasks", self._list, methods=["GET"])])

    def _gate(self, request: Request) -> Response | None:
        with self._lock:
            self.requests += 1
            failing = self.requests <= self.fail_first
        if failing:
            headers = {"Retry-After": f"{self.retry_after:g}"} if self.retry_after is not None else None
            body = [{"message": "injected failure (stub fail_first)", "errorCode": "SERVER_UNAVAILABLE"}]
            return JSONResponse(body, status_code=self.fail_status, headers=headers)
        if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return None

    def _done(self, request: Request, response: Response) -> Response:
        self.log.append((request.method, request.url.path, response.status_code))
        return response

    async def _task(self, request: Request) -> Response:
        ext = request.path_params["external_id"]
        if (gate := self._gate(request)) is not None:
            return self._done(request, gate)
        if request.method == "GET":
            record = self.tasks.get(ext)
            return self._done(request, JSONResponse(record) if record else
                              _error(404, "NOT_FOUND", "The requested resource does not exist"))
        if ext in self.reject_ids:
            return self._done(request, _error(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                              f"rejected by the stub: external id {ext} is in reject_ids"))
        try:
            body = await request.json()
        except ValueError:
            return self._done(request, _error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON"))
        unknown = sorted(set(body) - set(TASK_FIELDS))
        if unknown:
            return self._done(request, _error(400, "INVALID_FIELD", f"No such column {unknown[0]!r} on sobject "
                                                                    "of type Task", unknown))
        long = [k for k, v in body.items() if isinstance(v, str) and len(v) > TASK_FIELDS[k]]
        if long:
            return self._done(request, _error(400, "STRING_TOO_LONG", f"{long[0]}: data value too large", long))
        with self._lock:
            existing = self.tasks.get(ext)
            if existing is None:
                record = {"Id": salesforce_id("00T", next(self._ids)), "Handoff_Id__c": ext, **body}
                self.tasks[ext] = record
            else:
                existing.update(body)
                record = existing
        created = existing is None
        return self._done(request, JSONResponse({"id": record["Id"], "success": True, "errors": [],
                                                 "created": created}, status_code=201 if created else 200))

    async def _lead(self, request: Request) -> Response:
        lead_id = request.path_params["lead_id"]
        if (gate := self._gate(request)) is not None:
            return self._done(request, gate)
        if self.known_leads is not None and lead_id not in self.known_leads:
            return self._done(request, _error(404, "NOT_FOUND", "The requested resource does not exist"))
        body = await request.json()
        with self._lock:
            self.leads.setdefault(lead_id, {"Id": lead_id}).update(body)
        return self._done(request, Response(status_code=204))

    async def _list(self, request: Request) -> Response:
        return JSONResponse(list(self.tasks.values()))


@contextmanager
def running_crm_stub(*, port: int = 0, host: str = "127.0.0.1", **options: Any) -> Iterator[CrmStub]:
    """Start a :class:`CrmStub` (``options`` go to it) on ``host:port`` (0 = a free port) in a background thread.

    Yields the stub with ``.url`` set; stops the server and joins its thread on exit.
    """
    stub = CrmStub(**options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(stub.app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="crm-stub", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            msg = f"the CRM stub did not start on {host}:{port}; is the port free?"
            raise RuntimeError(msg)
        time.sleep(0.01)
    stub.url = f"http://{host}:{sock.getsockname()[1]}"
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local Salesforce-compatible REST stub (Tasks, Lead owners).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N API requests with 503")
    parser.add_argument("--retry-after", type=float, default=None, help="Retry-After seconds on injected 503s")
    parser.add_argument("--reject", action="append", default=[], help="external id that always gets a 400")
    args = parser.parse_args(argv)
    stub = CrmStub(fail_first=args.fail_first, retry_after=args.retry_after, reject_ids=args.reject)
    print(f"CRM stub on http://{args.host}:{args.port} (Ctrl-C stops it; GET /_stub/tasks lists tasks)")
    uvicorn.run(stub.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
