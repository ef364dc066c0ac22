"""The client's public face: a curated, sorted `__all__` naming every public name it exports, and an
exception tree with one root."""

from __future__ import annotations

import types

import cloudlink_provider.client as cl


def test_all_is_sorted_complete_and_importable():
    assert cl.__all__ == sorted(cl.__all__)
    exported = {name for name, value in vars(cl).items() if not name.startswith("_")
                and not isinstance(value, types.ModuleType)}
    assert set(cl.__all__) == exported


def test_every_exception_the_client_exports_is_a_cloudlink_error():
    errors = [getattr(cl, n) for n in cl.__all__ if isinstance(getattr(cl, n), type)
              and issubclass(getattr(cl, n), BaseException)]
    assert {e.__name__ for e in errors} >= {"PbxConnectError", "PbxLinkFailed", "PbxConnectTimeout", "ApiError"}
    assert all(issubclass(e, cl.CloudLinkError) for e in errors)
    assert all(e.__module__ == "cloudlink_provider.client.errors" for e in errors)  # drawn in one module's tree


def test_paths_quote_ids_and_filters_quote_values():
    from cloudlink_provider.client._paths import path, where

    assert path("/accounts/{}/users/{}", "a 1/2", None) == "/accounts/a%201%2F2/users"
    assert path("/accounts/{}/users/{}", "a", "u") == "/accounts/a/users/u"
    assert where(name="O'Brien") == "name eq 'O''Brien'"
