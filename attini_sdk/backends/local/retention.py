"""Which artifacts the local backend may delete, by each environment's retention rules.

Artifacts are shared by every local environment (one ``$ATTINI_HOME/artifacts``), so an artifact may go only
when *no* environment still wants it. Within one (environment, distribution) a deployment keeps its artifact
when any of these hold (Attini's rules plus ours):

- cleanup is disabled in that environment (``keep_versions == 0`` and ``keep_days == 0``);
- it is the current deployment (the last succeeded one);
- it is among the last ``keep_versions`` successful deployments, or the last ``keep_versions`` at all;
- it started within the last ``keep_days`` days;
- it has not finished (pending, running, waiting for approval, interrupted: resume needs it).
"""

from __future__ import annotations

import sqlite3

__all__ = ["expired_artifact_ids"]

_DAY_US = 86_400 * 1_000_000

_RANKED = """
WITH ranked AS (
    SELECT d.artifact, d.status, d.started_at, e.keep_versions, e.keep_days,
           ROW_NUMBER() OVER newest AS nth,
           SUM(d.status = 'succeeded') OVER newest AS nth_succeeded
    FROM environments e
    JOIN deployments d ON d.environment = e.name {scope}
    WINDOW newest AS (PARTITION BY d.environment, d.distribution ORDER BY d.revision DESC)
), kept AS (
    SELECT artifact,
              (keep_versions = 0 AND keep_days = 0)
           OR status IN ('pending', 'running', 'waiting_approval', 'interrupted')
           OR (status = 'succeeded' AND nth_succeeded <= MAX(keep_versions, 1))
           OR nth <= keep_versions
           OR started_at >= :now - keep_days * :day AS keep
    FROM ranked
)
SELECT a.distribution_id FROM kept JOIN artifacts a ON a.key = kept.artifact
GROUP BY kept.artifact
HAVING MAX(kept.keep) = 0
ORDER BY a.distribution_id
"""


def expired_artifact_ids(conn: sqlite3.Connection, now_us: int, distribution: str | None = None) -> list[str]:
    """Artifact ids no environment keeps any more, optionally only those of one distribution.

    An artifact belongs to exactly one distribution (its id digests the manifest, which names it), so
    scoping by distribution looks at every environment's deployments of that distribution and no more.
    """
    scope = "AND d.distribution = :distribution" if distribution is not None else ""
    rows = conn.execute(_RANKED.format(scope=scope),
                        {"now": now_us, "day": _DAY_US, "distribution": distribution}).fetchall()
    return [artifact_id for (artifact_id,) in rows]
