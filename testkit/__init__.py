"""The shared floor under the tests and the tools: fixtures and helpers that unit tests, e2e tests and
tools/ (the benchmarks) may all import.

Lives beside `cloudlink_provider`, never inside it (the product does not ship it),
and imports nothing from `tests/`: unit tests import their own helpers and this
package, e2e tests theirs and this package, and a unit test never imports an e2e
helper. Modules: `fleet_project` (a scratch fleet project, generated and full
customers), `processes` (the processes of one run, found by an environment
marker), `certificates` (a real self-signed certificate), `secrets`
(`assert_no_secret`, the one assertion that a report leaks no secret), `samples`
(the committed sample customers layered over stacks/fleet.yaml, as the program sees them) and `servers`
(the object-store servers on loopback: S3, Azure Blob, GCS).
"""
