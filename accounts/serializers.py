from typing import Any

from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer

from accounts.models import User
from accounts.services import refresh_token_rotate
from accounts.usernames import username_normalize
from config.serializers import RefuseUnknownFieldsMixin, StrictInputSerializer


class UsernameField(serializers.RegexField):
    """A username in its stored form: NFKC first, then the character rule and the length."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if self.max_length is not None and len(value) > self.max_length:
            return value  # refused anyway: normalising never shortens a string
        return username_normalize(username=value)


class RegisterInputSerializer(StrictInputSerializer):
    username = UsernameField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "is_staff"]
        read_only_fields = fields


class RegisteredUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email"]
        read_only_fields = fields


class LogoutInputSerializer(StrictInputSerializer):
    refresh = serializers.CharField()


class LoginInputSerializer(RefuseUnknownFieldsMixin, TokenObtainPairSerializer):
    """simplejwt's login, refusing unknown fields like every other input."""


class RefreshInputSerializer(RefuseUnknownFieldsMixin, TokenRefreshSerializer):
    """simplejwt's refresh fields, refusing unknown ones; the rotation is ``refresh_token_rotate``."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        pair = refresh_token_rotate(token=self.token_class(attrs["refresh"]))
        return {"access": pair.access, "refresh": pair.refresh}
