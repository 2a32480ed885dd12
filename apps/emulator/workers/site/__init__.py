"""The local MTurk's worker site (`/worker/`) and `/mturk/externalSubmit`."""
