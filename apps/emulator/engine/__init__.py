"""The local MTurk's backend: what the models do, apart from the wire. Accounts, the HIT and
assignment life cycle on a movable clock, review policies, qualifications, money, answers and
uploaded files. Operations, the worker side and the control API all act through it."""
