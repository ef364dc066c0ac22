"""file:// backend URLs: one parser for the engine environment and the lock cleanup, as the engine reads them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from cloudlink_provider.fleet.engine.env import fleet_env, pulumi_env
from cloudlink_provider.fleet.state.buckets import file_backend_dir


def test_a_file_url_is_percent_decoded_and_its_query_dropped(tmp_path):
    state = tmp_path / "my proj" / ".state"
    assert file_backend_dir(state.as_uri() + "?no_tmp_dir=true") == state
    assert file_backend_dir(state.as_uri()) == state
    assert file_backend_dir("file://~/state") == Path.home() / "state"
    assert file_backend_dir("postgres://u:p@db/state?sslmode=disable") is None
    assert file_backend_dir("s3://bucket/prefix") is None


def test_the_engine_environment_creates_the_decoded_directory(tmp_path):
    state = tmp_path / "my proj" / ".state"
    env = pulumi_env(tmp_path, backend_url=state.as_uri() + "?no_tmp_dir=true", base={})
    assert env["PULUMI_BACKEND_URL"] == state.as_uri() + "?no_tmp_dir=true"
    assert state.is_dir() and not (tmp_path / "my%20proj").exists()


def test_the_fleet_state_defaults_to_the_project_unless_a_backend_is_named(tmp_path):
    project = tmp_path / "my proj"
    assert fleet_env(project, base={})["PULUMI_BACKEND_URL"] == (project / ".state").as_uri()
    assert (project / ".state").is_dir()
    assert fleet_env(project, base={"PULUMI_BACKEND_URL": "s3://b/p"})["PULUMI_BACKEND_URL"] == "s3://b/p"
    assert fleet_env(project, "s3://x/y", base={"PULUMI_BACKEND_URL": "s3://b/p"})["PULUMI_BACKEND_URL"] == "s3://x/y"
    assert fleet_env(project, base={"PULUMI_BACKEND_URL": ""})["PULUMI_BACKEND_URL"] == (project / ".state").as_uri()


def test_locks_are_found_under_a_path_with_a_space_and_a_query(tmp_path):
    from cloudlink_provider.fleet.engine.gateway import Project

    project_dir = tmp_path / "my proj"
    project_dir.mkdir()
    (project_dir / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\n")
    project = Project(project_dir, (project_dir / ".state").as_uri() + "?no_tmp_dir=true")
    lock = project_dir / ".state" / ".pulumi" / "locks" / "organization" / "cloudlink-fleet" / "acme" / "l.json"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 4242, "hostname": socket.gethostname()}))
    from cloudlink_provider.fleet.state.locks import read_locks

    state = project.state
    assert [lk.key for lk in read_locks(state.bucket, state.layout(), "acme")] == [
        ".pulumi/locks/organization/cloudlink-fleet/acme/l.json"]
