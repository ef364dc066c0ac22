"""Pulumi's passphrase secrets manager, the crypto only: open and seal `secure:` values. No file I/O.

A ground floor (it imports nothing of the project) because three floors need the
same format: the fleet wing (stack files, checkpoints), the Pulumi program and the
dynamic providers (the fleet file's `secure:` client secret, decrypted in the
engine's own processes so plain `pulumi up` works). The format, as Pulumi's source
defines it (`pkg/secrets/passphrase/manager.go`, `sdk/go/common/resource/config/crypt.go`):
a state (a stack file's `encryptionsalt`, a checkpoint's `secrets_providers.state.salt`)
is `v1:<base64 8-byte salt>:v1:<nonce>:<ciphertext of "pulumi">`; the key is
PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes); each value is
`v1:<base64 12-byte nonce>:<base64 AES-256-GCM ciphertext+tag>`.

`Passphrase` derives each distinct salt's key at most once per process (PBKDF2
is the expensive part: about 0.5 CPU-seconds a key). Plaintext never leaves the
caller; nothing here logs or prints a value.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ITERATIONS = 1_000_000
KEY_BYTES = 32
PASSPHRASE_ENV, PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"


class SecretsError(Exception):
    """Wrong passphrase, or a value this manager did not encrypt."""


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as e:
        raise SecretsError(f"not a passphrase-encrypted value ({e})") from None


def _open(key: bytes, value: str) -> str:
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 3 or parts[0] != "v1":
        raise SecretsError("not a passphrase-encrypted value (expected v1:<nonce>:<ciphertext>)")
    nonce, ciphertext = _b64(parts[1]), _b64(parts[2])
    if len(nonce) != 12:
        raise SecretsError("bad value: the nonce is not 12 bytes")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, None).decode()
    except InvalidTag:
        raise SecretsError("the passphrase does not decrypt this value") from None


def _seal(key: bytes, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"


def derive_key(passphrase: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, ITERATIONS, KEY_BYTES)


class Passphrase:
    """One passphrase, any number of salts: `decrypt(state, value)`; keys derived once per salt."""

    def __init__(self, passphrase: str):
        self._passphrase = passphrase
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.derivations = 0  # how many keys were derived (the benchmark prints it)

    def key(self, state: str) -> bytes:
        with self._lock:  # one derivation per salt even when many stacks ask at once
            if state not in self._keys:
                parts = state.split(":", 2) if isinstance(state, str) else []
                if len(parts) != 3 or parts[0] != "v1":
                    raise SecretsError("the encryption salt is not a passphrase secrets manager state "
                                       "(v1:<salt>:<check>)")
                key = derive_key(self._passphrase, _b64(parts[1]))
                self.derivations += 1
                try:
                    check = _open(key, parts[2])
                except SecretsError:
                    check = None
                if check != "pulumi":
                    raise SecretsError("incorrect passphrase (PULUMI_CONFIG_PASSPHRASE) for this stack's "
                                       "encryption salt")
                self._keys[state] = key
            return self._keys[state]

    def decrypt(self, state: str, value: str) -> str:
        """A stack config `secure:` value (or a checkpoint ciphertext) -> its plaintext."""
        return _open(self.key(state), value)

    def new_state(self) -> str:
        """A fresh salt with its check value, exactly as `pulumi stack init --secrets-provider passphrase`."""
        salt = os.urandom(8)
        key = derive_key(self._passphrase, salt)
        return f"v1:{base64.b64encode(salt).decode()}:{_seal(key, 'pulumi')}"

    def encrypt(self, state: str, plaintext: str) -> str:
        return _seal(self.key(state), plaintext)


def passphrase_from(env: Mapping[str, str]) -> str | None:
    """The passphrase the engine uses: `PULUMI_CONFIG_PASSPHRASE`, else the file `PULUMI_CONFIG_PASSPHRASE_FILE`."""
    if env.get(PASSPHRASE_ENV) is not None:
        return env[PASSPHRASE_ENV]
    if env.get(PASSPHRASE_FILE_ENV):
        try:
            return Path(env[PASSPHRASE_FILE_ENV]).read_text().rstrip("\n")
        except OSError:
            return None
    return None
