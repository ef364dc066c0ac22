"""stacks/fleet.yaml: its shape, its encrypted client secret, and where the engine's processes find it."""

from __future__ import annotations

import pytest

from cloudlink_provider import fleetfile
from cloudlink_provider.fleetfile import FleetFile, FleetFileError, project_provider_settings, stacks_dir_of
from cloudlink_provider.passphrase import Passphrase

PHRASE = "unit"


@pytest.fixture(scope="module")
def sealed():
    crypt = Passphrase(PHRASE)
    salt = crypt.new_state()
    return salt, crypt.encrypt(salt, "s3cret value")


def write(tmp_path, text: str) -> FleetFile:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "fleet.yaml").write_text(text)
    return FleetFile(tmp_path / "stacks")


def test_the_provider_block_decrypts_with_the_passphrase(tmp_path, sealed):
    salt, value = sealed
    file = write(tmp_path, f"encryptionsalt: {salt}\nprovider: {{endpoint: http://e, clientId: c, "
                           f"clientSecret: {{secure: '{value}'}}}}\n")
    assert file.provider_settings(Passphrase(PHRASE)) == {"cloudlink:endpoint": "http://e", "cloudlink:clientId": "c",
                                                          "cloudlink:clientSecret": "s3cret value"}
    with pytest.raises(FleetFileError, match=r"^stacks/fleet.yaml: provider.clientSecret cannot be decrypted: "
                                             r"incorrect passphrase"):
        file.provider_settings(Passphrase("wrong"))
    with pytest.raises(FleetFileError, match="set PULUMI_CONFIG_PASSPHRASE"):
        file.provider_settings(None)


def test_the_engines_processes_find_it_from_the_project_directory(tmp_path, sealed, monkeypatch):
    salt, value = sealed
    write(tmp_path, f"encryptionsalt: {salt}\nprovider: {{clientSecret: {{secure: '{value}'}}}}\n")
    assert stacks_dir_of(tmp_path) == tmp_path / "stacks"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fleetfile, "_PROCESS_SETTINGS", {})
    assert project_provider_settings(env={"PULUMI_CONFIG_PASSPHRASE": PHRASE}) == {
        "cloudlink:clientSecret": "s3cret value"}
    assert project_provider_settings(tmp_path / "elsewhere") == {}  # no fleet file: nothing


@pytest.mark.parametrize("text, says", [
    ("colour: red\n", "stacks/fleet.yaml: unknown key 'colour'"),
    ("- a\n", "expected a block of encryptionsalt, provider, defaults, profiles"),
    ("provider: {endpoint: x, region: eu}\n", "provider.region: unknown key"),
    ("provider: {clientSecret: plain}\n", "provider.clientSecret must be encrypted"),
    ("provider: {clientSecret: {secure: v1:x}}\n", None),  # shape fine; no salt is said when decrypting
    ("defaults: [1]\n", "defaults: expected a block of keys"),
    ("profiles: {gold: {labels: {}, spek: {}}}\n", "profiles.gold.spek: unknown key"),
    ("profiles: {gold: {spec: [1]}}\n", "profiles.gold.spec: expected a block"),
    ("profiles: {gold: {profiles: {a: 1}}}\n", "profiles.gold.profiles: expected a list of profile names"),
    ("profiles: [\n", "stacks/fleet.yaml: cannot read it"),
])
def test_a_bad_fleet_file_is_one_line_naming_it(tmp_path, text, says):
    file = write(tmp_path, text)
    if says is None:
        file.read()
        with pytest.raises(FleetFileError, match="has no encryptionsalt"):
            file.provider_settings(Passphrase(PHRASE))
        return
    with pytest.raises(FleetFileError) as e:
        file.read()
    assert says in str(e.value) and "\n" not in str(e.value)


def test_no_fleet_file_is_an_empty_fleet(tmp_path):
    content = FleetFile(tmp_path).read()
    assert content.fleet.defaults == {} and content.fleet.profiles == {} and content.provider == {}
