"""Run a job of the code location in process against the Dagster instance of ``dagster.yaml``."""

import os
from pathlib import Path

import dagster as dg

__all__ = ["run_job"]


def run_job(job_name: str, *, dagster_home: Path, log_level: str = "WARNING",
            definitions: dg.Definitions | None = None) -> bool:
    """Execute ``job_name`` in process, recorded in the instance at ``dagster_home``; True on success.

    The run shows up in the Dagster UI started with the same ``DAGSTER_HOME`` (``handoff ui``).
    """
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    if definitions is None:
        from assets.definitions import defs as definitions

    with dg.DagsterInstance.get() as instance:
        job = definitions.resolve_job_def(job_name)
        run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
        return result.success
