"""``handoff rules``, ``handoff crm`` and ``handoff intake``: the routing side of the command line."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from handoff.settings import get_settings

__all__ = ["rules_app", "crm_app", "intake_app", "print_routing"]

console = Console()
rules_app = typer.Typer(help="Routing rules versions: list, backtest, activate (rollback = activate an earlier).",
                        no_args_is_help=True)
crm_app = typer.Typer(help="The CRM outbox: dispatch pending tasks, run a local Salesforce stub.",
                      no_args_is_help=True)
intake_app = typer.Typer(help="The real-time event intake (Segment HTTP Tracking API).", no_args_is_help=True)


def _book():
    from pipelines.routing import RuleBook
    from pipelines.storage.delta import DeltaStore

    s = get_settings()
    return RuleBook(s.rules_dir, DeltaStore(s.lakehouse_uri))


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]{exc}[/red]")
    return typer.Exit(2)


@rules_app.command("list")
def rules_list() -> None:
    """Versions in the rules folder, the active one, and the activation history."""
    from pipelines.routing import RulesError

    book = _book()
    try:
        active = book.active_version()
    except RulesError as exc:
        raise _fail(exc) from exc
    for v in book.versions():
        console.print(f"{'*' if v == active else ' '} {v}")
    for version, at, reason in book.activations().iter_rows():
        console.print(f"  activated {version} at {at:%Y-%m-%d %H:%M} UTC: {reason or '-'}")


@rules_app.command("backtest")
def rules_backtest(
    version: Annotated[str, typer.Argument(help="the candidate version, e.g. v0002")],
    days: Annotated[int, typer.Option(min=1, help="replay the decisions of the last N days")] = 7,
) -> None:
    """Replay the last N days of logged decisions under VERSION and print what would change (writes nothing)."""
    from pipelines.routing import RulesError, read_roster
    from pipelines.routing.backtest import backtest

    book = _book()
    try:
        candidate = book.load(version)
        roster = read_roster(get_settings().roster_file)
    except (RulesError, ValueError) as exc:
        raise _fail(exc) from exc
    report = backtest(book.store, candidate, roster, days=days, now=dt.datetime.now(dt.UTC))
    console.print(report.summary())
    load = report.load.filter(report.load["before"] != report.load["after"]).head(20)
    if load.height:
        t = Table(title="load per rep and day that changes (first 20)")
        for c in load.columns:
            t.add_column(c)
        for r in load.iter_rows():
            t.add_row(*[str(v) for v in r])
        console.print(t)


@rules_app.command("activate")
def rules_activate(
    version: Annotated[str, typer.Argument(help="version to make active (an earlier one rolls back)")],
    reason: Annotated[str, typer.Option(help="why, for the audit trail")] = "",
) -> None:
    """Move the active-version pointer (recorded); the next routing run decides under VERSION."""
    from pipelines.routing import RulesError

    book = _book()
    try:
        book.activate(version, reason=reason)
    except RulesError as exc:
        raise _fail(exc) from exc
    console.print(f"active routing rules: {book.active_version()}")


@crm_app.command("dispatch")
def crm_dispatch(
    endpoint: Annotated[str | None, typer.Option(help="Salesforce-compatible base URL (default: settings)")] = None,
) -> None:
    """Upsert pending tasks and owner updates by external id; failures retry, then go to the dead letter."""
    from pipelines.outbox import dispatch
    from pipelines.storage.delta import DeltaStore

    s = get_settings()
    report = dispatch(DeltaStore(s.lakehouse_uri), endpoint=endpoint or s.crm_endpoint)
    console.print(f"sent {report.sent:,} (created {report.created:,}, updated {report.updated:,}, owners "
                  f"{report.owners_updated:,}), dead {report.dead:,}, still pending {report.pending:,} in "
                  f"{report.seconds:.1f} s")


@crm_app.command("stub")
def crm_stub(port: Annotated[int, typer.Option()] = 8765) -> None:
    """Run the local Salesforce-compatible stub (upsert by external id) in the foreground."""
    from handoff.crm_stub import main

    main(["--port", str(port)])


@intake_app.command("serve")
def intake_serve(
    write_key: Annotated[list[str], typer.Option(help="accepted write key (repeat for several)")],
    port: Annotated[int | None, typer.Option(help="default: from HANDOFF_INTAKE_ADDRESS")] = None,
) -> None:
    """Serve POST /v1/batch, /v1/track, /v1/identify; accepted events land as atomic batch files."""
    from pipelines.intake import serve

    s = get_settings()
    host, _, default_port = s.intake_address.rpartition(":")
    serve(landing_dir=s.landing_dir, host=host or "127.0.0.1", port=port or int(default_port),
          write_keys=write_key)


def print_routing(store) -> None:
    """Decisions by rule and tier, briefs and tasks, for ``handoff summary``."""
    import polars as pl

    from pipelines.routing import BRIEFS, DECISIONS, read_decisions

    if store.table(DECISIONS) is None:
        return
    log = read_decisions(store, ["rule_id", "tier", "kind", "owner_kind"])
    t = Table(title="Routing decisions (audit.routing_decisions)")
    for col in ("rule", "hot", "warm", "nurture"):
        t.add_column(col, justify="left" if col == "rule" else "right")
    counts = log.group_by("rule_id", "tier").len()
    for rule in sorted(counts["rule_id"].unique()):
        row = dict(counts.filter(pl.col("rule_id") == rule).select("tier", "len").iter_rows())
        t.add_row(rule, *[f"{row.get(k, 0):,}" for k in ("hot", "warm", "nurture")])
    console.print(t)
    briefs = store.table(BRIEFS).count() if store.table(BRIEFS) is not None else 0
    tasks = store.table("outbox.crm_tasks").count() if store.table("outbox.crm_tasks") is not None else 0
    console.print(f"briefs {briefs:,}, CRM tasks staged {tasks:,}; see gold.briefs and outbox.crm_tasks")
