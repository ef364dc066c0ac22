"""Pulumi's facts on the ground floor: URNs parsed one way, the project name read once from Pulumi.yaml."""

from __future__ import annotations

import pytest

from cloudlink_provider.pulumi_facts import (PROJECT, SECRET_MARK, UNKNOWN, is_secret, project_name, short_type,
                                             stack_urn, urn_name, urn_type)

GATEWAY = "urn:pulumi:acme::cloudlink-fleet::pulumi-python:dynamic/cloudlink:Gateway::gateway"


def test_urns_and_type_tokens():
    assert (urn_name(GATEWAY), urn_type(GATEWAY)) == ("gateway", "pulumi-python:dynamic/cloudlink:Gateway")
    assert short_type(urn_type(GATEWAY)) == "cloudlink:Gateway"
    assert urn_type("urn:pulumi:s::p::pulumi:pulumi:Stack$pulumi-python:dynamic/x:Y::n") == "pulumi-python:dynamic/x:Y"
    assert urn_type("not a urn") == ""
    assert stack_urn("acme", "cloudlink-fleet") == ("urn:pulumi:acme::cloudlink-fleet::pulumi:pulumi:Stack::"
                                                    "cloudlink-fleet-acme")


def test_the_unknown_is_the_sdks_own_and_secrets_are_recognised():
    from pulumi.runtime import rpc

    assert UNKNOWN is rpc.UNKNOWN
    assert is_secret({**SECRET_MARK, "ciphertext": "v1:..."}) and not is_secret({"ciphertext": "v1:..."})


def test_the_project_name_is_read_once_from_pulumi_yaml(tmp_path, monkeypatch):
    assert PROJECT == project_name() == "cloudlink-fleet"
    (tmp_path / "Pulumi.yaml").write_text("name: renamed\nruntime: python\n")
    assert project_name(tmp_path) == "renamed"
    (tmp_path / "Pulumi.yaml").write_text("name: changed-later\n")
    assert project_name(tmp_path) == "renamed"  # read once per directory
    with pytest.raises(RuntimeError, match="Pulumi.yaml"):
        project_name(tmp_path / "nowhere")
