from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

#: A venue's zone until staff set it. The server's own zone (settings.TIME_ZONE) is UTC and says
#: nothing about where a venue is; a literal keeps the migration independent of the settings, and
#: UTC shows existing venues' times exactly as before, now labelled "UTC".
DEFAULT_TIME_ZONE = "UTC"


def validate_time_zone(value: str) -> None:
    """An IANA time zone name that ``zoneinfo`` knows, such as ``Europe/Paris``."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            "Unknown time zone %(value)s: use an IANA name such as Europe/Paris or America/New_York.",
            code="invalid_time_zone",
            params={"value": repr(value)},
        ) from None


class VenueKind(models.TextChoices):
    STADIUM = "stadium", "Stadium"
    ARENA = "arena", "Arena"
    CINEMA = "cinema", "Cinema"
    THEATRE = "theatre", "Theatre"


class Venue(models.Model):
    Kind = VenueKind

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=VenueKind.choices)
    city = models.CharField(max_length=120)
    address = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="The venue's IANA time zone, e.g. Europe/Paris: buyers see event times in it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=VenueKind.values), name="venue_kind_valid"),
            models.CheckConstraint(condition=~Q(time_zone=""), name="venue_time_zone_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        """The venue's time zone: buyers see its events' times in it (``timezone.override``)."""
        return ZoneInfo(self.time_zone)


class Hall(models.Model):
    """A seating area: a stadium bowl, an arena floor or a cinema screen."""

    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="halls")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["venue_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="hall_name_unique_per_venue"),
        ]

    def __str__(self) -> str:
        return f"{self.venue.name} – {self.name}"


class Section(models.Model):
    """A block or stand of a hall; ``position`` orders sections for display."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hall_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "name"], name="section_name_unique_per_hall"),
        ]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    """One physical seat. ``row_index`` orders rows (labels like "AA" do not sort).

    Unique per (section, row, number); a section belongs to exactly one hall, so this is the
    (hall, section, row, number) uniqueness of the spec.
    """

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="seats")
    row_label = models.CharField(max_length=10)
    row_index = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    category = models.CharField(max_length=40, default="standard")
    accessible = models.BooleanField(default=False)
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["section_id", "row_index", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "row_label", "number"], name="seat_unique_per_section_row_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=10_000), name="seat_number_range"
            ),
            models.CheckConstraint(condition=~Q(row_label=""), name="seat_row_label_not_empty"),
            models.CheckConstraint(condition=~Q(category=""), name="seat_category_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.section.name} row {self.row_label} seat {self.number}"
