"""Staff console for prompt templates: versions with their usage and EWMA review score, a
side-by-side diff of a draft against the active version, promotion, and the agents' review
feedback. Writes go through ``templates_app.services``; promotions are also noted in the admin
log (who, when, which version replaced which).

- ``templates``: the template list and page, the diff page, promote;
- ``versions``: versions (immutable; add a new draft) and reviews (read-only);
- ``diff``: the side-by-side diff itself.
"""

from templates_app.admin import templates, versions  # noqa: F401  (registers their ModelAdmins)
