"""Pulumi passphrase secrets, decrypted in-process, and the fleet-wide encryption salt.

Owns the passphrase secrets manager's format, as Pulumi's source defines it
(`pkg/secrets/passphrase/manager.go`, `sdk/go/common/resource/config/crypt.go`):
the state (the stack file's `encryptionsalt`, the checkpoint's
`secrets_providers.state.salt`) is `v1:<base64 8-byte salt>:v1:<nonce>:<ciphertext of "pulumi">`;
the key is PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes);
each value is `v1:<base64 12-byte nonce>:<base64 AES-256-GCM ciphertext+tag>`. In a
checkpoint a secret property is `{SIG_KEY: SECRET_SIG, "ciphertext": <value>}` whose
plaintext is the JSON of the property value.

`Passphrase` derives each distinct salt's key at most once per process (PBKDF2
is the expensive part: about 0.5 CPU-seconds a key), so a fleet whose stacks
share one salt pays once. `fleet_salt()` is that shared salt: the fleet tools
write it into new and imported stack files (see the README, "Secrets", for why
one salt per fleet is as safe as one per stack when one passphrase opens them all).
Plaintext never leaves the caller; nothing here logs or prints a value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ...pulumi_facts import is_secret
from ..errors import FleetError
from ..stacks import StackFile, discover_stacks

ITERATIONS = 1_000_000
KEY_BYTES = 32
FLEET_SALT_FILE = ".fleet-encryptionsalt"  # in stacks/: the salt every fleet-written stack file carries


KMS_PROVIDERS = ("awskms", "azurekeyvault", "gcpkms", "hashivault")  # secrets providers only the engine opens


def kms_provider(secrets_provider: str | None) -> str | None:
    """The cloud KMS secrets provider (`awskms`, ...) a stack's `secretsprovider` URL names, else None."""
    scheme = secrets_provider.split("://", 1)[0] if secrets_provider else ""
    return scheme if scheme in KMS_PROVIDERS else None

class SecretsError(Exception):
    """Wrong passphrase, or a value this manager did not encrypt."""


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as e:
        raise SecretsError(f"not a passphrase-encrypted value ({e})") from None


def _open(key: bytes, value: str) -> str:
    parts = value.split(":")
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
                parts = state.split(":", 2)
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

    def reveal(self, state: str, value: Any) -> Any:
        """A checkpoint property value with every secret replaced by its (JSON-decoded) plaintext."""
        if isinstance(value, dict):
            if is_secret(value):
                if "ciphertext" in value:
                    return json.loads(self.decrypt(state, value["ciphertext"]))
                return self.reveal(state, value.get("plaintext") and json.loads(value["plaintext"]))
            return {k: self.reveal(state, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.reveal(state, v) for v in value]
        return value

    def new_state(self) -> str:
        """A fresh salt with its check value, exactly as `pulumi stack init --secrets-provider passphrase`."""
        salt = os.urandom(8)
        key = derive_key(self._passphrase, salt)
        return f"v1:{base64.b64encode(salt).decode()}:{_seal(key, 'pulumi')}"

    def encrypt(self, state: str, plaintext: str) -> str:
        return _seal(self.key(state), plaintext)


def fleet_salt(stacks_dir: Path, passphrase: Passphrase) -> str:
    """The fleet's shared encryption salt (`stacks/.fleet-encryptionsalt`), created on first use.

    A new fleet takes the salt of an existing stack file if there is one (so the
    committed stacks and the new ones share it), else a fresh one.
    """
    path = stacks_dir / FLEET_SALT_FILE
    if path.is_file():
        return path.read_text().strip()
    state = None
    for name in discover_stacks(stacks_dir):
        try:
            state = StackFile(stacks_dir, name).salt()
            if state:
                passphrase.key(state)  # only a salt this passphrase opens
                break
        except SecretsError:
            state = None
    state = state or passphrase.new_state()
    stacks_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(state + "\n")
    return state


def passphrase_from(env: dict[str, str]) -> Passphrase:
    """The passphrase the engine would use: PULUMI_CONFIG_PASSPHRASE, else PULUMI_CONFIG_PASSPHRASE_FILE."""
    if env.get("PULUMI_CONFIG_PASSPHRASE") is not None:
        return Passphrase(env["PULUMI_CONFIG_PASSPHRASE"])
    if env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        try:
            return Passphrase(Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text().rstrip("\n"))
        except OSError as e:
            raise FleetError(f"PULUMI_CONFIG_PASSPHRASE_FILE: {e.strerror}") from None
    raise FleetError("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the scan decrypts the "
                     "stacks' secrets with it")
