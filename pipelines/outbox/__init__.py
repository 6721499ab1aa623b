"""The CRM outbox: Salesforce Tasks and Lead owner updates staged in Delta, then dispatched idempotently.

No Dagster here: :func:`build_outbox` → :func:`stage_outbox` → :func:`dispatch` (and :func:`requeue` to replay).
"""

from .dispatch import API_VERSION, DispatchReport, dispatch, requeue
from .tasks import (
                    CRM_TASK_SCHEMA,
                    CRM_TASKS,
                    DEAD_LETTER,
                    DEAD_LETTER_SCHEMA,
                    DELIVERY_STATE,
                    DESCRIPTION_LIMIT,
                    OUTBOX_INPUT_COLUMNS,
                    OWNER_UPDATE_SCHEMA,
                    OWNER_UPDATES,
                    build_outbox,
                    stage_outbox,
)

__all__ = [
                    "API_VERSION",
                    "CRM_TASKS",
                    "CRM_TASK_SCHEMA",
                    "DEAD_LETTER",
                    "DEAD_LETTER_SCHEMA",
                    "DELIVERY_STATE",
                    "DESCRIPTION_LIMIT",
                    "OUTBOX_INPUT_COLUMNS",
                    "OWNER_UPDATES",
                    "OWNER_UPDATE_SCHEMA",
                    "DispatchReport",
                    "build_outbox",
                    "dispatch",
                    "requeue",
                    "stage_outbox",
]
