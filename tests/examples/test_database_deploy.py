"""Deploying the database example to an environment whose DatabaseUrl names a PostgreSQL database.

The whole flow: network then database deployed to a local environment (CloudFormation and DynamoDB on the moto
server of tests/deploy), the runner steps back up and migrate the PostgreSQL database of the throwaway server.
"""

from __future__ import annotations

import json

import attini_sdk as at

from .postgres_server import PASSWORD


def test_a_secret_database_url_sends_the_migrations_to_postgres_and_stays_secret(home, platform, postgres):
    database = postgres.create_database()
    dev = at.Environment.create("dev", type="test", home=home)
    dev.parameters["DatabasePath"] = str(home / "sqlite" / "dev" / "items.db")
    dev.parameters.set("DatabaseUrl", postgres.url(database), secret=True)
    dev.deploy(platform["network"])

    deployed = dev.deploy(platform["database"])
    again = dev.deploy(platform["database"])

    assert (deployed.status, again.status) == ("succeeded", "succeeded"), deployed.error
    assert deployed.outputs["output"]["Migrate"] == {"result": "002"}
    backup = deployed.outputs["output"]["BackupDatabase"]["backup"]
    assert backup == str(home / "sqlite" / "dev" / f"{database}.before-1.2.0.dump")
    assert "applied 002_add_item_status.sql" in deployed.logs("Migrate")
    assert "applied" not in again.logs("Migrate") and again.outputs["output"]["Migrate"] == {"result": "002"}
    url = postgres.url(database)
    assert postgres.query(url, "SELECT version FROM schema_version ORDER BY version") == "001\n002"
    assert not (home / "sqlite" / "dev" / "items.db").exists()  # SQLite was not used

    seen = [json.dumps(deployed.outputs), json.dumps(deployed.parameters), deployed.logs("Migrate"),
            deployed.logs("BackupDatabase"), dev.history().to_json(date_format="iso")]
    assert deployed.parameters["DatabaseUrl"] == "***"
    assert not [text for text in seen if PASSWORD in text or "s3cret" in text]
