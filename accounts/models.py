from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.usernames import UsernameScriptValidator, username_normalize

USERNAME_TAKEN = "That username is taken."


class User(AbstractUser):
    """A buyer, or staff when ``is_staff``. Gate staff belong to the ``gate`` group."""

    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="Required. 150 characters or fewer. Letters of one script, digits and @/./+/-/_ only.",
        validators=[UnicodeUsernameValidator(), UsernameScriptValidator()],
        error_messages={"unique": "A user with that username already exists."},
    )

    class Meta:
        db_table = "accounts_user"
        constraints = [
            # Usernames are unique ignoring case: "Probe" and "probe" are one name. The backstop
            # for two signups racing; user_register's check gives the good error first.
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_lower_unique",
                violation_error_message=USERNAME_TAKEN,
            ),
        ]

    @classmethod
    def normalize_username(cls, username):
        """Every path that makes a user (create_user, createsuperuser, forms) stores this form."""
        return username_normalize(username=username) if isinstance(username, str) else username
