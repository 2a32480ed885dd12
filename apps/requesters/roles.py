"""Roles per requester account and what each may do.

A role includes every permission of the roles below it: viewer < reviewer < manager < admin.
Services check these (not only templates), so a forged request is refused all the same.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    REVIEWER = "reviewer", "Reviewer"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


RANK = {Role.VIEWER: 1, Role.REVIEWER: 2, Role.MANAGER: 3, Role.ADMIN: 4}


class Action(StrEnum):
    VIEW = "view"
    REVIEW = "review"  # approve, reject, override a rejection
    BONUS = "bonus"  # up to the account's per-bonus cap for reviewers
    LAUNCH = "launch"  # create and launch batches, HIT actions
    SPEND = "spend"  # bonuses above the cap, compensation HITs
    QUALIFICATIONS = "qualifications"
    WORKERS = "workers"  # blocks and messages
    SYNC = "sync"
    MANAGE_ACCOUNT = "manage_account"
    MANAGE_MEMBERS = "manage_members"


REQUIRED_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.VIEWER,
    # Syncing asks MTurk for the account's objects and writes them here: work for someone who
    # acts on them, so a viewer reads what was last synced and sees no sync button.
    Action.SYNC: Role.REVIEWER,
    Action.REVIEW: Role.REVIEWER,
    Action.BONUS: Role.REVIEWER,
    Action.LAUNCH: Role.MANAGER,
    Action.SPEND: Role.MANAGER,
    Action.QUALIFICATIONS: Role.MANAGER,
    Action.WORKERS: Role.MANAGER,
    Action.MANAGE_ACCOUNT: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
}


def role_allows(role: str, action: Action) -> bool:
    return RANK[Role(role)] >= RANK[REQUIRED_ROLE[action]]
