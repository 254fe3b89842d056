-- Items get a status; finding open items by status needs an index.
ALTER TABLE items ADD COLUMN status TEXT NOT NULL DEFAULT 'open';

CREATE INDEX items_by_status ON items (status);
