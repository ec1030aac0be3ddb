from django.apps import AppConfig
from django.db.models.signals import post_save


class TicketingConfig(AppConfig):
    name = "ticketing"

    def ready(self) -> None:
        from ticketing.locking import lock_hall_for_layout
        from ticketing.services import tickets, waiting_room  # noqa: F401 - register the key checks
        from venues import services as venues_services

        # venues guards a hall's layout through ticketing's lock module (venues/services.py)
        venues_services.hall_guard = lock_hall_for_layout
        post_save.connect(_event_saved, sender="ticketing.Event", dispatch_uid="event-forget")
        # sweeper lag, outbox backlog, waiting rooms in GET /metrics (config/metrics.py)
        from config.metrics import collector_add
        from ticketing.metrics import COLLECTOR, QUEUE_COLLECTOR

        collector_add(COLLECTOR)
        collector_add(QUEUE_COLLECTOR)


def _event_saved(sender, instance, **kwargs) -> None:
    from ticketing.selectors.events import event_forget
    from ticketing.services.waiting_room import waiting_room_event_saved

    event_forget(instance.pk)
    waiting_room_event_saved(instance)  # its waiting room mirrored into Redis, once committed
