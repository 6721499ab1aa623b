"""Real-time event intake: an HTTP service speaking Segment's Tracking API that lands events for bronze.

Segment and RudderStack SDKs point their host at it; each request's messages are checked against the event
contract (``segment_event@v1``) and the accepted ones appended atomically, as one JSON Lines file, to the
landing zone's ``events`` folder, where the bronze ingest picks them up unchanged. Run it with
``python -m pipelines.intake`` (see ``--help``).
"""

from pipelines.intake.app import DEFAULT_MAX_BATCH_BYTES, RunningIntake, create_app, running_intake, serve
from pipelines.intake.landing import (
    INTAKE_PREFIX,
    LandedBatch,
    batch_file_name,
    events_dir,
    land_batch,
    quarantine_dir,
    write_jsonl_atomic,
)
from pipelines.intake.validate import (
    BatchVerdict,
    RejectedMessage,
    check_message,
    normalize_message,
    validate_batch,
)

__all__ = [
    "create_app", "serve", "running_intake", "RunningIntake", "DEFAULT_MAX_BATCH_BYTES",
    "check_message", "validate_batch", "normalize_message", "BatchVerdict", "RejectedMessage",
    "land_batch", "LandedBatch", "write_jsonl_atomic", "events_dir", "quarantine_dir", "batch_file_name",
    "INTAKE_PREFIX", "WRITE_KEYS_ENV",
]

WRITE_KEYS_ENV = "HANDOFF_INTAKE_WRITE_KEYS"
