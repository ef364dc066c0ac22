"""The customer model: pydantic models of one customer deployment, and the planning rules.

This package owns the declarative contract partners write in a stack's config
(`model`: validated before any API call, every failure naming the field and the
rule) and the customer-planning rules from Mitel's guide (`rules`: capacities,
readiness advisories, the spec's names for API enums), the one merge of a
customer's layers (`layers`: fleet defaults <- profiles <- customer, with the origin
of every value) and labels with their selector grammar (`selectors`). It sits on the wire facts
(`cloudlink_provider.wire`) and imports nothing else of the project; it does no I/O.
The emulator never imports it.
"""
