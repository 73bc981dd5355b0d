"""Synthetic intake for the demo: sealed web submissions still waiting, opened ones
in every status, operator-recorded calls with phones, vetting decisions, links,
replies and a follow-up, and one contact accepted as a case.

Stories are assembled from templates and Faker place names: synthetic only.
Receipts of the demo web contacts go to var/demo-receipts.txt (mode 0600) so the
public return page can be tried.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings

from corridor.accounts.permissions import Role
from corridor.intake import receipts, sealing
from corridor.intake.models import Contact, Status
from corridor.intake.services import (
    contact_open_case,
    contact_record,
    contact_set_flags,
    contact_set_status,
    contacts_link,
    follow_up_create,
    messages_open,
    reply_send,
    submission_create,
    vetting_record,
)
from corridor.intake.services.public import Opened, receipt_verify

STORIES = [
    "Меня задержали возле дома в {in_city} и держали {days}. Требовали назвать имена знакомых.",
    "Родственники узнали обо мне. Брат сказал, что меня «вылечат». Я сейчас у подруги в {in_city}.",
    "Моего друга забрали неделю назад. В его телефоне был мой номер. Мне звонят с незнакомых номеров.",
    "Меня вызывают в отдел полиции в {in_city} «на беседу». Боюсь, что не отпустят.",
    "Отец забрал паспорт и не выпускает из дома. Пишу с телефона сестры.",
    "После задержания у меня болят рёбра, к врачу идти боюсь. Нахожусь в {in_city}.",
    "Мне угрожают опубликовать переписку, если я не заплачу. Деньги просят через знакомых.",
    "Я уже уехал(а) в {to_city}, но меня ищут через родных. Нужна помощь с документами.",
]
REACH = ["Signal после 22:00", "Telegram, только текст", "Пишите здесь, звонить нельзя", "",
         "Звонить с 9 до 11, отвечу я сам(а)", "WhatsApp сестры, спросить Лизу"]
WHERE = ["Грозный", "Гудермес", "Махачкала", "Москва", "Нальчик", "", "Владикавказ"]
CHANNELS = ["phone", "telegram", "signal", "whatsapp", "email", "referral"]


# The towns of WHERE in the prepositional ("в Грозном") and accusative ("в Москву") cases.
IN_CITY = {"Грозный": "Грозном", "Гудермес": "Гудермесе", "Махачкала": "Махачкале", "Москва": "Москве",
           "Нальчик": "Нальчике"}
TO_CITY = {"Грозный": "Грозный", "Гудермес": "Гудермес", "Махачкала": "Махачкалу", "Москва": "Москву",
           "Нальчик": "Нальчик"}


def days_ru(n: int) -> str:
    """"2 дня", "5 дней", "21 день": the Russian plural of a number of days."""
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} день"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} дня"
    return f"{n} дней"


def _story(ctx) -> str:
    city = ctx.rng.choice(WHERE[:5])
    return ctx.rng.choice(STORIES).format(in_city=IN_CITY[city], to_city=TO_CITY[city],
                                          days=days_ru(ctx.rng.randint(2, 9)))


def _submit(ctx, org, what: str, urgency: int) -> tuple[str, object]:
    done = submission_create(
        organisation=org, payload={"what": what, "where": ctx.rng.choice(WHERE), "urgency": urgency,
                                   "reach": ctx.rng.choice(REACH), "lang": "ru"},
        content_key=sealing.new_content_key(), message_id=uuid.uuid4(), uploads=[], token_digest=None,
        base_dir=settings.CORRIDOR_BLOB_DIR,
    )
    return done.receipt, done.contact


def populate(ctx) -> None:
    written: list[str] = []
    for index, org in enumerate(ctx.organisations):
        operator = (ctx.users(org, Role.OPERATOR) or [None])[0]
        coordinator = (ctx.users(org, Role.COORDINATOR) or [None])[0]
        if operator is None or coordinator is None:
            continue
        scale = 1 if index == 0 else 0.5
        opened = [_submit(ctx, org, _story(ctx), ctx.rng.choice([1, 2, 3])) for _ in range(int(8 * scale))]
        messages_open(actor=operator, organisation=org)
        opened = [(receipt, Contact.objects.select_related("data_key").get(pk=c.pk)) for receipt, c in opened]
        recorded = []
        for i in range(int(8 * scale)):
            channel = CHANNELS[i % len(CHANNELS)]
            recorded.append(contact_record(
                actor=operator, organisation=org, channel=channel, what=_story(ctx),
                where=ctx.rng.choice(WHERE), reach=ctx.rng.choice(REACH),
                partner="Партнёрская сеть «Юг»" if channel == "referral" else "",
                urgency=ctx.rng.choice([1, 2, 3]), flags=ctx.rng.sample(["authorities", "family", "medical"], 1),
                identifiers=[("phone", ctx.phone())] + ([("handle", f"@{ctx.fake_en.user_name()}")]
                                                        if i % 2 else []),
            ))
        _decide(ctx, org, operator, coordinator, [c for _, c in opened], recorded)
        for receipt, contact in opened[:3]:
            reply_send(actor=operator, contact=contact, text="Здравствуйте. Мы прочитали ваше сообщение. "
                                                             "Вы сейчас в безопасности? Когда можно связаться?")
            written.append(f"{org.slug:8} {receipts.display(receipt)}")
        if opened:
            receipt, contact = opened[0]
            follow_up_create(opened=_opened(receipt), payload={"text": "Да, я в безопасности до пятницы. "
                                                               "Signal после 22:00.", "lang": "ru"},
                             content_key=sealing.new_content_key(), message_id=uuid.uuid4(), uploads=[],
                             token_digest=None, base_dir=settings.CORRIDOR_BLOB_DIR)
        # Some arrive while nobody has opened the queue yet: they stay sealed.
        for _ in range(int(4 * scale)):
            receipt, _contact = _submit(ctx, org, _story(ctx), ctx.rng.choice([1, 2, 3]))
            written.append(f"{org.slug:8} {receipts.display(receipt)}")
        ctx.shared.setdefault("intake_recorded", {})[org.slug] = recorded
        ctx.advance("Intake", index + 1, len(ctx.organisations))
    _write_receipts(written)


def _opened(receipt: str) -> Opened:
    return receipt_verify(text=receipts.display(receipt))


def _decide(ctx, org, operator, coordinator, web, recorded) -> None:
    contacts = web + recorded
    plan = [Status.VETTING, Status.VETTING, Status.REFERRED, Status.DECLINED, Status.SPAM, Status.PROVOCATION]
    for contact, status in zip(contacts[2:], plan, strict=False):
        actor = coordinator if status in (Status.REFERRED, Status.DECLINED, Status.PROVOCATION) else operator
        if status in (Status.VETTING, Status.PROVOCATION):
            vetting_record(actor=operator, contact=contact, item="consistency",
                           outcome="passed" if status == Status.VETTING else "concern",
                           note="Рассказ совпадает с тем, что известно о задержаниях в этом районе."
                           if status == Status.VETTING else "Детали расходятся с первым звонком.")
        if status != Status.VETTING:
            contact_set_status(actor=actor, contact=contact, status=status,
                               reason="Спрашивал адреса квартир и не смог назвать, кто дал номер."
                               if status == Status.PROVOCATION else "")
    if len(contacts) > 9:
        vetting_record(actor=operator, contact=contacts[9], item="referee", outcome="passed",
                       note="Поручилась знакомая из партнёрской группы.")
        contact_set_flags(actor=operator, contact=contacts[9], flags=["authorities", "detained"], urgency=3)
    if len(recorded) > 2:
        contacts_link(actor=operator, contact=recorded[0], other=recorded[1], relation="event")
    if web:
        workers = ctx.users(org, Role.CASE_WORKER)
        from corridor.cases.demo import latin

        name = ctx.fake_ru.name_male()
        vetting_record(actor=operator, contact=web[0], item="referee", outcome="passed",
                       note="Поручился человек, которого мы вывезли в прошлом году.")
        contact_open_case(actor=coordinator, contact=web[0], name=name, name_latin=latin(name),
                          summary="Принят после проверки; нужен безопасный выезд.",
                          worker=workers[0] if workers else None)


def _write_receipts(lines: list[str]) -> None:
    path = Path(settings.VAR_DIR) / "demo-receipts.txt"
    header = ["Receipts of synthetic demo web contacts (try them at /receipt/). Keep this file private.", ""]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(header + lines) + "\n")
