"""Notifications: what a drift run tells Teams, Slack or a partner's webhook, and the sending of it.

One room of the fleet wing, top-down (the import contract in pyproject.toml holds this order):

- `deliver`: each target of the fleet file's `notifications:` gets its payload through the client's
  `post_webhook` (timeout, bounded retries, never raising); a failed delivery is a result, never an
  exception, so it cannot change the exit code or hide a finding;
- `teams` | `slack` | `webhook`: the payload builders, pure (a message with an Adaptive Card 1.5;
  Block Kit within Slack's limits; plain JSON);
- `events`: what is worth saying, pure: from a report's JSON, the drift, failures and resolutions a target
  asked for (`on:`, by default only what is new) among the customers it selects, grouped by cause.

The builders read the report's JSON (`FleetReport.to_json()`), the same document `--json` writes, so a
notification never says what the report does not. No URL is ever printed: it is a secret of the fleet file.
"""
