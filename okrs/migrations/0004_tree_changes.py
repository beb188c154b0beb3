from django.db import migrations, models


def install(apps, schema_editor):
    from okrs import tree_memo

    tree_memo.install(using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    # Before the tables go: a trigger left behind would fail every write to the four tables.
    from okrs import tree_memo

    tree_memo.uninstall(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("okrs", "0003_key_result_score_note"),
    ]

    operations = [
        migrations.CreateModel(
            name="TreeChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ],
            options={"verbose_name": "alignment tree change"},
        ),
        migrations.CreateModel(
            name="TreeVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pruned", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "alignment tree version"},
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
