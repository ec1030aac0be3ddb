from django.apps import AppConfig
from django.db.models.signals import post_save


class TicketingConfig(AppConfig):
    name = "ticketing"

    def ready(self) -> None:
        from ticketing.locking import lock_hall_for_layout
        from ticketing.services import tickets  # noqa: F401 - registers the signing-key check
        from venues import services as venues_services

        # venues guards a hall's layout through ticketing's lock module (venues/services.py)
        venues_services.hall_guard = lock_hall_for_layout
        post_save.connect(_event_saved, sender="ticketing.Event", dispatch_uid="event-forget")
        # sweeper lag and outbox backlog in GET /metrics (config/metrics.py)
        from config.metrics import collector_add
        from ticketing.metrics import COLLECTOR

        collector_add(COLLECTOR)


def _event_saved(sender, instance, **kwargs) -> None:
    from ticketing.selectors.events import event_forget

    event_forget(instance.pk)
