"""Staff console for the core schema. Django's autodiscovery imports this package, which
registers:

- ``issue``: the issue list and page (the heart of the console), with the bulk overrides of
  ``actions`` and the reads of ``panels``;
- ``catalog``: projects, goals, labels;
- ``trail``: relations, comments and the read-only audit trail.

Every write goes through ``issues.services`` with the staff member as the actor
(``user:<username>``), so admin changes keep dispatch state true and land in the same audit
trail (IssueEvent) as API changes. Claim overrides belong to dispatch: ``dispatch/admin.py`` adds
"release claim" to the issue list.
"""

from issues.admin import catalog, trail  # noqa: F401  (registers their ModelAdmins)
from issues.admin.issue import IssueAdmin

__all__ = ["IssueAdmin"]
