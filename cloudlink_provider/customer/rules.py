"""Customer-planning rules: what a partner may plan for one customer, beyond what the API itself enforces.

The capacity table and the Mitel Assistant readiness advisories from Mitel's
deployment guide [brief], the gateway/PBX pairing table (which PBX each gateway
kind can run beside, and the limits that come with it, each with its source),
and the spec's names for the API's enumerations. Each
spec name is derived from its API enum value (`MX_ONE` -> `mx-one`), so the two
spellings cannot drift apart. API facts themselves (enums, role per PBX type,
role-holder limit) live in `cloudlink_provider.wire`; the emulator never imports
this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..wire import CLOUDLINK_APPLICATIONS, GATEWAY_TYPES, PBX_TYPES, TEAMS_MODES, role_allowed


def spec_name(api_value: str) -> str:
    """The customer spec's kebab-case name for an API enum value: `EMBEDDED_SMBC` -> `embedded-smbc`."""
    return api_value.lower().replace("_", "-")


@dataclass(frozen=True)
class PbxModel:
    api_type: str  # the API's enum value (wire.PBX_TYPES)
    title: str
    max_users: int  # [brief] capacity table
    max_bhcc: int

    @property
    def role(self) -> str | None:
        """The CloudLink role PBX users may hold on this PBX [brief] (a wire fact)."""
        return role_allowed(self.api_type)


_PBX_TABLE = (  # [brief] capacity per PBX: planned onboarded users, busy-hour call completions
    PbxModel("MIVOICE_OFFICE_400", "MiVoice Office 400", 800, 4200),
    PbxModel("MIVOICE_5000", "MiVoice 5000", 5000, 16000),
    PbxModel("MX_ONE", "MiVoice MX-ONE", 5000, 15000),
    PbxModel("MIVOICE_BUSINESS", "MiVoice Business", 2500, 12000),
)
assert tuple(m.api_type for m in _PBX_TABLE) == PBX_TYPES, "the capacity table covers every API PBX type"

# Keyed by the spec's name; the reverse maps turn API answers back into spec names.
PBX_MODELS: dict[str, PbxModel] = {spec_name(m.api_type): m for m in _PBX_TABLE}
PBX_KINDS_BY_API = {m.api_type: kind for kind, m in PBX_MODELS.items()}
GATEWAY_KINDS: dict[str, str] = {spec_name(t): t for t in GATEWAY_TYPES}  # spec name -> API enum
GATEWAY_KINDS_BY_API = {v: k for k, v in GATEWAY_KINDS.items()}
TEAMS_MODE_KINDS: dict[str, str] = {spec_name(m): m for m in TEAMS_MODES}
TEAMS_MODE_KINDS_BY_API = {v: k for k, v in TEAMS_MODE_KINDS.items()}
APPLICATION_KINDS: dict[str, str] = {spec_name(a): a for a in CLOUDLINK_APPLICATIONS}
APPLICATION_KINDS_BY_API = {v: k for k, v in APPLICATION_KINDS.items()}



@dataclass(frozen=True)
class Pairing:
    """Which PBX platforms a gateway deployment kind can run beside, and the limits that come with it."""
    gateway: str  # the API's gateway type (wire.GATEWAY_TYPES)
    title: str  # in words, for messages
    pbx_types: tuple[str, ...]  # the API PBX types it can serve
    source: str  # where the rule comes from: "[doc] ..." or "ours"
    max_users: tuple[tuple[str, int, str], ...] = ()  # (PBX type, at most this many planned users, source)


# A gateway appliance or virtual gateway serves every PBX; an embedded gateway lives inside one PBX
# platform and serves only what that platform runs beside.
_PAIRINGS = (
    Pairing("APPLIANCE", "a CloudLink Gateway appliance", PBX_TYPES, "ours"),
    Pairing("VIRTUAL", "a virtual CloudLink Gateway", PBX_TYPES, "ours"),
    Pairing("EMBEDDED_SMBC", "a gateway embedded in an SMB Controller", ("MIVOICE_OFFICE_400", "MIVOICE_BUSINESS"),
            "ours (the SMB Controller hosts MiVoice Business and MiVoice Office 400, never MX-ONE or MiVoice 5000)",
            max_users=(("MIVOICE_BUSINESS", 150,
                        "[doc] MiVoice Business on an SMB Controller supports at most 150 UC users"),)),
    Pairing("MBG", "a gateway embedded in a MiVoice Border Gateway",
            ("MIVOICE_OFFICE_400", "MX_ONE", "MIVOICE_BUSINESS"),
            "ours (MiVoice Border Gateway does not front MiVoice 5000)"),
)
assert tuple(p.gateway for p in _PAIRINGS) == GATEWAY_TYPES, "the pairing table covers every API gateway type"
PAIRINGS: dict[str, Pairing] = {spec_name(p.gateway): p for p in _PAIRINGS}  # keyed by the spec's gateway name

# [brief] Mitel Assistant readiness: (minimum MiCollab version, what needs it).
MICOLLAB_READINESS = (
    ((9, 6), "MiCollab PC client 9.6+ offers the telephony-only profile"),
    ((9, 7, 10), "on iOS, Mitel Assistant launches MiCollab through a URI that needs MiCollab 9.7.10+"),
)
MICOLLAB_CALL_HISTORY_MIVB = ((9, 7), "with MiVoice Business, calling from Call History needs MiCollab 9.7+")
