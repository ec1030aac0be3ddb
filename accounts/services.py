from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from config.errors import Invalid


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a buyer account; Django's password validators apply."""
    candidate = User(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise Invalid("The password is too weak.", fields={"password": list(exc.messages)}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise Invalid("That username is taken.", fields={"username": ["That username is taken."]})
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:  # a concurrent signup took the name
        raise Invalid("That username is taken.", fields={"username": ["That username is taken."]}) from exc
