"""Who may say where an account's credentials come from.

"Environment variables" credentials name two variables of the server's environment, and an AWS
profile names a section of the server's AWS files. Whatever they name is read and signed with
(the access key id travels in clear in the Authorization header), so naming one is reading the
server's configuration: another account's keys, or the dashboard's own secrets. Hence:

- only site administrators (superusers) choose such names, or an account admin a name that
  matches the operator's CREDENTIALS_ENV_ALLOWED / CREDENTIALS_PROFILES_ALLOWED patterns;
- the dashboard's own secrets are never credentials, whoever names them; this is checked
  again before every call (a row changed in the database cannot get past it).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from django.conf import settings

# What the dashboard, the local MTurk and the compose file read for themselves.
SERVER_VARIABLES = frozenset(
    {
        "SECRET_KEY",
        "CREDENTIALS_KEYS",
        "DATABASE_URL",
        "REDIS_URL",
        "POSTGRES_PASSWORD",
        "MTURKDASH_ADMIN_PASSWORD",
        "EMULATOR_CONTROL_TOKEN",
        "EMULATOR_CREDENTIALS",
        "EMULATOR_DATABASE_URL",
        "EMULATOR_SECRET_KEY",
    }
)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_.+=,@-]+")

# Field -> (setting holding the patterns, what the field names).
_NAMED = {
    "access_key_env": ("CREDENTIALS_ENV_ALLOWED", "environment variables"),
    "secret_key_env": ("CREDENTIALS_ENV_ALLOWED", "environment variables"),
    "aws_profile": ("CREDENTIALS_PROFILES_ALLOWED", "AWS profiles"),
}


def credential_name_problem(field: str, name: str) -> str:
    """What is wrong with a name in itself, whoever gives it ("" when nothing)."""
    if not name:
        return ""
    if field == "aws_profile":
        return "" if _PROFILE_NAME.fullmatch(name) else "This is not an AWS profile name."
    if not _VARIABLE_NAME.fullmatch(name):
        return "This is not an environment variable name."
    if name.upper() in SERVER_VARIABLES:
        return f"{name} is the server's own configuration, never an account's credentials."
    return ""


def _allowed(setting: str, name: str) -> bool:
    return any(fnmatchcase(name, pattern.strip()) for pattern in getattr(settings, setting))


def credential_choice_problems(*, actor, before: dict[str, str], after: dict[str, str]) -> dict:
    """Field -> why `actor` may not set it so ({} when they may).

    `before` holds the stored names (empty for a new account): names kept as they are were
    chosen by someone allowed to, and may stay."""
    problems = {}
    for field, (setting, what) in _NAMED.items():
        name = after.get(field, "")
        if not name or name == before.get(field, ""):
            continue
        if getattr(actor, "is_superuser", False) or _allowed(setting, name):
            continue
        problems[field] = (
            f"Only a site administrator may name {what} for credentials"
            f" (or the operator may allow such names in {setting})."
        )
    return problems
