"""API of the buyer's holds: list, read, release. Holds are made on an event (api/events.py)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from ticketing.api import serializers as s
from ticketing.models import Hold
from ticketing.selectors.purchases import holds_live_of, holds_of
from ticketing.services.holds import holds_release


class HoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's holds: the list shows live ones; another buyer's hold is a 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.HoldSerializer
    # a release needs only the buyer's id: their own hold, found by it (config/authentication.py)
    token_claims_suffice = ("destroy",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Hold.objects.none()
        if self.action == "list":
            return holds_live_of(buyer=self.request.user, now=timezone.now())
        return holds_of(buyer=self.request.user)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        holds_release(hold_ids=[self.get_object().pk], actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
