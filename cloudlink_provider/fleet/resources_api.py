"""ADAPTER, to be removed: the one module of fleet/ that reaches into `resources._base`.

The resources floor is getting a public API (`cloudlink_provider.resources`:
the provider base class, the refusal, credentials from config, the shared
client and a public way to configure a provider). Until it lands, every name
the fleet needs from resources' private module is taken here, and only here,
so the switch is this one file: import them from `..resources` and make
`configure` call the public configure instead of writing `provider._config`.
"""

from __future__ import annotations

from typing import Any

from ..resources._base import CloudLinkProvider, CloudLinkRefused, client_config, shared_client

__all__ = ["CloudLinkProvider", "CloudLinkRefused", "client_config", "configure", "shared_client"]


def configure(provider: CloudLinkProvider, config: Any) -> None:
    """Configure a provider from a stack's config (anything with `get(key)`) as the engine's `configure` does."""
    provider._config = client_config(config)  # ADAPTER: the private attribute `CloudLinkProvider.configure` sets
