"""set_database_timeouts: the session timeouts of config/settings.py as the database's defaults.

For DATABASE_URL through PgBouncer in transaction mode (DB_POOLER=pgbouncer), which refuses them
as startup options: ``ALTER DATABASE <db> SET lock_timeout / statement_timeout /
idle_in_transaction_session_timeout / TimeZone`` (config/database.py). Run it as the database's
owner, before PgBouncer opens its server connections (or then RECONNECT on PgBouncer's console);
``--print`` only prints the SQL, ``--check`` exits 1 when this session lacks a default.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.database import session_defaults_apply, session_defaults_differences, session_defaults_sql


class Command(BaseCommand):
    help = "ALTER DATABASE ... SET the session timeouts (for PgBouncer); --print, --check."

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--print", action="store_true", help="Print the SQL, change nothing.")
        what.add_argument("--check", action="store_true", help="Exit 1 if this session lacks a default.")

    def handle(self, *args, print: bool, check: bool, **options) -> None:
        if check:
            differences = session_defaults_differences()
            for name, (in_force, wanted) in differences.items():
                self.stdout.write(self.style.ERROR(f"{name} = {in_force}, wanted {wanted}"))
            if differences:
                raise CommandError(f"{len(differences)} session defaults not in force.", returncode=1)
            self.stdout.write(self.style.SUCCESS("set_database_timeouts: every session default in force"))
            return
        for statement in session_defaults_sql() if print else session_defaults_apply():
            self.stdout.write(f"{statement};")
        if not print:
            self.stdout.write("New connections start with these; a pooler's open ones keep theirs.")
