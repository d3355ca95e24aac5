"""`mlmock db upgrade|downgrade|current`: schema migrations (also applied at start)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("db", help="database migrations (applied automatically at start)")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    down = actions.add_parser("downgrade", help="migrate the database back to REVISION")
    down.add_argument("revision")
    down.set_defaults(func=_downgrade)
    current = actions.add_parser("current", help="print the database's schema revision")
    current.set_defaults(func=_current)


def _url() -> str:
    from bot.config import Settings

    return Settings.from_env().database_url


def _upgrade(args: argparse.Namespace) -> int:
    from bot.storage.database import upgrade_sync
    from bot.storage.problems import explained

    url = _url()
    with explained(url):
        upgrade_sync(url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    from bot.storage.database import downgrade_sync
    from bot.storage.problems import explained

    url = _url()
    with explained(url):
        downgrade_sync(url, args.revision)
    print(f"database migrated down to {args.revision}")
    return 0


def _current(args: argparse.Namespace) -> int:
    from alembic import command

    from bot.storage.database import alembic_config
    from bot.storage.problems import explained

    url = _url()
    with explained(url):
        command.current(alembic_config(url))
    return 0
