"""Shared partials: Jinja snippets every template version can ``{% include "<name>" %}``.

They render with the including template's context (see ``templates_app.context``), so they can
use ``issue``, ``loopUrl``, ``claimToken`` and the rest. They never contain an API key: examples
read the agent's own key from ``$LOOP_API_KEY``.
"""
from __future__ import annotations

API_REFERENCE = """\
## Talking to Loop

Every call needs your key: `-H "Authorization: Bearer $LOOP_API_KEY"` (read it from your environment;
never paste it into issues, comments or summaries). JSON fields are camelCase; errors come back as
`{"error": "...", "details": {"fieldErrors": {...}}}`.

{% set token = claimToken or "$CLAIM_TOKEN" -%}
{% set follow_up_parent = parent.id if parent else issue.id -%}
{% if not claimToken -%}
`$CLAIM_TOKEN` below stands for the `claimToken` your `GET /api/dispatch/next` answer carried.

{% endif -%}
```sh
LOOP_URL={{ loopUrl }}
AUTH="Authorization: Bearer $LOOP_API_KEY"

# Read this issue with its parent, children, labels and relations
curl -s "$LOOP_URL/api/issues/{{ issue.id }}" -H "$AUTH"

# Keep your claim alive while you work (the lease lapses otherwise and the issue is re-queued)
curl -s -X POST "$LOOP_URL/api/dispatch/{{ issue.id }}/heartbeat" -H "$AUTH" \\
  -H "Content-Type: application/json" -d '{"claimToken": "{{ token }}"}'

# Leave a note on the issue
curl -s -X POST "$LOOP_URL/api/issues/{{ issue.id }}/comments" -H "$AUTH" \\
  -H "Content-Type: application/json" \\
  -d '{"body": "What I found and why", "authorName": "your-agent-name", "authorType": "agent"}'

# Create a follow-up issue (type: signal | hypothesis | plan | task | monitor;
# priority: 1 urgent, 2 high, 3 medium, 4 low; status todo puts it in the dispatch queue).
# Issues nest one level only: a child of a child is refused, so follow-ups of a child issue
# go under its parent.
curl -s -X POST "$LOOP_URL/api/issues" -H "$AUTH" -H "Content-Type: application/json" \\
  -d '{"title": "...", "type": "task", "status": "todo", "priority": 3, "parentId": "{{ follow_up_parent }}", "description": "..."}'

# Say that one issue must wait for another (types: blocks | blocked_by | related | duplicate)
curl -s -X POST "$LOOP_URL/api/issues/<issueId>/relations" -H "$AUTH" \\
  -H "Content-Type: application/json" -d '{"type": "blocked_by", "relatedIssueId": "<otherIssueId>"}'

# Finish: record what you did and close the issue (done, or canceled if it should not be done)
curl -s -X PATCH "$LOOP_URL/api/issues/{{ issue.id }}" -H "$AUTH" -H "Content-Type: application/json" \\
  -d '{"status": "done", "claimToken": "{{ token }}", "agentSummary": "What changed, how it was verified, what is left"}'

# Give the issue back untouched if you cannot work on it
curl -s -X POST "$LOOP_URL/api/dispatch/{{ issue.id }}/release" -H "$AUTH" \\
  -H "Content-Type: application/json" -d '{"claimToken": "{{ token }}", "reason": "why"}'
```

A `409` on heartbeat, PATCH or release means your claim was lost (the lease expired and someone
else holds the issue now): stop working on it and fetch new work with
`curl -s "$LOOP_URL/api/dispatch/next" -H "$AUTH"`.
"""

REVIEW_INSTRUCTIONS = """\
## Review this prompt

When you are done, rate the instructions you were given (1 = poor, 5 = excellent). Reviews steer
which prompt versions Loop keeps; a low score with concrete feedback is the most useful kind.

```sh
curl -s -X POST "{{ loopUrl }}/api/prompt-reviews" -H "Authorization: Bearer $LOOP_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"versionId": "{{ meta.versionId }}", "issueId": "{{ issue.id }}", "clarity": 4, "completeness": 4, "relevance": 4, "authorType": "agent", "feedback": "What was missing, wrong or unclear"}'
```

- clarity: could you tell exactly what to do?
- completeness: did the prompt give you everything you needed, or did you have to dig?
- relevance: did it fit this issue ({{ issue.type }}), or was it generic?

(Template `{{ meta.templateSlug }}`, version {{ meta.versionNumber }}.)
"""

PARENT_CONTEXT = """\
{% if parent -%}
## Parent issue

#{{ parent.number }} {{ parent.title }} ({{ parent.type }}, {{ parent.status }})
{% if parent.description %}
{{ parent.description }}
{% endif %}
{%- if parent.hypothesis %}
Hypothesis: {{ parent.hypothesis.statement | default("(no statement)") }}
{%- if parent.hypothesis.confidence is defined %} (confidence {{ parent.hypothesis.confidence }}){% endif %}
{% endif %}
{%- if parent.agentSummary %}
Summary from the agent who worked on the parent: {{ parent.agentSummary }}
{% endif %}
{%- endif %}
"""

SIBLING_CONTEXT = """\
{% if siblings -%}
## Sibling issues (same parent)

{% for sibling in siblings -%}
- #{{ sibling.number }} {{ sibling.title }} ({{ sibling.type }}, {{ sibling.status }})
{%- if sibling.status == "canceled" and sibling.agentSummary %} — failed before: {{ sibling.agentSummary }}{% endif %}
{% endfor %}
{%- endif %}
"""

PROJECT_AND_GOAL_CONTEXT = """\
{% if project -%}
## Project: {{ project.name }}

Status {{ project.status }}, health {{ project.health }}.
{% if project.description %}{{ project.description }}
{% endif %}
{%- if goal %}
Goal: {{ goal.title }}
{%- if goal.metric %} — {{ goal.metric }}{% if goal.currentValue is not none %} is {{ goal.currentValue }}{% if goal.unit %} {{ goal.unit }}{% endif %}{% endif %}{% if goal.targetValue is not none %}, target {{ goal.targetValue }}{% if goal.unit %} {{ goal.unit }}{% endif %}{% endif %}{% endif %}.
{% if goal.description %}{{ goal.description }}
{% endif %}
Work that moves this goal comes first; say in your summary how your work relates to it.
{% endif %}
{%- endif %}
"""

PARTIALS: dict[str, str] = {
    "api_reference": API_REFERENCE,
    "review_instructions": REVIEW_INSTRUCTIONS,
    "parent_context": PARENT_CONTEXT,
    "sibling_context": SIBLING_CONTEXT,
    "project_and_goal_context": PROJECT_AND_GOAL_CONTEXT,
}
