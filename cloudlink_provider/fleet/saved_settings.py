"""Whether the provider settings the last `up` saved in a stack's state are the stack file's.

`pulumi destroy` (without the program) configures the providers from the state's copy of the
stack config: the default provider's saved inputs. When the partner has since changed the
endpoint or the credentials in the stack file, that copy is stale, and destroy would call an
endpoint no file mentions. The fleet then refreshes with the program first (`refresh
--run-program` saves the file's settings) and destroys after (issue 15, point 3).

Destroy itself never runs the program: Pulumi's `destroy --run-program` does not record a delete
under way as a pending operation, so a run killed mid-delete would leave a state that names an
object CloudLink no longer has, and `fleet recover` could not see it (tests/e2e/test_recover.py).
"""

from __future__ import annotations

from typing import Any

from ..pulumi_facts import DEFAULT_PROVIDER
from .engine.gateway import Project
from .stacks import PROVIDER_KEYS, StackFile
from .state.secrets import Passphrase, passphrase_from


def stale(project: Project, name: str) -> bool:
    """True when the saved settings differ from the stack file's, or cannot be compared (then the
    refresh is the safe choice); False when they match or the state has no provider yet."""
    try:
        passphrase = passphrase_from(project.env)
        checkpoint = project.state.read(name)
        if checkpoint is None:
            return False
        saved = [r for r in checkpoint.resources if r.type == DEFAULT_PROVIDER and r.name == "default"]
        if not saved:
            return False
        now = StackFile(project.stacks_dir, name).provider_settings(passphrase)
        return _saved(saved[0].inputs, passphrase, checkpoint.salt) != now
    except Exception:  # noqa: BLE001 - anything unreadable: refresh first rather than guess
        return True


def _saved(inputs: dict[str, Any], passphrase: Passphrase, salt: str | None) -> dict[str, Any]:
    found = {key: inputs.get(key) for key in PROVIDER_KEYS if inputs.get(key) not in (None, "")}
    return {key: passphrase.reveal(salt, value) if salt else value for key, value in found.items()}
