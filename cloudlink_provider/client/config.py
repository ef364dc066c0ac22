"""Where CloudLink is: one base URL per service, all derived from one endpoint by default.

`endpoint` is either a template containing `{service}` (the real service:
`https://{service}.api.mitel.io/2017-09-01`, or a regional host) or a plain URL
under which every service lives at `/<service>/2017-09-01` (the emulator). Any
service's base URL can be overridden on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..wire import API_VERSION, SERVICES

MITEL_ENDPOINT = "https://{service}.api.mitel.io/" + API_VERSION


@dataclass(frozen=True)
class ClientConfig:
    endpoint: str
    client_id: str
    client_secret: str = field(repr=False)
    service_urls: dict[str, str] = field(default_factory=dict)
    app_name: str = "cloudlink-fleet"
    timeout_s: float = 30.0
    max_attempts: int = 6
    max_wait_s: float = 30.0

    def base_url(self, service: str) -> str:
        if service not in SERVICES:
            raise ValueError(f"unknown CloudLink service {service!r}")
        if service in self.service_urls:
            return self.service_urls[service].rstrip("/")
        if "{service}" in self.endpoint:
            return self.endpoint.format(service=service).rstrip("/")
        return f"{self.endpoint.rstrip('/')}/{service}/{API_VERSION}"
