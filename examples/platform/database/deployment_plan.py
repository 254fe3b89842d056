"""The database's deployment plan, in Python (evaluated at package time; the artifact carries the JSON).

Import the network's VpcId -> deploy the table stack -> back up the table and the SQLite file
(side by side) -> run the SQL migrations against the SQLite file.
"""

from attini_sdk.plan import Cfn, Plan, Runner, Task, dependency, deployment, env, fmt

network = dependency("network")
database_path = env.param("DatabasePath")

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

backup_sqlite = Runner(
    "BackupSqlite",
    commands=[
        'mkdir -p "$(dirname "$DATABASE_PATH")"',
        'if [ -f "$DATABASE_PATH" ]; then cp "$DATABASE_PATH" "$DATABASE_PATH.before-$ATTINI_DISTRIBUTION_VERSION"; fi',
    ],
    environment={"DATABASE_PATH": database_path},
    after=[database],
)

migrate = Runner(
    "Migrate",
    commands=['python3 scripts/migrate.py > "$ATTINI_OUTPUT"'],  # prints the schema version
    environment={"DATABASE_PATH": database_path},
    after=[backup_table, backup_sqlite],
    retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}],
)

plan = Plan(migrate, comment="database: network import, table stack, backups, SQL migrations")
