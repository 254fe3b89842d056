"""Admission: an environment's signature policy, checked before anything is stored, and again on resume.

The artifact store is shared by every environment of a backend, and a signature is not part of an artifact's
content id: two copies of one id can carry different signatures (the genuine release signed by the trusted
key, a copy re-signed by anyone). So the store keeps the content once and every distinct *valid* signature
apart (:meth:`~attini_sdk.backends.local.artifacts.FileArtifactStore.add_signature`), and admission decides
per environment, from the signature the deployer brings and the ones already kept, which signature counts::

    artifact = admit(store, env_record, incoming)          # refuses before writing anything
    artifact.signature                                      # the signature this environment trusts (or None)
    artifact = admit(store, env_record, None, artifact_id=record.distribution_id)   # resume, promotion by id

The policy (``require_signature``, ``trusted_keys`` of the environment):

- neither set: anything is admitted;
- a signature this environment trusts, brought or kept, admits the artifact (promotion by id finds the one
  the target trusts, whichever copy was stored first);
- otherwise, with ``require_signature`` the artifact is refused; without it an unsigned artifact is admitted,
  but one that *brings* a signature nobody here trusts is refused (a wrong signature is never ignored).

A refused deployment leaves the store as it was: the check runs before the content or a signature is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from attini_sdk.errors import SignatureError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.backends.base import ArtifactStore
    from attini_sdk.backends.records import EnvironmentRecord

__all__ = ["admit", "choose_signature", "valid_signature", "stored_copy"]


def valid_signature(document: Mapping[str, Any] | None, artifact_id: str) -> bool:
    """True if ``document`` is a well-formed signature of ``artifact_id`` by the key it names (trusted or not).

    >>> from attini_sdk.artifacts.signing import generate_key, sign_id
    >>> aid = "sha256:" + "0" * 64
    >>> valid_signature(sign_id(aid, generate_key()), aid), valid_signature({"publicKey": "x"}, aid)
    (True, False)
    """
    if not isinstance(document, Mapping):
        return False  # an unsigned artifact: without loading the signing module
    import base64

    from attini_sdk.artifacts.signing import PublicKey, verify_document

    try:
        own = PublicKey(base64.b64decode(document["publicKey"], validate=True))
        verify_document(dict(document), artifact_id, [own])
        return True
    except (SignatureError, KeyError, TypeError, ValueError):
        return False


def choose_signature(environment: EnvironmentRecord, artifact_id: str, brought: Mapping[str, Any] | None,
                     kept: Sequence[Mapping[str, Any]] = (), *, where: str = "artifact") -> dict | None:
    """The signature ``environment`` accepts for ``artifact_id`` (None: admitted unsigned), from the one the
    deployer ``brought`` and those ``kept`` in the store; raises :class:`SignatureError` when refused."""
    candidates = [dict(d) for d in ([brought] if brought is not None else []) + list(kept)]
    keys = list(environment.trusted_keys)
    if not environment.require_signature and not keys:
        return candidates[0] if candidates else None
    from attini_sdk.artifacts.signing import verify_document  # only when a policy asks: not on every deploy

    refusal: SignatureError | None = None
    for doc in candidates:
        try:
            verify_document(doc, artifact_id, keys, where=where)
            return doc
        except SignatureError as exc:
            refusal = refusal or exc
    if brought is not None and refusal is not None:
        raise _refused(environment, refusal)
    if environment.require_signature:
        if refusal is not None:
            raise _refused(environment, refusal)
        raise SignatureError(f"the artifact is not signed, and environment '{environment.name}' requires a "
                             "signature", where=where,
                             hint="sign it with artifact.sign(key) (a key this environment trusts) and deploy it",
                             cli_hint="sign the zip with 'attini distribution sign ZIP --key KEY_FILE' and deploy "
                                      "the signed zip")
    return None


def _refused(environment: EnvironmentRecord, exc: SignatureError) -> SignatureError:
    return SignatureError(f"environment '{environment.name}' refuses it: {exc.what}", where=exc.where,
                          hint=exc.hint, cli_hint=getattr(exc, "cli_hint", None))


def admit(store: ArtifactStore, environment: EnvironmentRecord, artifact: Artifact | None, *,
          artifact_id: str | None = None) -> Artifact:
    """Check ``artifact`` against ``environment``'s policy, then store it; return the stored copy with the
    signature the environment accepts.

    ``artifact=None`` (with ``artifact_id``) admits an artifact already stored: resume and promotion by id,
    where only the kept signatures count. A refusal raises :class:`SignatureError` and writes nothing.
    """
    from attini_sdk.artifacts.artifact import Artifact

    artifact_id = artifact.id if artifact is not None else artifact_id
    brought = None
    if artifact is not None and not _is_stored_copy(store, artifact):
        brought = dict(artifact.signature) if artifact.signature is not None else None
    where = str(artifact.path) if artifact is not None else f"stored artifact {artifact_id}"
    kept: list[dict] = []
    opened = None
    if store.has(artifact_id):
        opened = Artifact.open(store.get(artifact_id), expected_id=artifact_id)
        # a copy stored before signatures were kept apart carries its signature inside
        inside = [dict(opened.signature)] if valid_signature(opened.signature, artifact_id) else []
        kept = store.signatures(artifact_id) + [d for d in inside if d not in store.signatures(artifact_id)]
    elif artifact is None:
        store.get(artifact_id)  # raises the NotFoundError
    chosen = choose_signature(environment, artifact_id, brought, kept, where=where)
    # admitted: now (and only now) the store changes
    if opened is None:
        opened = Artifact.open(store.put(artifact_id, artifact.path), expected_id=artifact_id)
    for doc in (brought, opened.signature):
        if doc is not None and valid_signature(doc, artifact_id):
            store.add_signature(artifact_id, doc)
    return attrs.evolve(opened, signature=chosen)


def stored_copy(store: ArtifactStore, environment: EnvironmentRecord, artifact_id: str) -> Artifact:
    """The stored artifact as ``environment`` sees it: with a kept signature it trusts (else the first valid
    one kept, or None). For reading; it admits nothing and never raises for the policy."""
    from attini_sdk.artifacts.artifact import Artifact

    opened = Artifact.open(store.get(artifact_id), expected_id=artifact_id)
    kept = store.signatures(artifact_id)
    if valid_signature(opened.signature, artifact_id) and dict(opened.signature) not in kept:
        kept.append(dict(opened.signature))
    try:
        chosen = choose_signature(environment, artifact_id, None, kept)
    except SignatureError:
        chosen = None
    if chosen is None and kept:
        chosen = kept[0]
    return attrs.evolve(opened, signature=chosen)


def _is_stored_copy(store: ArtifactStore, artifact: Artifact) -> bool:
    """True if ``artifact`` was opened from the store itself (it brings no signature of its own)."""
    try:
        return Path(artifact.path).resolve() == Path(store.path(artifact.id)).resolve()
    except (AttributeError, OSError):
        return False
