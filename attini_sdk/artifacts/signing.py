"""Ed25519 signatures over distribution ids.

A signature is ``attini_data/signature.json`` inside the artifact. It signs the distribution id
(the digest of the manifest, which covers every file), so adding it does not change the id::

    >>> key = generate_key()
    >>> doc = sign_id("sha256:" + "0" * 64, key)
    >>> verify_document(doc, "sha256:" + "0" * 64, [key.public_key]) == key.public_key
    True

Keys are stored as PEM files (PKCS#8 private keys, SubjectPublicKeyInfo public keys), the format
``openssl genpkey -algorithm ed25519`` writes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union

import attrs

from attini_sdk.errors import SignatureError

__all__ = ["SigningKey", "PublicKey", "generate_key", "sign_id", "verify_document", "load_public_keys",
           "SIGNATURE_CONTEXT"]

SIGNATURE_CONTEXT = b"attini_sdk distribution id v1\n"
_ALGORITHM = "ed25519"


def _message(distribution_id: str) -> bytes:
    return SIGNATURE_CONTEXT + distribution_id.encode("ascii")


@attrs.frozen
class PublicKey:
    """An ed25519 public key that artifacts can be checked against.

    >>> generate_key().public_key.key_id.startswith("ed25519:")
    True
    """

    raw: bytes = attrs.field(repr=False)

    @property
    def key_id(self) -> str:
        """A short fingerprint: ``ed25519:`` + the first 16 hex digits of sha256(raw key)."""
        return "ed25519:" + hashlib.sha256(self.raw).hexdigest()[:16]

    def to_pem(self) -> bytes:
        """The key as a PEM ``PUBLIC KEY`` block."""
        from cryptography.hazmat.primitives import serialization

        return self._key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def _key(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(self.raw)

    def verify(self, signature: bytes, distribution_id: str) -> bool:
        """Whether ``signature`` is this key's signature of ``distribution_id``."""
        from cryptography.exceptions import InvalidSignature

        try:
            self._key().verify(signature, _message(distribution_id))
            return True
        except InvalidSignature:
            return False

    @classmethod
    def from_pem(cls, data: bytes | str, *, where: str = "public key") -> PublicKey:
        """Read a PEM public key (or the public half of a PEM private key)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

        data = data.encode() if isinstance(data, str) else data
        try:
            if b"PRIVATE KEY" in data:
                key = serialization.load_pem_private_key(data, password=None)
                if isinstance(key, Ed25519PrivateKey):
                    key = key.public_key()
            else:
                key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as err:
            raise SignatureError(f"not a PEM key: {err}", where=where,
                                 hint="use a key file written by 'attini key generate'") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureError(f"not an ed25519 key ({type(key).__name__})", where=where,
                                 hint="generate one with 'attini key generate'")
        return cls(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    @classmethod
    def load(cls, path: str | os.PathLike) -> PublicKey:
        """Read a PEM key file."""
        return cls.from_pem(_read(path), where=str(path))


@attrs.frozen
class SigningKey:
    """An ed25519 private key. Keep it secret; give people :attr:`public_key`.

    >>> key = generate_key()
    >>> SigningKey.from_pem(key.to_pem()).public_key == key.public_key
    True
    """

    raw: bytes = attrs.field(repr=False)

    @property
    def public_key(self) -> PublicKey:
        from cryptography.hazmat.primitives import serialization

        public = self._key().public_key()
        return PublicKey(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    def _key(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.raw)

    def sign(self, distribution_id: str) -> bytes:
        """The 64-byte signature of ``distribution_id``."""
        return self._key().sign(_message(distribution_id))

    def to_pem(self) -> bytes:
        """The key as an unencrypted PKCS#8 PEM block."""
        from cryptography.hazmat.primitives import serialization

        return self._key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())

    def save(self, path: str | os.PathLike) -> Path:
        """Write the private key (mode 0600) at ``path`` and its public key at ``path`` + ``.pub``."""
        path = Path(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.to_pem())
        Path(f"{path}.pub").write_bytes(self.public_key.to_pem())
        return path

    @classmethod
    def from_pem(cls, data: bytes | str, *, where: str = "private key") -> SigningKey:
        """Read an unencrypted PEM ed25519 private key."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        data = data.encode() if isinstance(data, str) else data
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as err:
            raise SignatureError(f"not an unencrypted PEM private key: {err}", where=where,
                                 hint="use a key file written by 'attini key generate'") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SignatureError(f"not an ed25519 key ({type(key).__name__})", where=where,
                                 hint="generate one with 'attini key generate'")
        return cls(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption()))

    @classmethod
    def load(cls, path: str | os.PathLike) -> SigningKey:
        """Read a PEM private key file."""
        return cls.from_pem(_read(path), where=str(path))


def _read(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise SignatureError(f"cannot read key file: {err.strerror}", where=str(path),
                             hint="check the path") from None


def generate_key() -> SigningKey:
    """A new random ed25519 signing key.

    >>> len(generate_key().raw)
    32
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    return SigningKey(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption()))


KeyLike = Union[PublicKey, SigningKey, str, bytes, os.PathLike]


def load_public_keys(keys: Iterable[KeyLike]) -> list[PublicKey]:
    """Public keys from keys, signing keys, PEM text/bytes or paths of PEM files.

    >>> key = generate_key()
    >>> load_public_keys([key, key.public_key.to_pem()]) == [key.public_key, key.public_key]
    True
    """
    out = []
    for key in keys:
        if isinstance(key, PublicKey):
            out.append(key)
        elif isinstance(key, SigningKey):
            out.append(key.public_key)
        elif isinstance(key, (bytes, str)) and "-----BEGIN" in (key if isinstance(key, str) else key.decode("latin-1")):
            out.append(PublicKey.from_pem(key))
        else:
            out.append(PublicKey.load(key))
    return out


def sign_id(distribution_id: str, key: SigningKey) -> dict[str, Any]:
    """The signature document for ``distribution_id`` (the content of ``signature.json``)."""
    return {
        "schemaVersion": 1,
        "algorithm": _ALGORITHM,
        "distributionId": distribution_id,
        "keyId": key.public_key.key_id,
        "publicKey": base64.b64encode(key.public_key.raw).decode("ascii"),
        "signature": base64.b64encode(key.sign(distribution_id)).decode("ascii"),
    }


def parse_document(data: bytes, *, where: str) -> dict[str, Any]:
    """Parse and shape-check a ``signature.json``."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SignatureError("signature.json is not valid JSON", where=where,
                             hint="sign the artifact again") from None
    keys = ("schemaVersion", "algorithm", "distributionId", "keyId", "publicKey", "signature")
    if not isinstance(doc, dict) or any(k not in doc for k in keys) or doc["algorithm"] != _ALGORITHM:
        raise SignatureError("signature.json is not an attini ed25519 signature", where=where,
                             hint="sign the artifact again")
    return doc


def verify_document(doc: dict[str, Any], distribution_id: str, trusted: Iterable[KeyLike],
                    *, where: str = "signature.json") -> PublicKey:
    """Check a signature document against the artifact's id and the trusted keys.

    Returns the trusted key that made it; raises :class:`SignatureError` otherwise.
    """
    if doc.get("distributionId") != distribution_id:
        raise SignatureError(f"the signature is for {doc.get('distributionId')}, not for this artifact "
                             f"({distribution_id})", where=where, hint="sign this artifact again")
    try:
        public = PublicKey(base64.b64decode(doc["publicKey"], validate=True))
        signature = base64.b64decode(doc["signature"], validate=True)
        public._key()
    except (ValueError, TypeError):
        raise SignatureError("the signature's key or value is not valid base64 ed25519 data", where=where,
                             hint="sign the artifact again") from None
    keys = load_public_keys(trusted)
    if public not in keys:
        raise SignatureError(f"signed by key {public.key_id}, which is not a trusted key", where=where,
                             hint=f"trust that key's public key file, or sign with one of: "
                                  f"{', '.join(k.key_id for k in keys) or '(no keys given)'}")
    if not public.verify(signature, distribution_id):
        raise SignatureError(f"the signature of key {public.key_id} does not match the distribution id",
                             where=where, hint="the artifact or its signature was changed; sign it again")
    return public
