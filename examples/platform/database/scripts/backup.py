"""Back up the database the migrations will change, before they change it.

SQLite: a consistent copy beside the file, ``items.db.before-<version>`` (nothing while there is no file yet).
PostgreSQL: ``pg_dump --format=custom`` into DATABASE_PATH's folder, ``<dbname>.before-<version>.dump``;
restore it with ``pg_restore --clean --dbname=<url> <file>``.
``<version>`` is ATTINI_DISTRIBUTION_VERSION, the version being deployed.

Prints ``{"backup": <path or null>, "database": <description>}`` on stdout (the runner's step result):

    DATABASE_PATH=/tmp/items.db ATTINI_DISTRIBUTION_VERSION=1.2.0 python3 scripts/backup.py
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from typing import Mapping

from databases import database_from_environment
from migration_files import MigrationError


def main(environ: Mapping[str, str]) -> int:
    """Back up the database ``environ`` names; print where the backup went. Exit code 2 on an error."""
    label = environ.get("ATTINI_DISTRIBUTION_VERSION") or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        database = database_from_environment(environ)
        target = database.backup(label)
    except MigrationError as err:
        print(f"backup: {err}", file=sys.stderr)
        return 2
    print(f"backed up {database.description} to {target}" if target else
          f"{database.description} does not exist yet: nothing to back up", file=sys.stderr)
    print(json.dumps({"backup": str(target) if target else None, "database": database.description}))
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
