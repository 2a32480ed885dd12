"""The control API under `/_emulator/` (never part of MTurk): reset, clock, faults, the worker
actions, read-outs (`views`), notification delivery and the simulated crowd (`simulation`)."""
