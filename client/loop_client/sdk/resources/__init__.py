"""One class per API area; :class:`~loop_client.sdk.client.LoopClient` exposes one of each."""

from loop_client.sdk.resources.comments import CommentsResource, RelationsResource
from loop_client.sdk.resources.dashboard import DashboardResource
from loop_client.sdk.resources.dispatch import DispatchResource
from loop_client.sdk.resources.issues import IssuesResource
from loop_client.sdk.resources.labels import LabelsResource
from loop_client.sdk.resources.projects import GoalsResource, ProjectsResource
from loop_client.sdk.resources.reviews import ReviewsResource
from loop_client.sdk.resources.signals import SignalsResource
from loop_client.sdk.resources.templates import TemplatesResource

__all__ = [
    "CommentsResource",
    "DashboardResource",
    "DispatchResource",
    "GoalsResource",
    "IssuesResource",
    "LabelsResource",
    "ProjectsResource",
    "RelationsResource",
    "ReviewsResource",
    "SignalsResource",
    "TemplatesResource",
]
