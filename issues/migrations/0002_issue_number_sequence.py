"""On PostgreSQL, issue numbers come from a sequence so concurrent creators never wait on each
other (issues/numbering.py). SQLite needs nothing: its writers are serialised."""
from django.db import migrations

SEQUENCE = "issue_number_seq"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Issue = apps.get_model("issues", "Issue")
    start = (Issue._base_manager.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {int(start)}")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
