"""Template, version, review, preview and prompt-dashboard endpoints: thin views over
``templates_app.services`` and ``templates_app.selectors``."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues.audit import actor_for_user
from loop_project.api import ErrorOut, LoopJSONParser, LoopPagination, PageParams, data_response
from templates_app import selectors, services
from templates_app.api.serializers import (
    PreviewIn,
    PreviewOut,
    PromptHealthOut,
    PromptReviewOut,
    PromptTemplateDetailOut,
    PromptTemplateOut,
    PromptVersionOut,
    ReviewEnvelopeOut,
    ReviewIn,
    ReviewPageOut,
    TemplateCreateIn,
    TemplateDetailEnvelopeOut,
    TemplateEnvelopeOut,
    TemplatePageOut,
    TemplateUpdateIn,
    VersionCreateIn,
    VersionEnvelopeOut,
    VersionPageOut,
    preview_body,
)

_UNAUTHORIZED = OpenApiResponse(ErrorOut, description="Missing or invalid API key")
_FORBIDDEN = OpenApiResponse(ErrorOut, description="The API key lacks the scope")
_INVALID = OpenApiResponse(ErrorOut, description="Request does not fit the schema (field named in details)")
_TEMPLATE_NOT_FOUND = OpenApiResponse(ErrorOut, description="Template not found")
_AUTH = {401: _UNAUTHORIZED, 403: _FORBIDDEN}
_TAGS = ["Templates"]


def _paginated(request: Request, view: APIView, queryset, serializer_class) -> Response:
    paginator = LoopPagination()
    page = paginator.paginate_queryset(queryset, request, view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class TemplateListApi(APIView):
    # Oversized or too deeply nested JSON is a 413/400, never a 500.
    parser_classes = [LoopJSONParser]

    @extend_schema(
        tags=_TAGS, operation_id="templates_list", summary="List prompt templates",
        parameters=[PageParams],
        responses={200: TemplatePageOut, 400: _INVALID, **_AUTH},
    )
    def get(self, request: Request) -> Response:
        return _paginated(request, self, selectors.template_list(), PromptTemplateOut)

    @extend_schema(
        tags=_TAGS, operation_id="templates_create", summary="Create a prompt template",
        description="Creates a template with no version; its first version becomes active at once.",
        request=TemplateCreateIn,
        responses={
            201: TemplateEnvelopeOut,
            400: _INVALID,
            409: OpenApiResponse(ErrorOut, description="Template slug already exists"),
            422: OpenApiResponse(ErrorOut, description="Project not found"),
            **_AUTH,
        },
    )
    def post(self, request: Request) -> Response:
        body = TemplateCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        template = services.create_template(
            slug=data["slug"],
            name=data["name"],
            description=data.get("description"),
            conditions=data["conditions"],
            specificity=data["specificity"],
            project_id=data.get("projectId"),
        )
        return data_response(PromptTemplateOut(template).data, status.HTTP_201_CREATED)


class TemplateDetailApi(APIView):
    parser_classes = [LoopJSONParser]

    @extend_schema(
        tags=_TAGS, operation_id="templates_retrieve", summary="Get template by ID",
        description="The template with its active version (null when it has none).",
        responses={200: TemplateDetailEnvelopeOut, 404: _TEMPLATE_NOT_FOUND, **_AUTH},
    )
    def get(self, request: Request, template_id: str) -> Response:
        template = selectors.template_detail(template_id=template_id)
        return data_response(PromptTemplateDetailOut(template).data)

    @extend_schema(
        tags=_TAGS, operation_id="templates_update", summary="Update a template",
        description="Changes only the fields sent; `conditions` is replaced whole.",
        request=TemplateUpdateIn,
        responses={
            200: TemplateEnvelopeOut,
            400: _INVALID,
            404: _TEMPLATE_NOT_FOUND,
            422: OpenApiResponse(ErrorOut, description="Project not found"),
            **_AUTH,
        },
    )
    def patch(self, request: Request, template_id: str) -> Response:
        body = TemplateUpdateIn(data=request.data)
        body.is_valid(raise_exception=True)
        template = services.update_template(template_id=template_id, changes=body.to_changes())
        return data_response(PromptTemplateOut(template).data)

    @extend_schema(
        tags=_TAGS, operation_id="templates_destroy", summary="Soft-delete a template",
        responses={204: OpenApiResponse(description="Template deleted"), 404: _TEMPLATE_NOT_FOUND, **_AUTH},
    )
    def delete(self, request: Request, template_id: str) -> Response:
        services.delete_template(template_id=template_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionListApi(APIView):
    parser_classes = [LoopJSONParser]

    @extend_schema(
        tags=_TAGS, operation_id="templates_versions_list", summary="List versions for a template",
        description="Newest first.",
        parameters=[PageParams],
        responses={200: VersionPageOut, 400: _INVALID, 404: _TEMPLATE_NOT_FOUND, **_AUTH},
    )
    def get(self, request: Request, template_id: str) -> Response:
        return _paginated(
            request, self, selectors.version_list(template_id=template_id), PromptVersionOut
        )

    @extend_schema(
        tags=_TAGS, operation_id="templates_versions_create", summary="Create a new version",
        description=(
            "Version number is the template's highest + 1. The first version of a template "
            "without an active version becomes active; later ones are drafts until promoted. "
            "Content is Jinja2 rendered in a sandbox; it is refused (422) when it has triple "
            "braces, a syntax error, an unknown partial or a name that is not in the context."
        ),
        request=VersionCreateIn,
        responses={
            201: VersionEnvelopeOut,
            400: _INVALID,
            404: _TEMPLATE_NOT_FOUND,
            422: OpenApiResponse(ErrorOut, description="Content rejected (reason in error)"),
            **_AUTH,
        },
    )
    def post(self, request: Request, template_id: str) -> Response:
        body = VersionCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version = services.create_version(
            template_id=template_id,
            content=data["content"],
            changelog=data.get("changelog"),
            author_type=data["authorType"],
            author_name=data["authorName"],
        )
        return data_response(PromptVersionOut(version).data, status.HTTP_201_CREATED)


class VersionPromoteApi(APIView):
    parser_classes = [LoopJSONParser]

    @extend_schema(
        tags=_TAGS, operation_id="templates_versions_promote", summary="Promote a version to active",
        description="Makes the version active and retires the previously active one, atomically.",
        request=None,
        responses={
            200: VersionEnvelopeOut,
            404: OpenApiResponse(ErrorOut, description="Template or version not found"),
            422: OpenApiResponse(ErrorOut, description="Version is already active"),
            **_AUTH,
        },
    )
    def post(self, request: Request, template_id: str, version_id: str) -> Response:
        version = services.promote_version(template_id=template_id, version_id=version_id)
        return data_response(PromptVersionOut(version).data)


class TemplateReviewListApi(APIView):
    @extend_schema(
        tags=_TAGS, operation_id="templates_reviews_list", summary="List reviews for a template",
        description="Reviews of all versions of the template, newest first.",
        parameters=[PageParams],
        responses={200: ReviewPageOut, 400: _INVALID, 404: _TEMPLATE_NOT_FOUND, **_AUTH},
    )
    def get(self, request: Request, template_id: str) -> Response:
        return _paginated(
            request, self, selectors.review_list(template_id=template_id), PromptReviewOut
        )


class TemplatePreviewApi(APIView):
    @extend_schema(
        tags=_TAGS, operation_id="templates_preview", summary="Preview template selection for an issue",
        description=(
            "Selects and renders the template dispatch would use for the issue, without claiming "
            "it or counting usage. The answer is at the top level and again under `data`. With no "
            "match, template, version and prompt are null and `message` says why; a template that "
            "fails to render gives prompt null and the reason in `message` and `error`. "
            "`versionId` renders that version (e.g. a draft) instead, to try it before promoting."
        ),
        parameters=[PreviewIn],
        responses={
            200: PreviewOut,
            400: _INVALID,
            404: OpenApiResponse(ErrorOut, description="Issue (or the given version) not found"),
            **_AUTH,
        },
    )
    def get(self, request: Request, issue_id: str) -> Response:
        params = PreviewIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        preview = selectors.template_preview(
            issue_id=issue_id, version_id=params.validated_data.get("versionId")
        )
        body = preview_body(preview)
        return Response({**body, "data": body})


class PromptReviewCreateApi(APIView):
    parser_classes = [LoopJSONParser]

    @extend_schema(
        tags=["Prompt Reviews"], operation_id="prompt_reviews_create", summary="Submit a prompt review",
        description=(
            "Rates a prompt version (1-5 each). The version's reviewScore becomes the composite "
            "(mean of the three) on its first review, then 0.3 × composite + 0.7 × previous. With "
            "≥3 reviews and a score below 3.5 (or ≥15 reviews) an 'Improve prompt template' task "
            "is opened, unless one is already open for the template."
        ),
        request=ReviewIn,
        responses={
            201: ReviewEnvelopeOut,
            400: _INVALID,
            404: OpenApiResponse(ErrorOut, description="Version not found"),
            422: OpenApiResponse(ErrorOut, description="Issue not found"),
            **_AUTH,
        },
    )
    def post(self, request: Request) -> Response:
        body = ReviewIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        outcome = services.record_review(
            version_id=data["versionId"],
            issue_id=data["issueId"],
            clarity=data["clarity"],
            completeness=data["completeness"],
            relevance=data["relevance"],
            feedback=data.get("feedback"),
            author_type=data["authorType"],
            actor=actor_for_user(request.user),
        )
        return data_response(PromptReviewOut(outcome.review).data, status.HTTP_201_CREATED)


class PromptDashboardApi(APIView):
    @extend_schema(
        tags=["Dashboard"], operation_id="dashboard_prompts", summary="Template health with scores",
        description=(
            "Every live template with its active version, last five versions and a summary of the "
            "active version's reviews (averages as numbers). needsAttention: compositeScore < 3.0 "
            "or the active version's completionRate < 0.5."
        ),
        responses={200: PromptHealthOut, **_AUTH},
    )
    def get(self, request: Request) -> Response:
        return Response(PromptHealthOut({"data": selectors.prompt_health()}).data)
