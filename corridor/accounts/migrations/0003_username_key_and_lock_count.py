import unicodedata

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.all().only("pk", "username"):
        key = unicodedata.normalize("NFKC", user.username.strip()).casefold()
        User.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [
        migrations.AddField(model_name="user", name="username_key",
                            field=models.CharField(editable=False, max_length=256, null=True)),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(model_name="user", name="username_key",
                              field=models.CharField(editable=False, max_length=256, unique=True)),
        migrations.AddField(model_name="loginthrottle", name="locks",
                            field=models.PositiveIntegerField(default=0)),
    ]
