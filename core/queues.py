"""Records per invocation for each SQS event source, keyed by queue.

One place for the CDK stack (infra/) and the local router (localcloud/) to read, so the
batches a function sees locally are the batches it sees in AWS. Stdlib only: the stack
imports it as `core.queues`.
"""

from __future__ import annotations

# enroll: faces-bucket events (IndexFaces is slow; small batches keep retries cheap).
# frames: uploads-bucket frames for analyze.  alerts: Alert messages for notify.
BATCH_SIZES: dict[str, int] = {"enroll": 5, "frames": 10, "alerts": 10}
