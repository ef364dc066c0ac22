"""The fleet's side of the standards: each customer as (name, labels, effective spec), and its live facts.

Owns how the fleet hands customers to `cloudlink_provider.standards`: the effective spec
and labels (the stack file layered over the fleet file, `layering.py`, the program's own
merge; the stack file alone only where no project folder is given), and, during
the drift scan, the live facts the standards' watches need, taken from what the
scan's refresh already read (the SSO certificate, the onboarded users) plus two
GETs where nothing read them yet (the account's role holders; the users' creation
dates, only for customers with users pending activation). It decides nothing about
what a standard means; `standards.evaluate` does, for the fleet and the policy pack alike.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from ..client import CloudLinkError
from ..customer.model import SpecError, parse_customer
from ..customer.rules import PBX_MODELS
from ..plan import NAMESPACE
from ..standards import Customer, LiveFacts, Standards, StandardsError, StandardsReport, evaluate, load_standards
from ..standards.facts import PendingUser, parse_day
from ..customer.layers import LayerError, validated
from .errors import FleetError
from .events import PolicyViolation
from .layering import layering_for
from .stacks import CUSTOMER_KEY, StackFile, UnreadableStackFile

LABELS_KEY = f"{NAMESPACE}:labels"  # the customer's own labels (with no project folder: no fleet file to layer)


class CustomerUnreadable(Exception):
    """This customer's spec cannot be read; the message is the report's error."""


def labels_of(config: dict[str, Any], name: str) -> dict[str, str]:
    raw = config.get(LABELS_KEY) or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise CustomerUnreadable(f"stacks/Pulumi.{name}.yaml: {LABELS_KEY} must be `key: \"value\"` pairs of text")
    return dict(raw)


def effective_labels(stacks_dir: Path, name: str, config: dict[str, Any]) -> dict[str, str]:
    """The customer's labels as `--select` reads them: its profiles' labels, then its own."""
    try:
        return dict(layering_for(stacks_dir).effective(name, config).labels)
    except (LayerError, FleetError) as e:
        raise CustomerUnreadable(" ".join(str(e).split())) from None


def customer_from(name: str, config: dict[str, Any], stacks_dir: Path | None = None) -> Customer:
    """A customer as the standards see it, from its stack config layered over the fleet file in `stacks_dir`
    (the stack config alone without one); raises CustomerUnreadable."""
    raw = config.get(CUSTOMER_KEY)
    if raw is None:
        raise CustomerUnreadable(f"this stack has no customer spec: set `{CUSTOMER_KEY}` in stacks/Pulumi.{name}.yaml")
    if stacks_dir is not None:
        try:
            effective = layering_for(stacks_dir).effective(name, config)
            spec = validated(effective)
        except (SpecError, LayerError, FleetError) as e:
            raise CustomerUnreadable(" ".join(str(e).split())) from None
        return Customer(name, dict(effective.labels), spec.model_dump(mode="json"))
    try:
        spec = parse_customer(raw)
    except SpecError as e:
        raise CustomerUnreadable(" ".join(str(e).split())) from None
    return Customer(name, labels_of(config, name), spec.model_dump(mode="json"))


def load_customer(stacks_dir: Path, name: str) -> Customer:
    try:
        data = StackFile(stacks_dir, name).read()
    except UnreadableStackFile as e:
        raise CustomerUnreadable(str(e)) from None
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    return customer_from(name, config, stacks_dir)


def fleet_standards(stacks_dir: Path, refuse_expired_on: date | None = None) -> Standards:
    """The standards file, with exceptions checked against the stacks that exist."""
    from .stacks import discover_stacks

    return load_standards(stacks_dir, set(discover_stacks(stacks_dir)), refuse_expired_on)


@dataclass
class LiveReader:
    """Collects, during the scan, each customer's spec and live facts (thread-safe: customers run in parallel)."""
    customers: dict[str, Customer] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # a live read that failed: that customer cannot be judged
    _lock: threading.Lock = field(default_factory=threading.Lock)
    stacks_dir: Path | None = None  # the project's stacks/: labels layered over its fleet file

    def observe(self, name: str, config: dict[str, Any], spec: Any,
                refreshed: dict[str, tuple[dict[str, Any], dict[str, Any]]], client: Any) -> None:
        """`refreshed`: resource name -> (inputs, outputs) as the scan's refresh read them; `client`: the
        customer's CloudLink client (for the reads no resource made)."""
        try:
            facts = self._facts(spec, refreshed, client)
        except CloudLinkError as e:  # reported for this customer's standards; the drift scan goes on
            with self._lock:
                self.errors[name] = f"reading live facts for the standards: {' '.join(str(e).split())}"
            return
        try:
            labels = (effective_labels(self.stacks_dir, name, config) if self.stacks_dir is not None
                      else labels_of(config, name))
        except CustomerUnreadable as e:
            with self._lock:
                self.errors[name] = str(e)
            return
        customer = Customer(name, labels, spec.model_dump(mode="json"), facts)
        with self._lock:
            self.customers[name] = customer

    @staticmethod
    def _facts(spec: Any, refreshed: dict[str, tuple[dict, dict]], client: Any) -> LiveFacts:
        facts = LiveFacts()
        sso = refreshed.get("sso")
        if sso:
            facts.sso_certificate = sso[0].get("certificate")
        account = refreshed.get("account")
        account_id = (account[1].get("accountId") or account[1].get("id")) if account else None
        users = refreshed.get("users")
        facts.onboarded_users, facts.pending_users = 0, []  # read live: no onboarding resource, no user of ours
        if users:
            managed = users[1].get("users") or []
            facts.onboarded_users = len(managed)
            pending = [u for u in managed if not u.get("activated")]
            since: dict[str, date | None] = {}
            if pending and account_id:
                since = {u.userId: parse_day(u.createdOn) for u in client.users.list(account_id)}
            facts.pending_users = [PendingUser(u.get("email", ""), since.get(u.get("userId"))) for u in pending]
        if account_id and spec.pbx and PBX_MODELS[spec.pbx.type].role is not None and "pbx" in refreshed:
            facts.role_holders = sum(1 for _ in client.roles.list(account_id))
        return facts


class PolicyMirror:
    """What the standards' policy pack (policy/, `cloudlink_provider.policypack`) reports for a customer, from the
    same evaluation (its spec only, as of today), so that the scan's preview shows what the engine's would:
    advisory findings worded as the engine words them ("<title>: <what is wrong>"); a customer with a mandatory
    one, or every customer when the standards file does not load, is the engine's to decide (`engine_reason`),
    since its run stops there and says so."""

    def __init__(self, stacks_dir: Path):
        self.stacks_dir = stacks_dir
        self.standards: Standards | None = None
        self.error: str | None = None
        try:
            self.standards = fleet_standards(stacks_dir)
        except StandardsError as e:
            self.error = str(e)

    def judge(self, name: str, config: dict[str, Any]) -> tuple[list[PolicyViolation], str | None]:
        """(the pack's violations for this customer, why the engine must decide it, or None)."""
        if self.standards is None:
            return [], f"the standards file does not load ({self.error}): the engine's policy pack refuses it"
        try:
            customer = customer_from(name, config, self.stacks_dir)
        except CustomerUnreadable:
            return [], None  # an invalid spec fails at check, naming the field: not the pack's to say
        today = datetime.now(timezone.utc).date()
        result = evaluate(self.standards, [customer], today, live_reads=False).customers[0]
        titles = {s.id: s.title for s in self.standards.standards}
        found = []
        for f in result.findings:
            if f.violated:
                text = ": ".join(line.strip() for line in f"{titles[f.standard]}\n{f.text()}".splitlines()
                                 if line.strip())
                found.append(PolicyViolation(f.standard, "mandatory" if f.mode == "enforce" else "advisory", text))
        blocking = [p.standard for p in found if p.level == "mandatory"]
        if blocking:
            return found, f"an enforce standard is violated ({', '.join(blocking)}): the engine's policy pack blocks it"
        return found, None


def standards_of(standards: Standards, reader: LiveReader, failed: dict[str, str],
                 today: date | None = None) -> StandardsReport:
    """`failed`: customers the scan could not read (they cannot be judged either), with why."""
    failed = {**failed, **reader.errors}
    return evaluate(standards, [c for n, c in reader.customers.items() if n not in failed], today,
                    live_reads=True, failed=failed)


__all__ = ["CustomerUnreadable", "LiveReader", "PolicyMirror", "StandardsError", "customer_from", "fleet_standards",
           "load_customer", "standards_of"]
