"""Command-line interface: `flask --app wsgi …`."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from marketplace.config import BASE_DIR
from marketplace.extensions import db

seed = AppGroup("seed", help="Load demo or benchmark data.")
users = AppGroup("users", help="Manage accounts.")
translate = AppGroup("translate", help="Extract, update and compile the message catalogues.")
outbox = AppGroup("outbox", help="The e-mail outbox.")
search_group = AppGroup("search", help="The catalog search: its vocabulary and its index.")

TRANSLATIONS = BASE_DIR / "marketplace" / "translations"
POT = BASE_DIR / "messages.pot"


@seed.command("demo")
def seed_demo_command():
    """Idempotent demo data from the sample inventory, and one account per role."""
    from marketplace.seed.demo import DEMO_ACCOUNTS, seed_demo

    counts = seed_demo()
    db.session.commit()
    click.echo(
        f"Demo data ready: {counts['producers']} new producers, {counts['products']} new products, "
        f"{counts['photos']} new photos."
    )
    if counts.get("inquiries"):
        click.echo(f"Monitoring history: {counts['inquiries']} new demo inquiries over the last six months.")
    click.echo("Demo accounts (e-mail / password):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.role.value:<14} {account.email:<36} {account.password}")


@seed.command("scale")
@click.option("--producers", type=click.IntRange(min=0), default=10_000, show_default=True)
@click.option("--products", type=click.IntRange(min=0), default=100_000, show_default=True)
@click.option("--inquiries", type=click.IntRange(min=0), default=1_000_000, show_default=True)
@click.option("--seed", "random_seed", type=int, default=2026, show_default=True, help="Same seed, same data.")
@click.option("--append", is_flag=True, help="Add to a database that already holds data (refused without it).")
def seed_scale_command(producers, products, inquiries, random_seed, append):
    """Bulk-load a large, skewed data set for benchmarks into an empty database of its own."""
    import time

    from marketplace.seed.scale import (FACILITATOR_EMAIL, FACILITATOR_PASSWORD, MODERATOR_EMAIL, PRODUCER_EMAIL,
                                        seed_scale)

    started = time.perf_counter()
    try:
        rows = seed_scale(producers, products, inquiries, seed=random_seed, log=click.echo, append=append)
    except (RuntimeError, ValueError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    seconds = time.perf_counter() - started
    total = sum(rows.values())
    click.echo(f"Loaded {total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s).")
    click.echo(f"Facilitator: {FACILITATOR_EMAIL} / {FACILITATOR_PASSWORD}")
    click.echo(f"Moderator and producer (the most listings): {MODERATOR_EMAIL}, {PRODUCER_EMAIL}, same password")


@contextmanager
def _account_change():
    """Commit what the block changes; an AccountError rolls it back and ends the command with its message."""
    from marketplace.accounts.users import AccountError

    try:
        yield
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["producer", "field_officer", "moderator", "facilitator", "admin"]))
@click.option("--producer", "producer_slug", help="The storefront slug a producer account belongs to.")
@click.option("--name", default="")
def users_create(email, password, role, producer_slug, name):
    """Create an account."""
    from marketplace.accounts.users import create_user

    with _account_change():
        user = create_user(email, password, role, producer_slug, name)
    click.echo(f"Created {user.role} account {user.email} (id {user.id}).")


@users.command("assign")
@click.option("--officer", "officer_email", required=True, help="E-mail of a field officer (pendamping) account.")
@click.option("--producer", "producer_slug", required=True, help="Storefront slug of the producer to assist.")
@click.option("--remove", is_flag=True, help="End the assignment instead.")
def users_assign(officer_email, producer_slug, remove):
    """Assign a producer to a field officer, who may then act for it."""
    from marketplace.accounts.users import assign_officer

    with _account_change():
        assign_officer(officer_email, producer_slug, remove=remove)
    click.echo(f"{'Removed' if remove else 'Assigned'}: {producer_slug} {'from' if remove else 'to'} {officer_email}.")


@users.command("scope")
@click.option("--moderator", "moderator_email", required=True, help="E-mail of a moderator account.")
@click.option("--category", "category_slug", required=True, help="Category slug, e.g. kerajinan-wastra (an unknown slug lists them all).")
@click.option("--remove", is_flag=True, help="Remove the category from the moderator's scope.")
def users_scope(moderator_email, category_slug, remove):
    """Limit a moderator to categories (a moderator without any reviews everything)."""
    from marketplace.accounts.users import set_moderator_scope

    with _account_change():
        set_moderator_scope(moderator_email, category_slug, remove=remove)
    click.echo(f"{'Removed' if remove else 'Added'} {category_slug} {'from' if remove else 'to'} {moderator_email}.")


@outbox.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many messages (default: all).")
def outbox_send(limit):
    """Deliver queued e-mail; what fails stays queued with the error. Exits 1 if anything failed."""
    from marketplace.core.outbox import send_pending

    sent, failed = send_pending(limit=limit)
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        raise SystemExit(1)


@search_group.command("vocabulary")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--replace", is_flag=True, help="Drop the entries imported before (the shipped file stays).")
def search_vocabulary(file, replace):
    """Add buyers' words from a CSV (columns term,means[,kind]: `beef,daging sapi,english`); no deploy needed."""
    from marketplace.catalog import search

    added, known = search.import_vocabulary(file, replace=replace)
    db.session.commit()
    click.echo(f"{added} entries added, {known} already known.")


@search_group.command("reindex")
def search_reindex():
    """Rebuild the search index of every published listing (after upgrading to the stems column)."""
    from marketplace.catalog import search

    search.reindex()
    db.session.commit()
    click.echo("Search index rebuilt.")


@click.command("import-umkm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="CSV of rejected rows.")
@click.option("--publish", is_flag=True,
              help="Approve, in the import's name, what it vetted (never a suspended or archived record).")
@click.option("--resolve", "resolve", multiple=True, metavar="NIB=owner|invite",
              help="Settle a storefront someone registered themselves: keep that account as owner, or invite the "
                   "sheet's e-mail instead. Repeat per NIB; without it such rows wait.")
def import_umkm(file, dry_run, report_path, publish, resolve):
    """Import the city's UMKM inventory (CSV or XLSX)."""
    import csv
    import sys as _sys

    from marketplace.core.exports import csv_safe
    from marketplace.city.importer import change_lines, import_file, report_rows
    from marketplace.city.importer import dry_run as preview
    from marketplace.city.importer import InventoryFileError

    if not current_app.config.get("SERVER_NAME"):
        raise click.ClickException("Set SERVER_NAME (e.g. etalase.metrokota.go.id): invitation links need the site's address.")
    resolutions = {}
    for item in resolve:
        nib, _, how = item.partition("=")
        if how not in ("owner", "invite") or not nib.strip():
            raise click.BadParameter(f"{item!r}: write NIB=owner or NIB=invite", param_hint="--resolve")
        resolutions[nib.strip()] = how
    run = preview if dry_run else import_file
    try:
        if _sys.stdout.isatty():
            from marketplace.city.importer import read_rows

            total = sum(1 for _ in read_rows(file))
            with click.progressbar(length=total, label="Importing") as bar:
                result = run(file, publish=publish, progress=bar.update, resolutions=resolutions)
        else:
            result = run(file, publish=publish, resolutions=resolutions)
    except InventoryFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{file}: {error}. Nothing was imported.") from None
    if not dry_run:
        db.session.commit()
    for number, reason, _cells in result.rejected:
        click.echo(f"row {number}: rejected — {reason}")
    for number, warning in result.warnings:
        click.echo(f"row {number}: warning — {warning}")
    for line in change_lines(result):
        click.echo(line)
    if report_path:
        with open(report_path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            for row in report_rows(result):
                writer.writerow([csv_safe(v) for v in row])
    click.echo(("Dry run (nothing written): " if dry_run else "Imported: ") + result.summary())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path):
    """A consistent copy of the database while the app runs (SQLite backup API, or pg_dump)."""
    from marketplace.core.backup import BackupError, backup

    try:
        written = backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {written}")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


@translate.command("extract")
def translate_extract():
    """Collect the translatable strings into messages.pot and merge them into each catalogue."""
    # Babel skips folders starting with "_" by default; templates/_macros must be read.
    _pybabel("extract", "-F", str(BASE_DIR / "babel.cfg"), "-k", "_l", "--no-location", "--ignore-dirs", ".* __pycache__",
             "--sort-output", "-o", str(POT), str(BASE_DIR))
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete",
             "--ignore-pot-creation-date")


@translate.command("init")
@click.argument("lang")
def translate_init(lang):
    """Start a catalogue for a new language."""
    _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang)


@translate.command("compile")
def translate_compile():
    """Compile the .po catalogues to .mo."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def init_app(app: Flask) -> None:
    for group in (seed, users, translate, outbox, search_group, import_umkm, backup_command):
        app.cli.add_command(group)
