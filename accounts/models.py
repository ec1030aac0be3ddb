from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A buyer, or staff when ``is_staff``. Gate staff belong to the ``gate`` group."""

    class Meta:
        db_table = "accounts_user"
