"""Fixed pools for the demo: synthetic texts and realistic proportions. Nothing here
is about a real person."""

from __future__ import annotations

from corridor.cases.models import Stage

STAGE_WEIGHTS = {
    Stage.CONTACTED: 14, Stage.VETTING: 9, Stage.ACCEPTED: 7, Stage.LEAVING_REGION: 6, Stage.SHELTERED: 10,
    Stage.DOCUMENTS: 8, Stage.VISA_ASYLUM: 8, Stage.DEPARTED: 5, Stage.RESETTLED: 15,
    Stage.DECLINED: 5, Stage.LOST_CONTACT: 4, Stage.DETAINED: 2, Stage.RETURNED: 3, Stage.DECEASED: 1, Stage.CLOSED: 3,
}
GENDERS = ["man", "woman", "trans woman", "trans man", "non-binary"]
GENDER_WEIGHTS = [70, 12, 8, 5, 5]

# (country, weight, chance a decided application is granted)
COUNTRIES = [
    ("DE", 20, .75), ("CA", 14, .85), ("FR", 12, .7), ("LT", 10, .8), ("NL", 8, .65), ("SE", 8, .6),
    ("BE", 5, .6), ("NO", 4, .7), ("FI", 4, .55), ("AT", 3, .4), ("PL", 3, .15), ("GB", 3, .2),
    ("IE", 2, .5), ("CZ", 2, .1), ("EE", 2, .5), ("IT", 2, .1), ("ES", 2, .15), ("US", 2, .1),
    ("AR", 2, .8), ("CH", 2, .35), ("DK", 2, .3), ("LV", 2, .4), ("IS", 1, .6), ("PT", 1, .5),
]

REASONS = {
    Stage.VETTING: ["Звонок на горячую линию, история проверяется.", "Контакт через знакомого, нужна проверка."],
    Stage.ACCEPTED: ["Проверка пройдена, риск подтверждён.", "Два независимых источника подтвердили угрозу."],
    Stage.LEAVING_REGION: ["Маршрут согласован, выезд ночью.", "Выезд на машине волонтёра."],
    Stage.SHELTERED: ["Прибыл в безопасное жильё.", "Размещён во временном жилье."],
    Stage.DOCUMENTS: ["Нужен новый загранпаспорт.", "Паспорт изъят, восстанавливаем документы."],
    Stage.VISA_ASYLUM: ["Подана заявка на гуманитарную визу.", "Документы готовы, запись в посольство."],
    Stage.DEPARTED: ["Виза выдана, выехал из страны.", "Пересёк границу, всё спокойно."],
    Stage.RESETTLED: ["Получено убежище.", "Решение о защите получено."],
    Stage.DECLINED: ["Не подтвердилось.", "Признаки провокации."],
    Stage.LOST_CONTACT: ["Не выходит на связь больше двух недель."],
    Stage.DETAINED: ["Задержан на блокпосту."],
    Stage.RETURNED: ["Вернулся в регион по своему решению."],
    Stage.DECEASED: ["Сообщили о гибели."],
    Stage.CLOSED: ["Помощь больше не нужна."],
}
PROVIDERS = {
    "medical": ["Клиника «Здоровье»", "Частный врач (терапевт)", "Травмпункт"],
    "psychological": ["Психолог сети", "Онлайн-консультации психолога"],
    "legal": ["Адвокат сети", "Юрист правозащитного центра"],
    "basic_needs": ["Продукты и одежда", "Гигиенические наборы"],
    "cash": ["Наличная помощь", "Перевод на карту"],
    "travel": ["Билеты на поезд", "Авиабилеты", "Трансфер волонтёра"],
    "documents": ["Нотариальный перевод", "Госпошлина за загранпаспорт"],
}
COSTS = {"medical": (2000, 30000), "psychological": (1500, 6000), "legal": (5000, 60000),
         "basic_needs": (1000, 8000), "cash": (5000, 30000), "travel": (3000, 45000), "documents": (1500, 12000)}
NOTES = ["Созвонились, состояние стабильное.", "Просит помочь с лекарствами.", "Сменил номер телефона.",
         "Родственники ищут его, осторожно.", "Встреча с психологом прошла хорошо.", "Ждёт ответа посольства."]
WANTED = ["В федеральном розыске по ложному обвинению в терроризме.", "Объявлен в розыск местной полицией."]
