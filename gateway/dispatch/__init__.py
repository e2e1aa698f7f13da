"""Sending: one worker per modem takes messages from the outbox and submits them. The rules, module by module.

Decisions (pure functions or pure objects fed the time, each with its table of tests in ``tests/gateway/dispatch/``):

* ``claim.plan_claim`` -- what a modem claims next: the priorities the daytime window allows (``hours``), the SIM
  budgets and sticky numbers (an alert is never held back by a budget; the other messages of a number stuck to a
  SIM past its budget go through another SIM), at most a batch and a fair share of what is due.
* the last-moment check -- right before each submit the worker asks ``Outbox.check_before_submit`` whether the
  message may still go: still its claim, no cancel requested, the recipient still allowed by the one rule of
  ``gateway.alerts.guard`` (active, unexpired, not suspended, number not withdrawn). Only a PDU already written to
  a modem may leave after a withdrawal, a STOP, a suspension or a cancel commits.
* ``failures.classify`` -- a failed submit is the message's (``message_*``: it fails), the network's
  (``network_temporary``: retried later) or the modem's (``modem_*``: its claims go back uncharged, it leaves
  service); ``ambiguous`` when the PDU was written and no answer came. An attempt counts only when the network
  could have seen the message.
* ``health.ModemHealth`` -- when a modem leaves service: at once on a modem-level failure, or after the same
  refusal on several messages in a row while other modems send (a breaker whose open time doubles while the
  modem keeps failing as soon as it is back).
* ``outcomes.after_failure`` -- what becomes of the message: fail, retry after the back-off, give back now
  (uncharged), send again at once elsewhere (an ambiguous alert: a duplicate rather than a late alert), hold for a
  late answer (an ambiguous message of another priority), or resume the missing segments of a long message on
  the same modem under the same concatenation reference.
* ``ratelimit`` and ``policy`` -- the operators' per-minute/hour/day limits (token buckets on a monotonic clock)
  and the daytime window; ``budgets`` counts what each SIM sent (in the "sent" transaction) and says how close
  each budget is to its limit.
* ``devicewatch`` -- a modem that leaves service is reopened after its back-off, or at once when a device
  (re)appears at its path.

I/O and timing only: ``worker.ModemWorker`` (the step ``tick(now) -> seconds to sleep``), ``link.ModemLink``
(opening, closing, health checks, AT+CMMS), ``journal.OutcomeJournal`` (outcomes kept in order while the disk is
full), ``wakeup`` (a commit wakes the workers; an alert preempts a batch of reminders), and ``dispatcher`` (one
worker thread per modem, modem events into the database, stale claims, reload). ``settings`` is what the daemon
gives this package.
"""
