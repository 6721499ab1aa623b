"""The ``handoff`` command line: every user-facing command joins here."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from handoff.cli_routing import crm_app, intake_app, print_routing, rules_app
from handoff.settings import get_settings

if TYPE_CHECKING:
    from pipelines.storage.delta import DeltaStore

app = typer.Typer(help="handoff: marketing's leads to sales, fast, explained, governed.", no_args_is_help=True)
world_app = typer.Typer(help="Synthetic sample worlds in the vendors' export formats.", no_args_is_help=True)
app.add_typer(world_app, name="world")
app.add_typer(rules_app, name="rules")
app.add_typer(crm_app, name="crm")
app.add_typer(intake_app, name="intake")
console = Console()

DEFAULT_PERSONS = 100_000  # enough for a scoring holdout that can pass the calibration bar


@world_app.command("generate")
def world_generate(
    out: Annotated[Path | None, typer.Option(help="folder for landing/ and truth/ (default: data/)")] = None,
    persons: Annotated[int, typer.Option(min=1_000, max=1_000_000)] = DEFAULT_PERSONS,
    seed: Annotated[int, typer.Option()] = 7,
    bad_row_rate: Annotated[float, typer.Option(min=0.0, max=0.5)] = 0.005,
    drift: Annotated[bool, typer.Option(help="add a drifted file and a file missing a column")] = True,
) -> None:
    """Write a coherent synthetic B2B world into a landing zone, ground truth beside it."""
    from handoff.world import generate_world

    target = out or get_settings().landing_dir.parent
    summary = generate_world(target, persons=persons, seed=seed, bad_row_rate=bad_row_rate, drift=drift,
                             progress=True)
    rows = sum(summary.files.values())
    console.print(f"[green]world[/green]: {summary.persons:,} persons, {summary.accounts:,} accounts, "
                  f"{len(summary.files)} files, {rows:,} rows in {summary.seconds:.1f} s → {summary.landing_dir}")


@app.command("run")
def run(
    persons: Annotated[int, typer.Option(help="persons in the sample world made when landing is empty")] =
    DEFAULT_PERSONS,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """The main job: make a sample world if the landing zone is empty, materialize everything, summarise."""
    settings = get_settings()
    landing = settings.landing_dir
    if not landing.exists() or not any(landing.rglob("*.*")):
        console.print(f"landing zone {landing} is empty: generating a sample world ({persons:,} persons)")
        world_generate(out=landing.parent, persons=persons, seed=seed, bad_row_rate=0.005, drift=True)
    from assets.definitions import MAIN_JOB
    from assets.runner import run_job

    ok = run_job(MAIN_JOB, dagster_home=settings.prepare_dagster_home())
    summary()
    if not ok:
        console.print("[red]the run failed[/red]: open the Dagster UI (`handoff ui`) for the failing step's logs")
        raise typer.Exit(1)


@app.command("summary")
def summary() -> None:
    """Rows per table, quarantined rows per reason, and every landing file's outcome."""
    from pipelines.storage.delta import DeltaStore
    from pipelines.summary import summarize

    s = summarize(DeltaStore(get_settings().lakehouse_uri))
    t = Table(title="Tables (Delta, storage of record)")
    for col in ("table", "rows", "version"):
        t.add_column(col, justify="right" if col != "table" else "left")
    for r in s.tables.iter_rows():
        t.add_row(r[0], f"{r[1]:,}", str(r[2]))
    console.print(t)
    q = Table(title="Quarantined rows per reason")
    for col in ("contract", "reason", "rows"):
        q.add_column(col)
    for r in s.quarantine_by_reason.iter_rows():
        q.add_row(r[0], r[1], f"{r[2]:,}")
    console.print(q)
    rejected = s.files.filter(s.files["status"] == "rejected")
    for r in rejected.iter_rows(named=True):
        console.print(f"[red]rejected[/red] {r['message']}")
    loaded = s.files.height - rejected.height
    console.print(f"files: {loaded} loaded, {rejected.height} rejected; raw rows = bronze + quarantined per file: "
                  f"{'[green]yes[/green]' if s.balanced else '[red]NO[/red]'}")
    store = DeltaStore(get_settings().lakehouse_uri)
    _print_lead_scores(store)
    print_routing(store)


def _print_lead_scores(store: DeltaStore) -> None:
    from pipelines.scoring import LEAD_SCORES

    if store.table(LEAD_SCORES) is None:
        console.print("lead scores: none yet (no model has passed the promotion bar: `handoff model history`)")
        return
    scores = store.read(LEAD_SCORES, columns=["tier", "model_version", "needs_review"])
    tiers = dict(scores.group_by("tier").len().iter_rows())
    console.print(f"lead scores: {scores.height:,} persons by model {scores['model_version'][0]}: "
                  + ", ".join(f"{t} {tiers.get(t, 0):,}" for t in ("hot", "warm", "nurture"))
                  + f"; {int(scores['needs_review'].sum()):,} flagged for review")


evaluate_app = typer.Typer(help="Score the pipeline against a generated world's ground truth.",
                           no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")


@evaluate_app.command("identity")
def evaluate_identity(
    min_precision: Annotated[float, typer.Option(help="exit 1 below this pairwise precision")] = 0.98,
    min_recall: Annotated[float, typer.Option(help="exit 1 below this pairwise recall")] = 0.97,
    min_account_accuracy: Annotated[float, typer.Option(help="exit 1 below this accuracy")] = 0.97,
) -> None:
    """Person clusters (pairwise precision / recall) and person → account accuracy of the last run."""
    from handoff.evaluation import account_accuracy, truth_person_records
    from pipelines.identity.evaluate import pairwise_scores
    from pipelines.identity.stage import CROSSWALK, PERSON_ACCOUNTS
    from pipelines.storage.delta import DeltaStore

    settings = get_settings()
    store = DeltaStore(settings.lakehouse_uri)
    if store.table(CROSSWALK) is None or store.table(PERSON_ACCOUNTS) is None:
        console.print(f"[red]no identity tables in {settings.lakehouse_uri}[/red]: run `handoff run` first")
        raise typer.Exit(2)
    crosswalk = store.read(CROSSWALK, columns=["source", "record_id", "person_id"])
    try:
        truth = truth_person_records(settings.truth_dir)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    s = pairwise_scores(crosswalk, truth, on=["source", "record_id"])
    acc = account_accuracy(store.read(PERSON_ACCOUNTS), settings.truth_dir, records=crosswalk)
    t = Table(title=f"Identity against the truth in {settings.truth_dir}")
    for col in ("measure", "value", "target"):
        t.add_column(col)
    t.add_row("records scored", f"{s.records:,}", "")
    t.add_row("pairwise precision", f"{s.precision:.4f}", f"≥ {min_precision}")
    t.add_row("pairwise recall", f"{s.recall:.4f}", f"≥ {min_recall}")
    t.add_row("pairwise F1", f"{s.f1:.4f}", "")
    t.add_row("person → account accuracy", f"{acc['accuracy']:.4f} over {acc['persons']:,} persons",
              f"≥ {min_account_accuracy}")
    console.print(t)
    ok = s.precision >= min_precision and s.recall >= min_recall and acc["accuracy"] >= min_account_accuracy
    if not ok:
        console.print("[red]below target[/red]")
        raise typer.Exit(1)


@evaluate_app.command("scoring")
def evaluate_scoring(
    max_auc_gap: Annotated[float, typer.Option(help="exit 1 if AUC is this far below the oracle's")] = 0.02,
    max_ece: Annotated[float, typer.Option(help="exit 1 above this expected calibration error")] = 0.02,
) -> None:
    """Train on the current lakehouse; AUC and ECE on the recent holdout against the generator's oracle."""
    from handoff.evaluation import scoring_oracle
    from models import expected_calibration_error, predict, roc_auc
    from pipelines.features.inputs import read_feature_inputs
    from pipelines.identity.stage import CROSSWALK
    from pipelines.scoring.stage import ID, LABEL, split_holdout, train_lead_model, training_frame
    from pipelines.storage.delta import DeltaStore

    settings = get_settings()
    store = DeltaStore(settings.lakehouse_uri)
    if store.table("silver.graph_edges") is None:
        console.print(f"[red]no knowledge graph in {settings.lakehouse_uri}[/red]: run `handoff run` first")
        raise typer.Exit(2)
    if not (settings.truth_dir / "persons.parquet").exists():
        console.print(f"[red]no ground truth in {settings.truth_dir}[/red]: evaluation needs a world made by "
                      "`handoff world generate` (real extracts have no oracle)")
        raise typer.Exit(2)
    try:
        frame = training_frame(read_feature_inputs(store))
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    fit_rows, holdout = split_holdout(frame)
    model = train_lead_model(fit_rows)
    p = predict(model, holdout).to_numpy()
    y = holdout[LABEL].to_numpy()
    oracle = scoring_oracle(holdout.select(ID), store.read(CROSSWALK, columns=["source", "record_id", "person_id"]),
                            settings.truth_dir)
    auc, ece, oracle_auc = roc_auc(y, p), expected_calibration_error(y, p), roc_auc(y, oracle.to_numpy())
    t = Table(title=f"Lead scores on the recent holdout ({holdout.height:,} rows, base rate {y.mean():.3f})")
    for col in ("measure", "value", "target"):
        t.add_column(col)
    t.add_row("model AUC", f"{auc:.4f}", f"≥ oracle − {max_auc_gap}")
    t.add_row("oracle AUC (true propensities)", f"{oracle_auc:.4f}", "")
    t.add_row("ECE (calibrated)", f"{ece:.4f}", f"≤ {max_ece}")
    t.add_row("training rows", f"{fit_rows.height:,}", "")
    console.print(t)
    if auc < oracle_auc - max_auc_gap or ece > max_ece:
        console.print("[red]below target[/red]")
        raise typer.Exit(1)


model_app = typer.Typer(help="The lead-score model registry: history, rollback.", no_args_is_help=True)
app.add_typer(model_app, name="model")


def _registry():  # noqa: ANN202
    from pipelines.scoring import registry_for
    from pipelines.storage.delta import DeltaStore

    settings = get_settings()
    return registry_for(DeltaStore(settings.lakehouse_uri), settings.models_dir)


@model_app.command("history")
def model_history() -> None:
    """Every registry event: registered, promoted, rejected (with the reason), rolled back."""
    registry = _registry()
    t = Table(title=f"lead_score models (champion: {registry.champion() or 'none'})")
    history = registry.history()
    for col in ("at", "version", "event", "auc", "ece", "reason"):
        t.add_column(col)
    for r in history.iter_rows(named=True):
        t.add_row(str(r["at"])[:19], r["version"], r["event"], f"{r['auc']:.4f}" if r["auc"] is not None else "",
                  f"{r['ece']:.4f}" if r["ece"] is not None else "", r["reason"] or "")
    console.print(t)


@model_app.command("rollback")
def model_rollback(
    version: Annotated[str, typer.Argument(help="an earlier registered version, e.g. v0003")],
    reason: Annotated[str, typer.Option(help="why, for the audit trail")] = "manual rollback",
) -> None:
    """Make an earlier version the champion (recorded); the next scoring run uses it."""
    registry = _registry()
    try:
        registry.rollback(version, reason=reason)
    except (ValueError, LookupError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"champion is now {registry.champion()}: rerun the lead_scores asset to rescore")


@app.command("ui")
def ui(port: Annotated[int, typer.Option()] = 3000) -> None:
    """Open the Dagster UI (webserver + daemon, `dg dev`) on this instance: http://127.0.0.1:PORT."""
    settings = get_settings()
    home = settings.prepare_dagster_home()
    workspace = settings.home.resolve() / "workspace.yaml"
    env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    for sig in (signal.SIGINT, signal.SIGTERM):  # so Ctrl-C and `kill PID` stop it
        signal.signal(sig, signal.SIG_DFL)
    dg_cli = Path(sys.executable).with_name("dg")
    os.chdir(home)  # the instance folder: its dagster.yaml is the one in force
    os.execve(dg_cli, [str(dg_cli), "dev", "-w", str(workspace), "-p", str(port)], env)


if __name__ == "__main__":
    app()
