"""``amends mail ...``: the mailboxes from the command line (kept out of
cli.py so that the mail commands stay in one place).

    amends --db PATH mail list [--json]
    amends --db PATH mail fetch [--mailbox NAME] [--password-stdin]
    amends --db PATH mail test  [--mailbox NAME] [--password-stdin] [--json]
    amends --db PATH mail signin [--mailbox NAME] [--provider microsoft|google --client-id ID ...]

Secrets: read from stdin (``--password-stdin``, one line), else from
$AMENDS_MAIL_PASSWORD, else the OS keyring (where the app keeps them).
Progress of a long fetch goes to stderr; results to stdout. Exit 1 when a
mailbox could not be fetched or tested fine, after trying every one."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from amends import settings_schema as schema
from amends.core.errors import Cancelled, MailProblem, ValidationError
from amends.core.store import Database

if TYPE_CHECKING:  # the mail modules are imported by the actions: `amends` builds this parser at every start
    from amends.core.mail.mailboxes import Mailbox


def add_commands(mail: argparse.ArgumentParser, parser_class: type, db_help: str) -> None:
    sub = mail.add_subparsers(dest="mail_command", metavar="ACTION", parser_class=parser_class, required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
        return p

    p = action("list", "list the mailboxes (name, address, servers)")
    p.add_argument("--json", action="store_true", help="print JSON")
    for name, text in (("fetch", "fetch new mail now (every mailbox that fetches, or one)"),
                       ("test", "test the IMAP and SMTP sign-in of every mailbox, or one")):
        p = action(name, text)
        p.add_argument("--mailbox", metavar="NAME", help="only this mailbox (its name or address)")
        p.add_argument("--password-stdin", action="store_true", help="read the password from stdin (one line)")
        if name == "test":
            p.add_argument("--json", action="store_true", help="print JSON")
    p = action("signin", "sign a mailbox in through the browser (Microsoft 365, Google: OAuth2); the address "
                         "is printed too, the sign-in kept in the OS keyring")
    p.add_argument("--mailbox", metavar="NAME", help="the mailbox (default: the first one that uses OAuth2)")
    p.add_argument("--provider", choices=["microsoft", "google"],
                   help="switch the mailbox to this sign-in (with --client-id the first time)")
    p.add_argument("--client-id", metavar="ID", help="your app registration's client (application) id")
    p.add_argument("--tenant", metavar="T", help="Microsoft: common (default), organizations or your directory")
    p.add_argument("--client-secret", metavar="S", help="Google: the Desktop app client's secret")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; only print the address")
    p.add_argument("--timeout", type=_positive, default=300, metavar="SECONDS",
                   help="how long to wait for the sign-in page (default 300)")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number greater than 0")
    return int(text)


def run(args: argparse.Namespace, with_db: Callable) -> int:
    typed = sys.stdin.readline().rstrip("\r\n") if getattr(args, "password_stdin", False) else None
    given = typed if typed is not None else (schema.environment(schema.AMENDS_MAIL_PASSWORD) or None)

    from amends.core.mail import secrets

    def secret(name: str) -> str | None:
        return given if given is not None else secrets.load(name)

    return with_db(lambda db: ACTIONS[args.mail_command](db, args, secret))


def _chosen(db: Database, args: argparse.Namespace, *, fetching: bool) -> list[Mailbox]:
    from amends.core.mail import fetch, mailboxes

    if getattr(args, "mailbox", None):
        box = mailboxes.by_label(db, args.mailbox)
        if fetching and not box.imap_host:
            raise ValidationError([("--mailbox", f"the mailbox {box.label!r} has no IMAP server: it only sends")])
        return [box]
    boxes = fetch.imap_mailboxes(db) if fetching else mailboxes.all_mailboxes(db)
    if not boxes:
        raise ValidationError([("mailbox", "no mailbox " + ("fetches mail" if fetching else "is set up") +
                                " yet (the app: Preferences → Mailboxes)")])
    return boxes


def _list(db: Database, args: argparse.Namespace, secret) -> int:
    from amends.core.mail import mailboxes

    boxes = mailboxes.all_mailboxes(db)
    if args.json:
        print(json.dumps([{"name": b.label, "display_name": b.name, "address": b.from_address,
                           "imap": f"{b.imap_host}:{b.imap_port}/{b.imap_folder}" if b.imap_host else None,
                           "smtp": f"{b.smtp_host}:{b.smtp_port}", "default_category": b.default_category,
                           "default_assignee": b.default_assignee, "auth": b.auth} for b in boxes],
                         indent=2, ensure_ascii=False))
        return 0
    for b in boxes:
        imap = f"IMAP {b.imap_host}:{b.imap_port} {b.imap_folder}" if b.imap_host else "no IMAP (sends only)"
        print(f"{b.label}\t{b.name} <{b.from_address}>\t{imap}\tSMTP {b.smtp_host}:{b.smtp_port}")
    return 0


def _fetch(db: Database, args: argparse.Namespace, secret) -> int:
    from amends.core.mail import fetch

    failed = False
    for box in _chosen(db, args, fetching=True):
        def progress(done: int, total: int, label: str = box.label) -> None:
            print(f"{label}: {done:,}/{total:,} messages", file=sys.stderr, flush=True)

        try:
            report = fetch.fetch(db, box.id, secret(box.login), progress=progress)
        except (MailProblem, Cancelled) as error:
            print(f"amends: {box.label}: {error}", file=sys.stderr)
            failed = True
            continue
        again = ", the server renumbered the folder: read again" if report.resynced else ""
        print(f"{box.label}: {report.messages:,} new message(s), {report.already_here:,} here already, "
              f"{report.defective:,} kept with a defect{again}")
        for uid, reason in report.unreadable:
            print(f"amends: {box.label}: message UID {uid} not fetched: {reason}", file=sys.stderr)
        failed = failed or bool(report.unreadable)
    return 1 if failed else 0


def _test(db: Database, args: argparse.Namespace, secret) -> int:
    from amends.core.mail import connection

    reports = [connection.check_mailbox(box, secret(box.login), secret(box.smtp_login))
               for box in _chosen(db, args, fetching=False)]
    if args.json:
        print(json.dumps([{"mailbox": r.mailbox, "ok": r.ok, "results": [
            {"protocol": p.protocol, "ok": p.ok, "problem": p.problem, "message": p.message} for p in r.results]}
            for r in reports], indent=2, ensure_ascii=False))
    else:
        for r in reports:
            for p in r.results:
                print(f"{r.mailbox}: {'ok' if p.ok else 'FAILED'}: {p.message}")
    return 0 if all(r.ok for r in reports) else 1


def _signin_mailbox(db: Database, args: argparse.Namespace) -> Mailbox:
    from amends.core.mail import mailboxes, oauth

    """The mailbox to sign in, with the provider settings given saved first
    (checked: a missing client id or secret is named before any browser)."""
    if args.mailbox:
        box = mailboxes.by_label(db, args.mailbox)
    else:
        box = next((b for b in mailboxes.all_mailboxes(db) if b.auth in oauth.KINDS or args.provider), None)
        if box is None:
            raise ValidationError([("--mailbox", "no mailbox signs in with OAuth2; name one with --mailbox and "
                                                 "give --provider and --client-id")])
    if args.provider or args.client_id or args.tenant or args.client_secret:
        kind = {"microsoft": oauth.MICROSOFT, "google": oauth.GOOGLE}.get(args.provider or "", box.auth)
        had = box.oauth if box.oauth is not None and kind == box.auth else oauth.Client("")
        client = replace(had, client_id=args.client_id or had.client_id, tenant=args.tenant or had.tenant,
                         client_secret=args.client_secret or had.client_secret)
        mailboxes.update(db, replace(box, auth=kind, oauth=client))
        box = mailboxes.get(db, box.id)
    if box.auth not in oauth.KINDS:
        raise ValidationError([("--mailbox", f"{box.label!r} signs in with a password; to use Microsoft or Google "
                                             "sign-in give --provider and --client-id")])
    return box


def _signin(db: Database, args: argparse.Namespace, secret) -> int:
    from amends.core.mail import oauth

    box = _signin_mailbox(db, args)
    provider, name = oauth.provider(box.auth, box.oauth), oauth.NAMES[box.auth]

    def show(url: str) -> None:
        print(f"Sign {box.login} in with {name} in your browser. If no browser opens, go to:\n{url}", flush=True)

    done = oauth.sign_in(provider, box.login, on_url=show, timeout=args.timeout,
                         open_browser=(lambda url: False) if args.no_browser else _open_browser)
    if done.kept_in != "keyring":
        print(f"amends: {box.login} signed in, but this computer has no OS keyring to keep the sign-in, so it "
              "ends with this command; the app asks again when it starts.", file=sys.stderr)
        return 1
    print(f"Signed {box.login} in with {name}; the sign-in is kept in the OS keyring.")
    return 0


ACTIONS = {"list": _list, "fetch": _fetch, "test": _test, "signin": _signin}


def _open_browser(url: str) -> bool:
    """The sign-in page in the browser; webbrowser (and the subprocess module
    it brings) is imported here: the mail commands are added to every start."""
    import webbrowser

    return webbrowser.open(url)
