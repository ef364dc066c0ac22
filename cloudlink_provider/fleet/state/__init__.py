"""Pulumi's state, in one room: the formats the engine writes to a DIY backend, and nothing of ours.

Everything here is Pulumi's, read (and, for repairs, written) as Pulumi's own
source defines it (`pkg/backend/diy`, `pkg/secrets/passphrase`, `sdk/go/common/apitype`):

- `buckets`: a backend as a bucket of blobs (`Bucket`: list, read, write, delete,
  modified, close): `file://`, the object stores `s3://`, `azblob://`, `gs://`
  (opened as the engine opens them), and the PostgreSQL table in `postgres`; `open_bucket(url)`;
- `layout`: where a project's stacks, locks, backups and history sit in a bucket
  (the project-scoped layout of meta.yaml version 1, and the legacy one);
- `checkpoint`: the checkpoint format (`.json`/`.json.gz`) and the reader of a
  stack's checkpoint, with `pulumi stack export` as the fallback the caller hands in;
- `locks`: the one lock reader (a lock blob, or the engine's own message when a
  backend has no bucket here) and the one way a dead engine's lock is released;
- `repair`: a half-written blob write undone, a damaged checkpoint restored from Pulumi's copies;
- `secrets`: the passphrase secrets manager's crypto.

It never starts an engine: where the engine must act (`pulumi stack export`,
`pulumi cancel`) the caller passes the function that does. Nothing outside this
room parses these formats; tests/unit/fleet/test_checkpoint.py fails loudly when
a new engine version changes them.
"""
