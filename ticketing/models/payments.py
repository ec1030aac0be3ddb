from django.db import models
from django.db.models import Q


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # the charge is being sent; its answer is not recorded yet
    CHARGED = "charged", "Charged"  # money taken; ``booking`` says whether it paid for one
    DECLINED = "declined", "Declined"
    FAILED = "failed", "Failed"  # the gateway could not be reached or answered an error
    REFUNDING = "refunding", "Refund due"  # committed decision to refund; gateway call pending
    REFUNDED = "refunded", "Refunded"


OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.CHARGED)

#: Money taken at the box-office desk (services/box_office.py), the Payment's ``gateway``: no
#: gateway charged it, so none refunds it; the desk hands it back and staff record the refund.
DESK_METHODS = ("cash", "card_present")


class Payment(models.Model):
    """One charge attempt through the payment gateway for one hold, and its refund.

    The gateway is never called inside a database transaction: the row records each step
    before and after the call (``pending`` → ``charged``/``declined``/``failed``; a refund is
    decided as ``refunding`` in the transaction that cancels, then ``refunded`` after the call),
    so an interrupted process leaves a row that says exactly what to retry.
    """

    Status = PaymentStatus

    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    hold = models.ForeignKey("ticketing.Hold", on_delete=models.PROTECT, related_name="payments")
    booking = models.OneToOneField(
        "ticketing.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    gateway = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=100, unique=True)
    charge_id = models.CharField(max_length=200, blank=True)
    refund_id = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # A partial refund (a season booking cancelled pro rata); null: the whole amount.
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    refunded_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Box office: the staff member who took the payment at the desk (cash or card present).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            # One charge in flight or taken per hold: a double-submitted "book" cannot charge twice.
            models.UniqueConstraint(
                fields=["hold"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="payment_one_open_per_hold",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["charged", "refunding", "refunded"]) | ~Q(charge_id=""),
                name="payment_charged_has_charge_id",
            ),
        ]
        indexes = [
            # The refund sweeper and event cancellation look for payments in a given status.
            models.Index(fields=["status", "updated_at"], name="payment_status_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status}, {self.amount} {self.currency})"
