"""fleet/saved_settings.py: when refresh and destroy must first save the stack file's provider settings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import yaml

from cloudlink_provider.fleet import saved_settings
from cloudlink_provider.fleet.state.checkpoint import Checkpoint, StateResource
from cloudlink_provider.fleet.state.secrets import Passphrase
from cloudlink_provider.pulumi_facts import DEFAULT_PROVIDER, SECRET_SIG, SIG_KEY, resource_urn

PHRASE = "unit-test-passphrase"
PASS = Passphrase(PHRASE)
SALT = PASS.new_state()


def project(tmp_path: Path, file_config: dict, saved: dict | None) -> SimpleNamespace:
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    (stacks / "Pulumi.acme.yaml").write_text(yaml.safe_dump({"encryptionsalt": SALT, "config": file_config}))
    resources = [] if saved is None else [
        StateResource(resource_urn("acme", "cloudlink-fleet", DEFAULT_PROVIDER, "default"), DEFAULT_PROVIDER,
                      "id-1", True, saved, saved)]
    checkpoint = Checkpoint("acme", "3.0.0", "passphrase", {"salt": SALT}, resources)
    return SimpleNamespace(env={"PULUMI_CONFIG_PASSPHRASE": PHRASE}, stacks_dir=stacks,
                           state=SimpleNamespace(read=lambda name: checkpoint))


def sealed_in_state(value: str) -> dict:
    import json
    return {SIG_KEY: SECRET_SIG, "ciphertext": PASS.encrypt(SALT, json.dumps(value))}


def settings(endpoint: str, secret: str) -> dict:
    return {"cloudlink:endpoint": endpoint, "cloudlink:clientId": "partner",
            "cloudlink:clientSecret": {"secure": PASS.encrypt(SALT, secret)}}


def test_the_same_settings_need_no_refresh_even_though_each_encryption_differs(tmp_path):
    saved = {"cloudlink:endpoint": "https://eu.example", "cloudlink:clientId": "partner",
             "cloudlink:clientSecret": sealed_in_state("s3cret")}
    assert saved_settings.stale(project(tmp_path, settings("https://eu.example", "s3cret"), saved), "acme") is False


def test_a_changed_endpoint_or_secret_needs_the_refresh_first(tmp_path):
    saved = {"cloudlink:endpoint": "https://old.example", "cloudlink:clientId": "partner",
             "cloudlink:clientSecret": sealed_in_state("s3cret")}
    assert saved_settings.stale(project(tmp_path, settings("https://eu.example", "s3cret"), saved), "acme") is True
    saved["cloudlink:endpoint"] = "https://eu.example"
    assert saved_settings.stale(project(tmp_path, settings("https://eu.example", "rotated"), saved), "acme") is True


def test_a_stack_never_deployed_needs_nothing_and_an_unreadable_file_is_refreshed_rather_than_guessed(tmp_path):
    assert saved_settings.stale(project(tmp_path, settings("https://eu.example", "x"), None), "acme") is False
    broken = project(tmp_path, settings("https://eu.example", "x"), {"cloudlink:endpoint": "https://eu.example"})
    (broken.stacks_dir / "Pulumi.acme.yaml").write_text("config: [unclosed")
    assert saved_settings.stale(broken, "acme") is True
