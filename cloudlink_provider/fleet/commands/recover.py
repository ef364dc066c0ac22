"""`cloudlink fleet recover`: turn what a killed run left behind back into a clean state.

Owns the order of three repairs per stack, on any DIY backend; the formats and
the repairs themselves are the state room's (state/locks.py, state/repair.py):

1. **Locks of dead engines** (state/locks.py): read from the backend's bucket (file://,
   PostgreSQL, s3://, azblob://, gs://: state/buckets.py); a
   lock is released when its engine is provably dead (on this host, by pid), one
   from another host (or unreadable) only with `force`, a live engine's never.
   For a backend with no bucket here, the engine names the locks when it refuses
   to take one, and a releasable stack is released with `pulumi cancel`.
2. **Half-written checkpoints** (state/repair.py): a torn `.attrs` sidecar and a
   stray `.tmp` removed, an unreadable checkpoint restored from Pulumi's own copies.
3. **Pending operations** (a create or delete the engine started and never saw finish): a refresh
   with `--clear-pending-creates`. Nothing a dead run created is lost or duplicated: every
   resource's create adopts the live object by its natural key, so the next `up` takes it over.

The safe part, locks of engines that died on this host, is also done by every fleet run by
itself (run.py), so one killed run does not fail the next `fleet up` with "the stack is
currently locked". It never touches CloudLink except through the engine's refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...pulumi_facts import urn_name
from ..engine.gateway import EngineFailed, Project, StackLocked
from ..failures import engine_message
from ..state.checkpoint import CheckpointError
from ..state.errors import StateError
from ..state.locks import locks_in_message, read_locks, release
from ..state.repair import RecoverError, repair_blobs
from .run import RunOptions, failure, run_operation


@dataclass
class Recovery:
    """What `recover` did for one stack, and what is left for the partner to do."""
    stack: str
    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # blocking problems, each with what to do

    @property
    def ok(self) -> bool:
        return not self.left

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "ok": self.ok, "done": self.done, "left": self.left}


def recover_stack(project: Project, name: str, force: bool = False) -> Recovery:
    """Locks, blobs, pending operations of one stack, in that order; never raises for this stack's trouble."""
    result = Recovery(name)
    try:
        state = project.state
        bucket = state.bucket
        if bucket is not None:
            layout = state.layout()
            done, left = release(name, read_locks(bucket, layout, name), force, bucket, project.cancel)
            result.done += done
            result.left += left
            if left:
                return result
            repaired = repair_blobs(bucket, layout, name)
            if repaired:
                state.forget_listing()  # a restored checkpoint is newer than what the scan listed
            result.done += repaired
            checkpoint = state.read(name)
            if checkpoint is None:
                return result  # the backend has never seen this stack: nothing a run could have left
            pending = checkpoint.pending_operations
        else:
            deployment = project.export(name)  # select, never create: nothing to recover in a new stack
            if deployment is None:
                return result
            try:  # the same deployment: a no-op when nobody holds the stack; the engine names the locks if not
                project.import_deployment(name, deployment)
            except StackLocked as e:
                done, left = release(name, locks_in_message(name, e.stderr), force, None, project.cancel)
                result.done += done
                result.left += left
                if left:
                    return result
            pending = (deployment.get("deployment") or {}).get("pending_operations") or []
        if pending:
            _refresh(project, name)
            ops = ", ".join(sorted({f"{op.get('type', '?')} {urn_name(str(op.get('resource', {}).get('urn', '')))}"
                                    for op in pending}))
            result.done.append(f"cleared {len(pending)} pending operation(s) of the dead run ({ops}) with a refresh "
                               "from CloudLink; the next `up` adopts what it created")
    except (RecoverError, CheckpointError) as e:
        result.left.append(str(e))
    except StateError as e:  # an object store that cannot be read or written (buckets.BucketError)
        result.left.append(f"the backend could not be read or written: {e}")
    except EngineFailed as e:
        result.left.append(engine_message(e))
    return result


def _refresh(project: Project, name: str) -> None:
    done = run_operation(project, name, RunOptions("refresh", parallel=1, clear_pending_creates=True))
    if done.error is not None:
        raise RecoverError("the refresh that clears the dead run's pending operations failed: "
                           + failure(done.error, done.collector, name)[0])


def recover(project: Project, names: list[str], force: bool = False) -> list[Recovery]:
    """`cloudlink fleet recover`: one `Recovery` per stack, in order."""
    return [recover_stack(project, name, force) for name in names]
