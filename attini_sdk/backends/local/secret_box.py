"""Secret environment parameters encrypted at rest: AES-256-GCM with a key only the owner can read.

The local state database keeps a secret parameter's value sealed, never in clear: no page of ``state.db`` (or
its write-ahead log) holds the text. The key is 32 random bytes in ``$ATTINI_HOME/secret.key``, created on
first use with mode 0600 (atomically: two processes starting at once agree on one key). Each value is sealed
with a fresh 96-bit nonce and bound to its row (``environment/key`` as associated data), so a sealed value
copied onto another parameter does not open::

    >>> import tempfile
    >>> box = SecretBox(tempfile.mkdtemp())
    >>> sealed = box.seal('"hunter2"', "dev/DbPassword")
    >>> sealed.startswith(PREFIX), "hunter2" in sealed
    (True, False)
    >>> box.open(sealed, "dev/DbPassword")
    '"hunter2"'

Whoever can read ``secret.key`` and ``state.db`` can read the secrets: the protection is against copies of the
database alone (backups, a support bundle, a disk image without the key) and against reading the file's pages.
Losing the key loses the stored secrets (set them again); it never loses anything else.
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

from attini_sdk.errors import BackendError

__all__ = ["SecretBox", "PREFIX", "KEY_FILE"]

#: how a sealed value starts in the ``environment_parameters.value`` column
PREFIX = "aes256gcm:"
KEY_FILE = "secret.key"
_KEY_BYTES = 32
_NONCE_BYTES = 12


class SecretBox:
    """Seals and opens text with the key of one ``$ATTINI_HOME`` (read or created on first use)."""

    def __init__(self, home: str | os.PathLike):
        self.key_path = Path(home) / KEY_FILE
        self._aead = None
        self._lock = threading.Lock()

    @staticmethod
    def sealed(stored: str) -> bool:
        """True if ``stored`` is a sealed value (not plain JSON)."""
        return isinstance(stored, str) and stored.startswith(PREFIX)

    def seal(self, text: str, context: str) -> str:
        """``text`` encrypted and bound to ``context`` (e.g. ``"dev/DbPassword"``), as printable text."""
        nonce = os.urandom(_NONCE_BYTES)
        data = self._cipher().encrypt(nonce, text.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.b64encode(nonce + data).decode("ascii")

    def open(self, stored: str, context: str) -> str:
        """The text ``stored`` was sealed from; :class:`BackendError` if the key does not open it."""
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(stored[len(PREFIX):], validate=True)
            return self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")).decode()
        except (InvalidTag, ValueError) as exc:
            raise BackendError(
                f"the secret parameter {context} cannot be decrypted with {self.key_path}",
                where=f"parameter {context}",
                hint=f"the key file was replaced or the value was copied from elsewhere: set the parameter again "
                     f"(env.parameters.set(KEY, VALUE, secret=True))",
                cli_hint="set the parameter again: attini environment param set KEY --secret -e ENV") from exc

    def _cipher(self):
        with self._lock:
            if self._aead is None:
                from cryptography.hazmat.primitives.ciphers.aead import AESGCM

                self._aead = AESGCM(self._key())
            return self._aead

    def _key(self) -> bytes:
        try:
            key = self.key_path.read_bytes()
        except FileNotFoundError:
            key = self._create_key()
        if len(key) != _KEY_BYTES:
            raise BackendError(f"{self.key_path} is not an attini secret key ({len(key)} bytes, not {_KEY_BYTES})",
                               where=str(self.key_path),
                               hint="restore the key file from a backup, or remove it and set every secret "
                                    "parameter again")
        return key

    def _create_key(self) -> bytes:
        """Write a new key owner-only; if another process won the race, use its key."""
        self.key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.key_path.with_name(f".{KEY_FILE}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, os.urandom(_KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, self.key_path)  # atomic: fails if a key appeared meanwhile
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
        return self.key_path.read_bytes()
