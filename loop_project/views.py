"""Public, unauthenticated endpoints: service info and health."""
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

import loop_project


@extend_schema(
    auth=[],
    responses=inline_serializer(
        "ServiceInfo", {"name": serializers.CharField(), "version": serializers.CharField()}
    ),
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def service_info(request: Request) -> Response:
    return Response({"name": "Loop API", "version": loop_project.__version__})


@extend_schema(
    auth=[],
    responses=inline_serializer(
        "Health",
        {
            "ok": serializers.BooleanField(),
            "service": serializers.CharField(),
            "timestamp": serializers.DateTimeField(),
        },
    ),
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request: Request) -> Response:
    # Touch the database so a load balancer takes an instance that cannot reach it out of rotation;
    # a failure becomes 503 with Retry-After through the API's exception handler.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Response({"ok": True, "service": "loop-api", "timestamp": timezone.now()})
