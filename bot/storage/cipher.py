"""Encryption at rest for the few fields staff or the dialogue must read back in clear (a ticket's
contact phone, a conversation's slots): Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key is `ZWBOT_DATA_KEY` (a Fernet key: 32 url-safe base64 bytes) or, when that is unset, a key
file created once in the state folder, readable only by its owner. A database file copied without
the key reveals none of these fields.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc1:"  # marks an encrypted value; values without it predate encryption and read as they are
KEY_FILE = "data.key"


class FieldCipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, text: str) -> str:
        """`text` encrypted, as text to store; "" stays "" (nothing to hide, and lists stay cheap)."""
        return PREFIX + self._fernet.encrypt(text.encode()).decode() if text else ""

    def decrypt(self, stored: str) -> str:
        """The clear text of a stored value; a value written before encryption is returned as it is.

        Raises ValueError when the value was encrypted with another key."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as error:
            raise ValueError("encrypted with another key (ZWBOT_DATA_KEY)") from error


def load_cipher(state_dir: Path) -> FieldCipher:
    """The cipher of this installation: `ZWBOT_DATA_KEY`, else `<state>/data.key` (made on first use)."""
    key = os.environ.get("ZWBOT_DATA_KEY", "").strip()
    if key:
        return FieldCipher(key.encode())
    path = state_dir / KEY_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
    return FieldCipher(path.read_bytes().strip())


def load_secret(state_dir: Path, name: str) -> bytes:
    """A random 32-byte secret of this installation, kept in `<state>/<name>.secret` (made once,
    readable only by its owner), for keys the operator did not set in the environment."""
    path = state_dir / f"{name}.secret"
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made before (or by another worker a moment ago)
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    secret = path.read_text().strip()
    if not secret:
        raise RuntimeError(f"{path} 为空：请删除该文件后重启，或设置相应的环境变量")
    return secret.encode()
