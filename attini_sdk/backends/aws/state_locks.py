"""The deployment lock in DynamoDB after it is taken: heartbeat, release, park, claim, explicit recovery.

A lock is one item, ``LOCK#<env>#<distribution>``, changed only by conditional writes on its ``owner`` token.
Its ``expires_at`` (epoch seconds) is the table's TTL attribute: DynamoDB eventually deletes a lock whose
holder stopped heartbeating. Until then it is reported as stale, never silently taken over (as locally).
"""

from __future__ import annotations

import secrets

from attini_sdk.backends.aws import items as it
from attini_sdk.backends.aws.state_core import Cancelled, DynamoCore
from attini_sdk.backends.local import locking
from attini_sdk.backends.records import ACTIVE_STATUSES, DeploymentRecord, Lock
from attini_sdk.errors import ConflictError, LockError

__all__ = ["LockOps"]


class LockOps(DynamoCore):
    """Heartbeat, release, park and claim locks; find stale ones; recover them only when asked."""

    def get_lock(self, environment: str, distribution: str) -> Lock | None:
        """The lock on (environment, distribution), or None when nobody deploys it."""
        item = self._get(it.lock_key(environment, distribution))
        return None if item is None else it.lock_from_item(item)

    def list_locks(self, environment: str | None = None) -> list[Lock]:
        """Every lock held, in one environment or all (one read per distribution ever deployed)."""
        names = [environment] if environment else self._environment_names()
        keys = [it.lock_key(name, p["distribution"]) for name in names for p in self._distributions(name)]
        return [it.lock_from_item(item) for item in self._batch_get(keys)]

    def lock_stale_reason(self, lock: Lock) -> str | None:
        """Why ``lock`` looks abandoned (expired heartbeat, dead holder on this host), or None."""
        return locking.stale_reason(lock, self._now())

    def heartbeat(self, lock: Lock, *, ttl: float = locking.DEFAULT_LOCK_TTL) -> Lock:
        """Extend ``lock`` by ``ttl`` seconds; :class:`LockError` if it is no longer ours."""
        now = self._now()
        expires = now + int(ttl * 1_000_000)
        new = self._update(it.lock_key(lock.environment, lock.distribution),
                           "SET heartbeat_at = :now, expires_us = :exp, expires_at = :ttl",
                           {":now": now, ":exp": expires, ":ttl": -(-expires // 1_000_000), ":owner": lock.owner},
                           condition="#owner = :owner", names={"#owner": "owner"})
        if new is None:
            raise _lost(lock)
        return it.lock_from_item(new)

    def release(self, lock: Lock) -> bool:
        """Give ``lock`` up; False if it was not ours any more."""
        return self._delete(it.lock_key(lock.environment, lock.distribution), "#owner = :owner",
                            {":owner": lock.owner}, names={"#owner": "owner"}) is not None

    def park_lock(self, lock: Lock) -> Lock:
        """Detach ``lock`` from its process while its deployment waits for an approval: it never expires and
        only its own deployment can claim it again."""
        new = self._update(it.lock_key(lock.environment, lock.distribution),
                           "SET heartbeat_at = :now REMOVE #pid, #host, expires_us, expires_at",
                           {":now": self._now(), ":owner": lock.owner}, condition="#owner = :owner",
                           names={"#owner": "owner", "#pid": "pid", "#host": "host"})
        if new is None:
            raise _lost(lock)
        return it.lock_from_item(new)

    def claim_lock(self, deployment_id: str, *, ttl: float = locking.DEFAULT_LOCK_TTL,
                   wait_for_lock: float = 0.0) -> Lock:
        """Take the lock for an existing, unfinished deployment (continue after approval, resume)."""
        return self._with_lock_wait(wait_for_lock, lambda: self._retrying(lambda: self._claim(deployment_id, ttl)))

    def _claim(self, deployment_id: str, ttl: float) -> Lock:
        import os

        d = self._deployment(deployment_id)
        if d.finished:
            raise ConflictError(f"deployment {d.distribution} revision {d.revision} already {d.status}",
                                where=f"environment '{d.environment}', deployment {d.id}",
                                hint="start a new deployment instead")
        key = it.lock_key(d.environment, d.distribution)
        item = self._get(key)
        condition = "attribute_not_exists(PK)"
        values = {}
        if item is not None:
            held = it.lock_from_item(item)
            stale = locking.stale_reason(held, self._now())
            if held.deployment_id != deployment_id or not (held.parked or stale):
                raise locking.lock_held_error(held, stale)
            condition, values = "#owner = :owner", {":owner": held.owner}
        now = self._now()
        lock = Lock(d.environment, d.distribution, owner=secrets.token_hex(8), pid=os.getpid(),
                    host=locking.this_host(), acquired_at=it.to_datetime(now), heartbeat_at=it.to_datetime(now),
                    expires_at=it.to_datetime(now + int(ttl * 1_000_000)), deployment_id=deployment_id)
        operation = {"Item": it.lock_item(lock), "ConditionExpression": condition}
        if values:
            operation.update(ExpressionAttributeValues=values, ExpressionAttributeNames={"#owner": "owner"})
        self._transact([{"Put": operation}])
        return lock

    def unlock(self, environment: str, distribution: str, *, force: bool = False) -> Lock | None:
        """Recover the lock on (environment, distribution); returns the lock removed (None if none was held).

        Without ``force`` only a stale lock goes; the lock's deployment, if still in progress, becomes
        ``interrupted`` in the same transaction.
        """
        def attempt() -> Lock | None:
            item = self._get(it.lock_key(environment, distribution))
            if item is None:
                return None
            held = it.lock_from_item(item)
            reason = locking.stale_reason(held, self._now())
            if reason is None and not force:
                raise locking.lock_held_error(
                    held, None, hint="its holder looks alive; pass force=True only if you are sure it is gone",
                    cli_hint="its holder looks alive; add --force only if you are sure it is gone")
            operations = [{"Delete": {"Key": it.lock_key(environment, distribution),
                                      "ConditionExpression": "#owner = :owner",
                                      "ExpressionAttributeNames": {"#owner": "owner"},
                                      "ExpressionAttributeValues": {":owner": held.owner}}}]
            if held.deployment_id:
                interrupt = self._interrupt_operation(held.deployment_id, reason or "its lock was removed with force")
                if interrupt:
                    operations.append(interrupt)
            self._transact(operations)
            return held

        return self._retrying(attempt)

    def mark_interrupted(self, environment: str | None = None) -> list[DeploymentRecord]:
        """Mark in-progress deployments whose deployer is gone ``interrupted``; returns them (see the SQLite
        store: a stale lock, or a pending/running deployment without its lock)."""
        names = [environment] if environment else self._environment_names()
        marked = []
        for name in names:
            pointers = self._distributions(name)
            last = self._deployments(p["last_id"] for p in pointers if p.get("last_id"))
            for d in last.values():
                if d.status not in ACTIVE_STATUSES:
                    continue
                held = self.get_lock(d.environment, d.distribution)
                if held is not None and held.deployment_id == d.id:
                    why = locking.stale_reason(held, self._now())
                else:
                    why = "it holds no lock" if d.status != "waiting_approval" else None
                if why:
                    operation = self._interrupt_operation(d.id, why)
                    if operation:
                        try:
                            self._transact([operation])
                            marked.append(d.id)
                        except Cancelled:
                            pass  # it moved on meanwhile
        return [self._deployment(i) for i in marked]

    def _interrupt_operation(self, deployment_id: str, why: str) -> dict | None:
        d = self._deployment(deployment_id)
        if d.status not in ACTIVE_STATUSES:
            return None
        return {"Update": {"Key": it.deployment_key(deployment_id),
                           "UpdateExpression": "SET #status = :interrupted, #error = :error, #cause = :cause",
                           "ConditionExpression": "#status = :old",
                           "ExpressionAttributeNames": {"#status": "status", "#error": "error", "#cause": "cause"},
                           "ExpressionAttributeValues": {":interrupted": "interrupted", ":error": "Interrupted",
                                                         ":cause": f"its deployer stopped: {why}", ":old": d.status}}}


def _lost(lock: Lock) -> LockError:
    return LockError(f"the lock on '{lock.distribution}' in '{lock.environment}' is no longer held by this "
                     "deployment", where=f"deployment {lock.deployment_id}",
                     hint="someone recovered it with `attini deploy unlock`; resume the deployment to take it back")
