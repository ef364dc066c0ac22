"""Pulumi passphrase secrets in checkpoints, and the fleet-wide encryption salt.

The crypto itself lives on the ground floor (`cloudlink_provider.passphrase`), because the
program and the providers decrypt the fleet file's secret too. The format, as Pulumi's source defines it
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

import json
from pathlib import Path
from typing import Any

from ...passphrase import ITERATIONS, KEY_BYTES, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, SecretsError, derive_key
from ...passphrase import Passphrase as _Passphrase
from ...passphrase import passphrase_from as _phrase_from
from ...pulumi_facts import is_secret
from ..errors import FleetError
from ..stacks import StackFile, discover_stacks

__all__ = ["ITERATIONS", "KEY_BYTES", "FLEET_SALT_FILE", "PASSPHRASE_ENV", "KMS_PROVIDERS", "Passphrase", "SecretsError",
           "derive_key", "fleet_salt", "kms_provider", "passphrase_from"]

FLEET_SALT_FILE = ".fleet-encryptionsalt"  # in stacks/: the salt every fleet-written stack file carries


KMS_PROVIDERS = ("awskms", "azurekeyvault", "gcpkms", "hashivault")  # secrets providers only the engine opens


def kms_provider(secrets_provider: str | None) -> str | None:
    """The cloud KMS secrets provider (`awskms`, ...) a stack's `secretsprovider` URL names, else None."""
    scheme = secrets_provider.split("://", 1)[0] if secrets_provider else ""
    return scheme if scheme in KMS_PROVIDERS else None


class Passphrase(_Passphrase):
    """The ground floor's passphrase crypto, plus reading checkpoint secrets."""

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
    """The passphrase the engine would use (the ground floor's rule), or a FleetError saying what to set."""
    phrase = _phrase_from(env)
    if phrase is not None:
        return Passphrase(phrase)
    if env.get(PASSPHRASE_FILE_ENV):
        raise FleetError(f"{PASSPHRASE_FILE_ENV}: cannot read {env[PASSPHRASE_FILE_ENV]}")
    raise FleetError("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the scan decrypts the "
                     "stacks' secrets with it")
