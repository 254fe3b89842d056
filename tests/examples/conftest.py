"""Fixtures for the example distributions' tests: a real PostgreSQL server, and the deploy tests' moto server.

``postgres`` is one throwaway server per test process (tests each create their own database on it); it is
skipped, saying why, on a machine without PostgreSQL's server programs.
"""

from __future__ import annotations

import pytest

from tests.deploy.conftest import aws, home, moto_endpoint, platform  # noqa: F401  (fixtures shared with deploy tests)

from .postgres_server import PostgresServer, running_server, server_programs


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    programs = server_programs()
    if programs is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed: the PostgreSQL path of the "
                    "database example is untested here (Debian: apt-get install postgresql)")
    with running_server(programs) as server:
        yield server
