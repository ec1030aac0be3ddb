"""Data: the ``gate`` group whose members may check tickets in (POST /api/v1/checkin/)."""

from django.db import migrations

GATE = "gate"


def create_gate_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GATE)


def delete_gate_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GATE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("ticketing", "0002_payment"),
    ]

    operations = [migrations.RunPython(create_gate_group, delete_gate_group)]
