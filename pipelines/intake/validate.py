"""Check intake messages against the event contract (``segment_event@v1``) before they are landed.

Pure: no HTTP, no files. The rules are the ones the bronze ingest enforces on the same lines, so a message
accepted here loads into ``bronze.segment_event`` without quarantine (the contract's own ``EVENT_TYPES`` and
``TRACK_EVENTS`` are imported, never copied). Every reason starts with a code and names the field, then says
what to send instead: ``required_missing:messageId (...)``, ``not_in_contract:event 'Foo' (allowed: ...)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts.bronze.events import EVENT_TYPES, TRACK_EVENTS

__all__ = ["check_message", "validate_batch", "normalize_message", "BatchVerdict", "RejectedMessage",
           "parse_rfc3339"]

# RFC 3339 date-time: full date, "T" (or a space, RFC 3339 §5.6 note), full time, "Z" or a numeric offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_OBJECT_FIELDS = ("traits", "properties", "context")


@dataclass(frozen=True)
class RejectedMessage:
    """A message the contract refused, as received, with why."""

    message: Any
    reason: str

    @property
    def message_id(self) -> str | None:
        mid = self.message.get("messageId") if isinstance(self.message, dict) else None
        return mid if isinstance(mid, str) else None

    def summary(self) -> dict[str, str | None]:
        """``{"messageId": ..., "reason": ...}``, as the HTTP response lists it."""
        return {"messageId": self.message_id, "reason": self.reason}

    def quarantine_record(self) -> dict[str, Any]:
        """``{"reason": ..., "message": <original>}``, one line of the quarantine file."""
        return {"reason": self.reason, "message": self.message}


@dataclass
class BatchVerdict:
    """Messages split into those to land and those to quarantine, each in the order received."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedMessage] = field(default_factory=list)


def parse_rfc3339(value: str) -> dt.datetime | None:
    """An RFC 3339 timestamp (``Z`` or an offset; naive times are refused), else ``None``.

    Examples
    --------
    >>> parse_rfc3339("2026-11-21T22:02:07.560+00:00").isoformat()
    '2026-11-21T22:02:07.560000+00:00'
    >>> parse_rfc3339("2026-11-21T22:02:07"), parse_rfc3339("2026-02-30T00:00:00Z")
    (None, None)
    """
    if not _RFC3339.match(value):
        return None
    text = value.replace("Z", "+00:00")
    head, dot, tail = text.partition(".")
    if dot:  # fromisoformat takes 1-6 fraction digits on every Python; bronze keeps microseconds anyway
        digits = re.match(r"\d+", tail).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _id(value: Any) -> bool:
    """A usable visitor id: non-empty text, or a whole number (bronze reads it as its decimal text)."""
    return _text(value) or (isinstance(value, int) and not isinstance(value, bool))


def _quote(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
    return text if len(text) <= 80 else text[:77] + "..."


def check_message(message: Any, *, implied_type: str | None = None) -> list[str]:
    """Why ``message`` breaks the event contract (v1); empty when it is good.

    ``implied_type`` is the type the endpoint implies (``/v1/track`` → ``track``): a message without
    ``type`` is taken as that type, one with another type is refused.

    Examples
    --------
    >>> ok = {"messageId": "m1", "type": "track", "event": "Demo Requested", "userId": "u1",
    ...       "timestamp": "2026-11-21T22:02:07.560+00:00"}
    >>> check_message(ok)
    []
    >>> check_message({**ok, "event": "Foo"})[0].split(" (")[0]
    "not_in_contract:event 'Foo'"
    >>> check_message({**ok, "messageId": None, "userId": None})[0].split(" (")[0]
    'required_missing:messageId'
    """
    if not isinstance(message, dict):
        return [f"invalid_message:message (got {type(message).__name__}; send each message as a JSON object)"]
    reasons: list[str] = []
    if not _text(message.get("messageId")):
        got = "" if message.get("messageId") is None else f"; got {_quote(message['messageId'])}"
        reasons.append(f"required_missing:messageId (send a unique non-empty string per message, the "
                       f"idempotency key; every Segment/RudderStack SDK sets one{got})")
    mtype = message.get("type", implied_type)
    if mtype is None:
        reasons.append(f"required_missing:type (send one of: {', '.join(EVENT_TYPES)})")
    elif mtype not in EVENT_TYPES:
        reasons.append(f"not_in_contract:type {_quote(mtype)} (allowed: {', '.join(EVENT_TYPES)}; other "
                       "Segment calls such as page or group are not part of the event contract v1)")
    elif implied_type is not None and mtype != implied_type:
        reasons.append(f"invalid_value:type {_quote(mtype)} sent to /v1/{implied_type} (send it to "
                       f"/v1/{mtype} or /v1/batch, or drop the type)")
    if mtype == "track":
        event = message.get("event")
        if not _text(event):
            reasons.append(f"required_missing:event (a track call needs its event name, one of: "
                           f"{', '.join(TRACK_EVENTS)})")
        elif event not in TRACK_EVENTS:
            reasons.append(f"not_in_contract:event {_quote(event)} (allowed: {', '.join(TRACK_EVENTS)}; "
                           "propose a contract change to add a new event)")
    stamp = message.get("timestamp")
    if stamp is None or stamp == "":
        reasons.append("required_missing:timestamp (send when the event happened, RFC 3339 with Z or an "
                       "offset, e.g. 2026-11-21T22:02:07.560+00:00)")
    elif not isinstance(stamp, str) or parse_rfc3339(stamp) is None:
        reasons.append(f"type_mismatch:timestamp {_quote(stamp)} (send an RFC 3339 date-time with Z or an "
                       "offset, e.g. 2026-11-21T22:02:07.560+00:00)")
    if not (_id(message.get("userId")) or _id(message.get("anonymousId"))):
        reasons.append("required_missing:anonymousId (send userId or anonymousId, a non-empty string, so the "
                       "event can be tied to a visitor; both are missing or empty)")
    for name in _OBJECT_FIELDS:
        value = message.get(name)
        if value is not None and not isinstance(value, dict):
            reasons.append(f"type_mismatch:{name} (got {type(value).__name__}; send a JSON object or leave "
                           "it out)")
    return reasons


def normalize_message(message: Any) -> Any:
    """The message with identify traits where the contract reads them (``traits.*``).

    rudder-sdk-python puts an identify call's traits in ``context.traits`` only (Segment's SDK puts them at
    the top level); bronze reads ``traits.email`` etc., so without this a RudderStack identify would land
    without its email. When ``traits`` is absent or empty, ``context.traits`` is copied to ``traits``;
    ``context`` is kept as received. Anything else is returned unchanged (the same object).

    Examples
    --------
    >>> normalize_message({"type": "identify", "context": {"traits": {"email": "a@b.co"}}})["traits"]
    {'email': 'a@b.co'}
    """
    if not isinstance(message, dict) or message.get("type") != "identify" or message.get("traits"):
        return message
    context = message.get("context")
    nested = context.get("traits") if isinstance(context, dict) else None
    if not isinstance(nested, dict) or not nested:
        return message
    return {**message, "traits": nested}


def validate_batch(messages: Iterable[Any], *, implied_type: str | None = None) -> BatchVerdict:
    """Split ``messages`` into accepted and rejected, each rejection with its reason(s) joined by ``; ``.

    A message repeating the ``messageId`` of an earlier accepted message of the same batch is rejected as
    ``duplicate_key:messageId`` (bronze would quarantine it anyway, the first one being loaded). Repeats
    across batches (SDK retries) are accepted: bronze keeps them and silver keeps one per ``message_id``.
    Accepted messages are returned as received, with ``type`` filled in from ``implied_type`` when absent and
    identify traits copied from ``context.traits`` to ``traits`` (:func:`normalize_message`).
    """
    verdict = BatchVerdict()
    seen: set[str] = set()
    for message in messages:
        reasons = check_message(message, implied_type=implied_type)
        if not reasons and message["messageId"] in seen:
            reasons = [(f"duplicate_key:messageId {_quote(message['messageId'])} (repeats an earlier message "
                        "of this batch, which was accepted; give each message its own messageId)")]
        if reasons:
            verdict.rejected.append(RejectedMessage(message, "; ".join(reasons)))
            continue
        seen.add(message["messageId"])
        if "type" not in message and implied_type is not None:
            message = {"type": implied_type, **message}
        verdict.accepted.append(normalize_message(message))
    return verdict
