"""Check-ins are append-only, enforced by PostgreSQL itself.

A BEFORE UPDATE OR DELETE trigger on cycles_checkin rejects every change to a stored check-in,
whatever path it takes (the ORM, a bulk update, raw SQL in a shell, another program). A
correction is a new row pointing at the one it corrects (CheckIn.corrects).

- PostgreSQL only: on SQLite (the demo's embedded default) the model and its QuerySet refuse
  updates and deletes, but raw SQL is not stopped. SQLite triggers would also block the test
  runner's flush, which deletes rows one statement at a time; PostgreSQL flushes with
  TRUNCATE, which row-level triggers do not see.
- An operator who must erase check-ins (a court order, personal data) can, deliberately, in
  one transaction: SET LOCAL quarterdeck.allow_check_in_erasure = 'on'; then DELETE.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION cycles_check_in_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('quarterdeck.allow_check_in_erasure', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'check-ins are append-only: record a correction instead of % on cycles_checkin', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cycles_check_in_append_only
    BEFORE UPDATE OR DELETE ON cycles_checkin
    FOR EACH ROW EXECUTE FUNCTION cycles_check_in_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cycles_check_in_append_only ON cycles_checkin;
DROP FUNCTION IF EXISTS cycles_check_in_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cycles", "0002_check_ins_cadences_reminders")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
