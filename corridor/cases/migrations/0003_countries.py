"""Reference data: destination countries (the EU 27 first, then others that have
taken people persecuted in the North Caucasus). Names in English and Russian."""

from django.db import migrations

EU = [
    ("AT", "Austria", "Австрия"), ("BE", "Belgium", "Бельгия"), ("BG", "Bulgaria", "Болгария"),
    ("HR", "Croatia", "Хорватия"), ("CY", "Cyprus", "Кипр"), ("CZ", "Czechia", "Чехия"),
    ("DK", "Denmark", "Дания"), ("EE", "Estonia", "Эстония"), ("FI", "Finland", "Финляндия"),
    ("FR", "France", "Франция"), ("DE", "Germany", "Германия"), ("GR", "Greece", "Греция"),
    ("HU", "Hungary", "Венгрия"), ("IE", "Ireland", "Ирландия"), ("IT", "Italy", "Италия"),
    ("LV", "Latvia", "Латвия"), ("LT", "Lithuania", "Литва"), ("LU", "Luxembourg", "Люксембург"),
    ("MT", "Malta", "Мальта"), ("NL", "Netherlands", "Нидерланды"), ("PL", "Poland", "Польша"),
    ("PT", "Portugal", "Португалия"), ("RO", "Romania", "Румыния"), ("SK", "Slovakia", "Словакия"),
    ("SI", "Slovenia", "Словения"), ("ES", "Spain", "Испания"), ("SE", "Sweden", "Швеция"),
]
OTHERS = [
    ("NO", "Norway", "Норвегия"), ("IS", "Iceland", "Исландия"), ("CH", "Switzerland", "Швейцария"),
    ("GB", "United Kingdom", "Великобритания"), ("CA", "Canada", "Канада"), ("US", "United States", "США"),
    ("AR", "Argentina", "Аргентина"), ("UY", "Uruguay", "Уругвай"), ("BR", "Brazil", "Бразилия"),
    ("IL", "Israel", "Израиль"), ("GE", "Georgia", "Грузия"), ("AM", "Armenia", "Армения"),
    ("TR", "Türkiye", "Турция"), ("RS", "Serbia", "Сербия"), ("ME", "Montenegro", "Черногория"),
    ("KZ", "Kazakhstan", "Казахстан"), ("AU", "Australia", "Австралия"), ("NZ", "New Zealand", "Новая Зеландия"),
]


def seed(apps, schema_editor):
    Country = apps.get_model("cases", "Country")
    rows = [Country(code=c, name_en=en, name_ru=ru, eu=True) for c, en, ru in EU]
    rows += [Country(code=c, name_en=en, name_ru=ru, eu=False) for c, en, ru in OTHERS]
    Country.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("cases", "Country").objects.filter(code__in=[c for c, _en, _ru in EU + OTHERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_alert_application_breakglass_checkin_checklisttick_and_more")]
    operations = [migrations.RunPython(seed, unseed)]
