from django.apps import AppConfig


class TicketingConfig(AppConfig):
    name = "ticketing"

    def ready(self) -> None:
        from ticketing.services import tickets  # noqa: F401 - registers the signing-key check
