"""Verbs that keep a store healthy: gc and fsck."""

from __future__ import annotations

from dataclasses import asdict

import click

from ..errors import LineageError
from .app import Progress, StoreHandle, cli, echo_json, human_size, json_option, pass_store


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print what would be freed; change nothing.")
@click.option(
    "--grace",
    "grace_s",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Keep unused blobs younger than this (default: 0 in a folder, 3600 in S3).",
)
@json_option
@pass_store
def gc(handle: StoreHandle, dry_run: bool, grace_s: float | None, as_json: bool) -> None:
    """Free blobs that no live version or run file uses.

    Also removes temp files left by processes that died mid-write. Waits for uploads in
    other processes to commit first. In S3, unused objects younger than an hour are kept
    (a writer on another host may be about to commit them) unless --grace says otherwise.

    \b
    Example:  lineage gc --dry-run
    """
    plan = handle.store.gc(dry_run=dry_run, grace_s=grace_s)
    if as_json:
        echo_json({"dry_run": dry_run, **asdict(plan), "bytes": plan.bytes})
        return
    if dry_run:
        for item in (*plan.blobs, *plan.temp_files):
            click.echo(f"{item.path}  {human_size(item.size)}")
    click.echo(plan.describe())


@cli.command()
@click.option("--quick", is_flag=True, help="Compare blob sizes instead of re-hashing every blob.")
@json_option
@pass_store
def fsck(handle: StoreHandle, quick: bool, as_json: bool) -> None:
    """Check the database and blobs; exit 1 on damage.

    Checks SQLite's integrity, every blob a live version or run uses (re-hashed unless
    --quick), and each version's digest; lists leftovers gc frees and crashed runs.
    Only damage (lost or wrong data) makes it exit 1.

    \b
    Example:  lineage fsck --quick
    """
    store = handle.store
    total = store.blob_bytes()
    with Progress("checking blobs", total) as bar:
        report = store.fsck(quick=quick, progress=bar.reached)
    if as_json:
        problems = [{**asdict(p), "severity": p.severity} for p in report.problems]
        echo_json({**asdict(report), "problems": problems, "ok": report.ok, "clean": report.clean})
    else:
        for problem in report.problems:
            click.echo(f"{problem.severity}: {problem.message}")
        click.echo(report.describe())
    if not report.ok:
        raise LineageError(f"fsck found {len(report.damage)} damaged item(s): see the list above")
