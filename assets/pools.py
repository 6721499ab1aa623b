"""A watchdog over the instance's concurrency pools: a step left waiting beside a free slot gets the slot.

Every lakehouse writer is in the ``lakehouse_writes`` pool (limit 1). Dagster hands a freed slot to the next
waiting step when the slot is freed, and a step that asks while a slot is free takes it. Between the two is a
race in Dagster's storage (1.13): a step that found no free slot, but registers as waiting only after the
holder has freed it, waits for the *next* free; in a quiet hour that may be the hourly maintenance run. It was
seen on this project's instance: a micro-batch started with a maintenance run and waited 194 s beside a free
slot.
"""

from __future__ import annotations

import dagster as dg

__all__ = ["pool_watchdog", "unstick_pools"]


def unstick_pools(instance: dg.DagsterInstance) -> dict[str, int]:
    """Give each pool's free slots to its waiting steps, oldest and highest priority first (Dagster's order).

    A slot counts as free when fewer steps hold or were handed a slot than the pool has. Handing one out twice
    is harmless: a step takes a slot only by claiming a free slot row, so the limit holds either way.

    Returns
    -------
    dict[str, int]
        Pool → how many waiting steps were handed a slot; pools where nothing was stuck are left out.
    """
    storage = instance.event_log_storage
    handed: dict[str, int] = {}
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        free = info.slot_count - info.assigned_step_count
        stuck = min(free, info.pending_step_count)  # pending_step_count: waiting steps not handed a slot
        for _ in range(stuck):
            storage.assign_pending_steps([pool])
        if stuck > 0:
            handed[pool] = stuck
    return handed


@dg.sensor(minimum_interval_seconds=5, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Hands a free concurrency-pool slot to a step left waiting beside it (a race in "
                       "Dagster's storage between freeing a slot and a step starting to wait for one). "
                       "Requests no runs.")
def pool_watchdog(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    handed = unstick_pools(context.instance)
    if handed:
        context.log.warning(f"waiting steps handed a free slot: {handed}")
        return dg.SkipReason(f"handed a free slot to waiting steps: {handed}")
    return dg.SkipReason("no step waits beside a free slot")
