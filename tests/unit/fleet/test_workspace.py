"""The project's view of its stack files: which config keys are secrets (read, never decrypted)."""

from __future__ import annotations

from cloudlink_provider.fleet.workspace import Project


def test_secret_keys_come_from_the_stack_file(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.acme.yaml").write_text(
        "config:\n  cloudlink:clientId: partner\n  cloudlink:clientSecret:\n    secure: v1:abc\n"
        "  cloudlink-fleet:pbxPassword:\n    secure: v1:def\n")
    project = Project(tmp_path, (tmp_path / ".state").as_uri())
    assert project.secret_keys("acme") == {"cloudlink:clientSecret", "cloudlink-fleet:pbxPassword"}
    assert project.secret_keys("missing") == set()
