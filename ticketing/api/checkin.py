"""API of the gates: scan a ticket in, the public key that verifies codes offline."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketing.api import serializers as s
from ticketing.services.checkin import ticket_check_in
from ticketing.services.tickets import ticket_public_key_b64

GATE_GROUP = "gate"


class IsStaffOrGate(permissions.BasePermission):
    """Box-office staff, or members of the ``gate`` group (check-in staff)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_staff or user.groups.filter(name=GATE_GROUP).exists()


class CheckInView(APIView):
    """A gate scans a ticket: the first scan admits, any later one is refused."""

    permission_classes = [IsStaffOrGate]

    @extend_schema(
        request=s.CheckInInputSerializer,
        responses={
            200: s.CheckInSerializer,
            400: OpenApiResponse(description="invalid: forged or unknown code"),
            409: OpenApiResponse(description="already_checked_in (with checked_in_at), ticket_revoked"),
        },
    )
    def post(self, request):
        data = s.CheckInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_check_in(
            code=data.validated_data["code"], event_id=data.validated_data.get("event"), actor=request.user
        )
        return Response(s.CheckInSerializer(ticket).data)


class CheckInKeyView(APIView):
    """The public key that verifies ticket codes offline (for gate scanners)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.PublicKeySerializer)
    def get(self, request):
        return Response(
            {
                "algorithm": "Ed25519",
                "public_key": ticket_public_key_b64(),
                "code_format": "base64url(version:u8 | event:u64 | event_seat:u64 | booking:u64 "
                "| Ed25519(b'ticket:' + those 25 bytes)), no padding; a ticket given by a transfer:"
                " version 2, the same fields then generation:u32 (29 bytes signed)",
            }
        )
