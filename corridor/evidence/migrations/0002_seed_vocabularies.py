"""Ship the controlled vocabularies (Russian and English) and the three waves of
the Chechnya purges. Organisations add their own terms beside these; shipped codes
never change meaning, so figures stay comparable across the network."""

import datetime
import uuid

from django.db import migrations

TERMS = {
    "act_type": [
        ("arbitrary_detention", "Arbitrary detention", "Произвольное задержание"),
        ("secret_detention", "Detention in an unofficial place", "Содержание в неофициальном месте"),
        ("torture", "Torture", "Пытки"),
        ("ill_treatment", "Cruel, inhuman or degrading treatment", "Жестокое, бесчеловечное или унижающее достоинство обращение"),
        ("sexual_violence", "Sexual violence", "Сексуальное насилие"),
        ("killing", "Killing", "Убийство"),
        ("enforced_disappearance", "Enforced disappearance", "Насильственное исчезновение"),
        ("threats", "Threats", "Угрозы"),
        ("extortion", "Extortion", "Вымогательство"),
        ("forced_outing", "Forced outing to family", "Принудительный аутинг перед семьёй"),
        ("incitement_honour_killing", "Incitement of relatives to an \"honour\" killing", "Подстрекательство родственников к убийству «во имя чести»"),
        ("forced_confession", "Forced confession or video apology", "Принуждение к признанию или видеоизвинению"),
        ("phone_search", "Seizure and search of a phone", "Изъятие и обыск телефона"),
        ("denial_of_medical_care", "Denial of medical care", "Отказ в медицинской помощи"),
        ("persecution_of_relatives", "Persecution of relatives", "Преследование родственников"),
        ("forced_return", "Forced return to the region", "Принудительное возвращение в регион"),
    ],
    "perpetrator_kind": [
        ("police_unit", "Police unit", "Подразделение полиции"),
        ("security_service", "Security service", "Спецслужба"),
        ("military_unit", "Military or paramilitary unit", "Военное или военизированное подразделение"),
        ("official", "Official", "Должностное лицо"),
        ("relative", "Relative", "Родственник"),
        ("private_individual", "Private individual", "Частное лицо"),
        ("unidentified", "Unidentified", "Не установлен"),
    ],
    "place_kind": [
        ("official_detention", "Official detention facility", "Официальное место содержания под стражей"),
        ("unofficial_detention", "Unofficial detention site", "Неофициальное место содержания"),
        ("police_station", "Police station", "Отдел полиции"),
        ("military_base", "Military base", "Военная база"),
        ("settlement", "Town or village", "Город или село"),
        ("home", "Private home", "Частный дом"),
        ("public_place", "Public place", "Общественное место"),
        ("checkpoint", "Checkpoint", "Блокпост"),
    ],
}

WAVES = [
    ("First wave (Dec 2016 – Feb 2017)", "Первая волна (декабрь 2016 – февраль 2017)",
     datetime.date(2016, 12, 1), datetime.date(2017, 2, 28)),
    ("Second wave (Mar – Apr 2017)", "Вторая волна (март – апрель 2017)",
     datetime.date(2017, 3, 1), datetime.date(2017, 4, 30)),
    ("Third wave (Dec 2018 – Jan 2019)", "Третья волна (декабрь 2018 – январь 2019)",
     datetime.date(2018, 12, 1), datetime.date(2019, 1, 31)),
]


def seed(apps, schema_editor):
    Term = apps.get_model("evidence", "Term")
    Wave = apps.get_model("evidence", "Wave")
    for vocabulary, rows in TERMS.items():
        for position, (code, en, ru) in enumerate(rows, start=1):
            Term.objects.get_or_create(
                vocabulary=vocabulary, code=code, organisation=None,
                defaults={"id": uuid.uuid4(), "label_en": en, "label_ru": ru, "position": position * 10},
            )
    for en, ru, starts, ends in WAVES:
        if not Wave.objects.filter(organisation=None, starts=starts).exists():
            Wave.objects.create(id=uuid.uuid4(), name_en=en, name_ru=ru, starts=starts, ends=ends)


def unseed(apps, schema_editor):
    apps.get_model("evidence", "Term").objects.filter(organisation=None).delete()
    apps.get_model("evidence", "Wave").objects.filter(organisation=None).delete()


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
