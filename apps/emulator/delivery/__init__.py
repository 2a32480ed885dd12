"""Notification delivery: the sender that drains the `Event` outbox to SQS queues and SNS topics.

`documents` builds MTurk's message bodies, `transports` sends them (SQS, SNS) and keeps a
local queue existing, `outbox` picks the pending events, groups and sends them.

Life-cycle services write an `Event` row in the same transaction as the change they record
(`engine.lifecycle.event_emit`). This package turns pending rows into MTurk notification
messages and sends them with boto3, at least once:

- An event is sent only when its HIT type has active notification settings naming its event
  type, configured before the event happened (`NotificationSetting.since_event_pk`); otherwise it
  is marked `skipped`. Email destinations and real AWS endpoints (`*.amazonaws.com`, which would
  refuse the local MTurk's dummy credentials) are marked `undeliverable` with the reason.
- Events of one HIT that happened at the same moment for the same destination share a message
  (e.g. the last AssignmentSubmitted and the HITReviewable it causes).
- A message is marked sent only after SQS / SNS accepted it. When the destination is
  unreachable its events stay pending with a growing backoff (`next_attempt_at`, real time,
  capped at `outbox.MAX_BACKOFF_SECONDS`); nothing is ever dropped for being unreachable.
- Faults (`/_emulator/faults`): `duplicate_delivery_rate` sends a message twice (same EventDocId,
  two SQS messages); `reorder` (a probability) holds some messages back so that later ones
  overtake them.

`drain()` is called by the background sender thread (`sender_loop`, started by `manage.py
emulator`) and by `POST /_emulator/notifications/flush`, which ignores backoff so tests can
deliver deterministically; one process-wide lock keeps two drains from racing.
"""
