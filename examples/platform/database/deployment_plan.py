"""The database's deployment plan, in Python (evaluated at package time; the artifact carries the JSON).

Import the network's VpcId -> deploy the table stack -> back up the table and the SQL database (side by
side) -> run the SQL migrations. The SQL database is the SQLite file DatabasePath, or the PostgreSQL database
DatabaseUrl when that parameter is set (e.g. `attini environment param set DatabaseUrl --secret -e prod`).
"""

from attini_sdk.plan import Cfn, Plan, Runner, Task, dependency, deployment, env, fmt

network = dependency("network")
# Both scripts read the same two variables: DATABASE_URL wins when it is not empty (see scripts/databases.py).
sql_database = {"DATABASE_PATH": env.param("DatabasePath"), "DATABASE_URL": env.param("DatabaseUrl")}

database = Cfn(
    "Database",
    stack_name=fmt("{}-database", env.name),
    template="/database.yaml",
    parameters={"VpcId": network.output("Network.VpcId")},
)

backup_table = Task(
    "BackupTable",
    resource="arn:aws:states:::aws-sdk:dynamodb:createBackup",
    parameters={"TableName": database.output("TableName"), "BackupName": fmt("pre-migrate-{}", deployment.version)},
)

backup_database = Runner(
    "BackupDatabase",
    commands=['python3 scripts/backup.py > "$ATTINI_OUTPUT"'],  # {"backup": <file>, "database": <which>}
    environment=sql_database,
    after=[database],
)

migrate = Runner(
    "Migrate",
    commands=['python3 scripts/migrate.py > "$ATTINI_OUTPUT"'],  # prints the schema version
    environment=sql_database,
    after=[backup_table, backup_database],
    retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}],
)

plan = Plan(migrate, comment="database: network import, table stack, backups, SQL migrations (SQLite or PostgreSQL)")
