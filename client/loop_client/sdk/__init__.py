"""The Loop SDK: a typed client over Loop's REST API (httpx, no Django)."""

from loop_client.sdk.client import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL, LoopClient
from loop_client.sdk.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClaimLostError,
    ConflictError,
    LoopConnectionError,
    LoopError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    UnprocessableError,
)
from loop_client.sdk.models import (
    AuthorType,
    DispatchClaim,
    Issue,
    IssueDetail,
    IssueStatus,
    IssueType,
    Priority,
    RelationType,
    Severity,
)
from loop_client.sdk.pagination import Page
from loop_client.sdk.resources._base import UNSET

__all__ = [
    "API_KEY_ENV",
    "API_URL_ENV",
    "DEFAULT_API_URL",
    "UNSET",
    "APIError",
    "AuthenticationError",
    "AuthorType",
    "BadRequestError",
    "ClaimLostError",
    "ConflictError",
    "DispatchClaim",
    "Issue",
    "IssueDetail",
    "IssueStatus",
    "IssueType",
    "LoopClient",
    "LoopConnectionError",
    "LoopError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "Priority",
    "RateLimitError",
    "RelationType",
    "ServerError",
    "ServiceUnavailableError",
    "Severity",
    "UnexpectedResponseError",
    "UnprocessableError",
]
