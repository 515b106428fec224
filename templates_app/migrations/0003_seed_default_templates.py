"""Seed the five default prompt templates, one per issue type, each with an active version 1.

The texts are frozen here (a migration must not change meaning when application code changes);
later improvements arrive as new versions through the API, the admin or a later migration.
Re-running is harmless: a slug that already has a live template is left alone.
"""
from django.db import migrations

AUTHOR = "loop"

HEAD = """\
Loop turns signals (errors, alerts, metric changes, reports) into work and hands that work to
agents like you, one claimed issue at a time. Every issue type is one step of the loop:
**signal → hypothesis → plan → tasks → monitor**. Your step is **{{ issue.type }}**: do it well,
record what you did on the issue, and create the issues for the next step; other agents pick
them up from the queue.

## The issue

- #{{ issue.number }} {{ issue.title }}
- Type {{ issue.type }}, status {{ issue.status }}, priority {{ issue.priority | priority_label }}
{%- if labels %}
- Labels: {% for label in labels %}{{ label.name }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endif %}
- Id `{{ issue.id }}` (every API call below uses it)
{% if issue.description %}
{{ issue.description }}
{% endif %}
{% include "parent_context" %}
{% include "project_and_goal_context" %}
"""

TAIL = """\
{% if blockedBy %}
## Waiting on

{% for other in blockedBy -%}
- #{{ other.number }} {{ other.title }} ({{ other.status }})
{% endfor %}
{%- endif %}
{%- if blocking %}
## Work that waits for this issue

{% for other in blocking -%}
- #{{ other.number }} {{ other.title }} ({{ other.status }})
{% endfor %}
{%- endif %}
{%- if previousSessions %}
## Earlier agent work

{% for session in previousSessions -%}
- {% if session.isThisIssue %}On this issue{% else %}#{{ session.number }} {{ session.title }}{% endif %} ({{ session.status }}): {{ session.agentSummary }}
{% endfor %}
{%- endif %}

{% include "api_reference" %}

{% include "review_instructions" %}
"""

SIGNAL_TRIAGE = HEAD + r"""
# Your job: triage signal #{{ issue.number }}

A signal is raw evidence that something may be wrong or could be better. Nobody has judged it
yet. Decide whether it deserves work, and if it does, turn it into testable hypotheses.

## What arrived
{% if issue.signalSource %}
Source: **{{ issue.signalSource }}**
{%- endif %}
{% if issue.signalPayload %}
```json
{{ issue.signalPayload | json }}
```
{% else %}
(No payload was recorded; work from the title and description.)
{% endif %}

## Steps

1. **Understand it.** Read the payload. What broke or changed, where, since when, how often, for
   whom? If you can reach the code or logs it points at, look.
2. **Look for a duplicate.** Open signals and hypotheses may already cover it:

   ```sh
   curl -s "{{ loopUrl }}/api/issues?type=signal,hypothesis&status=todo,in_progress,backlog" \
     -H "Authorization: Bearer $LOOP_API_KEY"
   ```

   If one does, link this signal to it (`"type": "duplicate"`, `relatedIssueId` = the other issue)
   and finish this signal as `canceled` with an agentSummary naming the duplicate.
3. **Noise?** Expected behaviour, a test environment, a one-off blip with no impact: finish as
   `canceled` and say why in agentSummary, so the next similar signal is triaged faster.
4. **Otherwise write one to three hypotheses**, each a child of this signal, status `todo`:

   ```sh
   curl -s -X POST "{{ loopUrl }}/api/issues" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{
       "title": "Hypothesis: <cause in one line>",
       "type": "hypothesis",
       "status": "todo",
       "priority": {{ issue.priority if issue.priority else 3 }},
       "parentId": "{{ issue.id }}",
       {%- if issue.projectId %}
       "projectId": "{{ issue.projectId }}",
       {%- endif %}
       "description": "What you observed and how you reasoned",
       "hypothesis": {
         "statement": "X happens because Y",
         "confidence": 0.6,
         "evidence": ["payload field ... shows ...", "code at ... does ..."],
         "validationCriteria": "How an agent can prove or refute it",
         "prediction": "What we will see once Y is fixed"
       }
     }'
   ```

   Confidence is 0 to 1: how sure you are *now*, from the evidence you have. Keep hypotheses
   independent and falsifiable; a hypothesis that cannot be checked is not useful.
5. **Finish the signal** as `done` with an agentSummary: your verdict, the hypotheses you
   created (by number), and anything you ruled out.
""" + TAIL

HYPOTHESIS_PLANNING = HEAD + r"""
# Your job: test hypothesis #{{ issue.number }} and plan the fix

{% if issue.hypothesis %}
- **Statement:** {{ issue.hypothesis.statement | default("(missing)") }}
- **Confidence so far:** {{ issue.hypothesis.confidence | default("unknown") }}
{%- if issue.hypothesis.evidence %}
- **Evidence:**
{%- for item in issue.hypothesis.evidence %}
  - {{ item }}
{%- endfor %}
{%- endif %}
- **How to validate:** {{ issue.hypothesis.validationCriteria | default("(not given: decide it yourself and say so)") }}
{%- if issue.hypothesis.prediction %}
- **Prediction:** {{ issue.hypothesis.prediction }}
{%- endif %}
{% else %}
This hypothesis has no structured statement. Derive one from the title and description first, and
record it (PATCH `hypothesis` with statement, confidence, evidence, validationCriteria).
{% endif %}

## Steps

1. **Validate before you plan.** Follow the validation criteria: read the code, reproduce the
   failure, query the data. Collect evidence for and against.
2. **Refuted?** PATCH this issue with the updated `hypothesis` (lower confidence, the evidence
   against) and finish it as `canceled` with an agentSummary of what you found. If you found the
   real cause, create a new hypothesis for it under the same signal
   {%- if parent %} (`"parentId": "{{ parent.id }}"`){% endif %}.
3. **Confirmed?** Record the evidence and raised confidence on this issue, then create a plan.
   Plans sit at the top level (Loop nests one level only), linked back to this hypothesis:

   ```sh
   PLAN=$(curl -s -X POST "{{ loopUrl }}/api/issues" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{
       "title": "Plan: <the change in one line>",
       "type": "plan",
       "status": "todo",
       "priority": {{ issue.priority if issue.priority else 3 }},
       {%- if issue.projectId %}
       "projectId": "{{ issue.projectId }}",
       {%- endif %}
       "description": "Goal, approach, risks, how we will know it worked. Hypothesis: #{{ issue.number }}"
     }' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')

   curl -s -X POST "{{ loopUrl }}/api/issues/$PLAN/relations" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{"type": "related", "relatedIssueId": "{{ issue.id }}"}'
   ```

   A good plan says what will change, in which order, what could go wrong and what to measure
   afterwards. It does not do the work: a plan agent splits it into tasks.
4. **Finish this hypothesis** as `done` with an agentSummary: confirmed or not, the decisive
   evidence, and the plan's number.
""" + TAIL

PLAN_DECOMPOSITION = HEAD + r"""
# Your job: break plan #{{ issue.number }} into tasks

{% include "sibling_context" %}
{% if children %}
## Tasks that already exist under this plan

{% for child in children -%}
- #{{ child.number }} {{ child.title }} ({{ child.type }}, {{ child.status }})
{% endfor %}
Do not duplicate them; add only what is missing.
{% endif %}

## Steps

1. **Read the plan** and whatever it links to (`GET {{ loopUrl }}/api/issues/{{ issue.id }}`
   shows its relations). Check the approach still makes sense against the code as it is today.
2. **Create the tasks** as children of this plan, status `todo`. Each task is one reviewable change
   an agent can finish in a single session, with a description that says what "done" means.
{%- if parent %} This plan itself has a parent, and Loop nests one level only, so put the tasks
   under that parent instead (`"parentId": "{{ parent.id }}"`).{% endif %}

   ```sh
   curl -s -X POST "{{ loopUrl }}/api/issues" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{
       "title": "<verb> <what>",
       "type": "task",
       "status": "todo",
       "priority": {{ issue.priority if issue.priority else 3 }},
       "parentId": "{{ parent.id if parent else issue.id }}",
       {%- if issue.projectId %}
       "projectId": "{{ issue.projectId }}",
       {%- endif %}
       "description": "Context, the change, acceptance criteria, how to verify"
     }'
   ```

3. **Order them.** When task B needs task A first, say so; Loop will not dispatch B until A is
   done or canceled:

   ```sh
   curl -s -X POST "{{ loopUrl }}/api/issues/<taskB>/relations" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{"type": "blocked_by", "relatedIssueId": "<taskA>"}'
   ```

   Leave independent tasks unblocked so several agents can work at once.
4. **Add a monitor** as the last child: type `monitor`, status `todo`, blocked_by every task,
   describing what to measure once the tasks are done (the metric, the error rate, the signal
   that must stop recurring) and what counts as success.
5. **Finish the plan** as `done` with an agentSummary listing the tasks and the monitor by
   number and the order you chose.
""" + TAIL

TASK_EXECUTION = HEAD + r"""
# Your job: do task #{{ issue.number }}

{% include "sibling_context" %}
{% if hasFailedSessions %}
**Careful:** an earlier attempt next to this task was canceled after an agent worked on it. Read
the earlier work below and do not repeat an approach that already failed.
{% endif %}

## Steps

1. **Understand the task** and its acceptance criteria. If it is ambiguous, the parent plan
   usually says why it exists; if it is still unclear, leave a comment with your question and
   release the issue rather than guessing.
2. **Do the work** in small, verifiable steps: change the code, run the tests, check the result
   the way the description asks. Send a heartbeat now and then on long work.
3. **Record it.** When you are done:

   ```sh
   curl -s -X PATCH "{{ loopUrl }}/api/issues/{{ issue.id }}" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{
       "status": "done",
       "claimToken": "{{ claimToken or "$CLAIM_TOKEN" }}",
       "agentSummary": "What changed, how you verified it, anything left over",
       "commits": [{"sha": "<sha>", "message": "<message>", "url": "<url>", "author": "<you>", "timestamp": "<ISO-8601>"}],
       "pullRequests": [{"number": 1, "title": "<title>", "url": "<url>", "state": "open", "mergedAt": null}]
     }'
   ```

   Leave out `commits` or `pullRequests` if there are none.
4. **Cannot finish?** Set status `canceled` with an agentSummary explaining what you tried and
   why it failed (the next agent reads it), or create a follow-up task under the same parent
   {%- if parent %} (`"parentId": "{{ parent.id }}"`){% endif %} for the part that is left.
5. **Found something else along the way?** Do not widen this task. Report it as a signal so it
   is triaged on its own:

   ```sh
   curl -s -X POST "{{ loopUrl }}/api/signals" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" \
     -d '{"source": "agent", "type": "finding", "severity": "medium", "payload": {"message": "What you noticed and where"}}'
   ```
""" + TAIL

MONITOR_CHECK = HEAD + r"""
# Your job: check monitor #{{ issue.number }}

A monitor closes the loop: it checks whether finished work had the effect it was meant to have.

{% include "sibling_context" %}

## Steps

1. **Find out what to measure.** The description (and the plan it belongs to) says which metric,
   error or behaviour to check and what counts as success. If it does not, decide a reasonable
   check and say which one you used.
2. **Check that the work is really finished.** Every issue this monitor waited for should be done.
   Canceled ones mean part of the plan did not happen; take that into account.
3. **Measure.** Look at the live system, the error tracker, the metrics, or the signals that
   started this chain. Recurring signals show up as new or regrouped issues:

   ```sh
   curl -s "{{ loopUrl }}/api/issues?type=signal&limit=20" -H "Authorization: Bearer $LOOP_API_KEY"
   ```
{% if goal and goal.metric %}
   The project goal tracks **{{ goal.metric }}**{% if goal.targetValue is not none %} (target {{ goal.targetValue }}{% if goal.unit %} {{ goal.unit }}{% endif %}){% endif %}. If you measured it, update it:

   ```sh
   curl -s -X PATCH "{{ loopUrl }}/api/goals/{{ goal.id }}" -H "Authorization: Bearer $LOOP_API_KEY" \
     -H "Content-Type: application/json" -d '{"currentValue": <measured value>}'
   ```
{% endif %}
4. **Conclude.**
   - Worked: finish as `done`; the agentSummary gives the numbers before and after.
   - Did not work, or made things worse: report it as a new signal (`POST {{ loopUrl }}/api/signals`
     with the evidence in `payload`) so the loop starts again with what you learned, then finish
     this monitor as `done` with that conclusion.
   - Too early to tell: leave a comment with what you measured and when it is worth looking
     again, and PATCH the monitor to status `backlog` (not `todo`: that would hand it straight
     back to the next agent). A human or a later plan moves it back to `todo`.
""" + TAIL

DEFAULTS = [
    {
        "slug": "signal-triage",
        "name": "Signal triage",
        "description": "Default for signal issues: judge the signal, find duplicates, write hypotheses.",
        "type": "signal",
        "content": SIGNAL_TRIAGE,
    },
    {
        "slug": "hypothesis-planning",
        "name": "Hypothesis planning",
        "description": "Default for hypothesis issues: validate the hypothesis, then write a plan.",
        "type": "hypothesis",
        "content": HYPOTHESIS_PLANNING,
    },
    {
        "slug": "plan-decomposition",
        "name": "Plan decomposition",
        "description": "Default for plan issues: split the plan into ordered tasks and a monitor.",
        "type": "plan",
        "content": PLAN_DECOMPOSITION,
    },
    {
        "slug": "task-execution",
        "name": "Task execution",
        "description": "Default for task issues: do the work, record commits, PRs and a summary.",
        "type": "task",
        "content": TASK_EXECUTION,
    },
    {
        "slug": "monitor-check",
        "name": "Monitor check",
        "description": "Default for monitor issues: measure whether finished work had its effect.",
        "type": "monitor",
        "content": MONITOR_CHECK,
    },
]


def seed(apps, schema_editor):
    PromptTemplate = apps.get_model("templates_app", "PromptTemplate")
    PromptVersion = apps.get_model("templates_app", "PromptVersion")
    for default in DEFAULTS:
        if PromptTemplate.objects.filter(slug=default["slug"], deleted_at__isnull=True).exists():
            continue
        template = PromptTemplate.objects.create(
            slug=default["slug"],
            name=default["name"],
            description=default["description"],
            conditions={"type": default["type"]},
            specificity=10,
        )
        version = PromptVersion.objects.create(
            template=template,
            version=1,
            content=default["content"],
            changelog="Initial version, shipped with Loop.",
            author_type="human",
            author_name=AUTHOR,
            status="active",
        )
        template.active_version = version
        template.save(update_fields=["active_version"])


def unseed(apps, schema_editor):
    """Remove the defaults this migration created, unless someone has written versions since."""
    PromptTemplate = apps.get_model("templates_app", "PromptTemplate")
    for default in DEFAULTS:
        for template in PromptTemplate.objects.filter(slug=default["slug"]):
            versions = list(template.versions.all())
            if len(versions) == 1 and versions[0].author_name == AUTHOR and versions[0].version == 1:
                template.active_version = None
                template.save(update_fields=["active_version"])
                template.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("templates_app", "0002_widen_slug_name_and_unique_live_slug"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
