"""The worker side: what workers do (`actions`), the worker site (`site`), the simulated crowd
(`crowd`) and what a question asks for (`answer_fields`)."""
