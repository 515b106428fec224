"""The dispatch score and the stored sort key that serves it. The one place the formula lives.

score = priority weight + type bonus + goal bonus (project has an active goal) + whole days since
the issue was created. Everything but the age is a per-issue constant, so ordering by
``created_at in days − constant`` ascending is ordering by score descending (ties within a day
are broken by creation time, then id). ``Issue.dispatch_rank`` stores that key.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

PRIORITY_WEIGHT = {1: 100, 2: 75, 3: 50, 4: 25, 0: 10}
TYPE_BONUS = {"signal": 50, "hypothesis": 40, "plan": 30, "task": 20, "monitor": 10}
GOAL_BONUS = 20
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class ScoreBreakdown:
    priority_weight: int
    type_bonus: int
    goal_bonus: int
    age_bonus: int

    @property
    def total(self) -> int:
        return self.priority_weight + self.type_bonus + self.goal_bonus + self.age_bonus


def base_score(*, priority: int, issue_type: str, has_active_goal: bool) -> int:
    return (
        PRIORITY_WEIGHT.get(priority, 0)
        + TYPE_BONUS.get(issue_type, 0)
        + (GOAL_BONUS if has_active_goal else 0)
    )


def dispatch_rank(*, created_at: datetime, priority: int, issue_type: str, has_active_goal: bool) -> float:
    return created_at.timestamp() / SECONDS_PER_DAY - base_score(
        priority=priority, issue_type=issue_type, has_active_goal=has_active_goal
    )


def score_breakdown(
    *, created_at: datetime, now: datetime, priority: int, issue_type: str, has_active_goal: bool
) -> ScoreBreakdown:
    age_days = max(0, math.floor((now - created_at).total_seconds() / SECONDS_PER_DAY))
    return ScoreBreakdown(
        priority_weight=PRIORITY_WEIGHT.get(priority, 0),
        type_bonus=TYPE_BONUS.get(issue_type, 0),
        goal_bonus=GOAL_BONUS if has_active_goal else 0,
        age_bonus=age_days,
    )
