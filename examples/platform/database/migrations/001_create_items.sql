-- The items every environment stores; ids are text so they match the DynamoDB key.
-- Plain SQL that SQLite and PostgreSQL both run (see the README: "SQL both databases run").
CREATE TABLE items (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
