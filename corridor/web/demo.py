"""Shared demo-data context. Each app contributes `corridor/<app>/demo.py` with a
`populate(ctx)` function; `corridor demo` calls them in DEMO_ORDER.

Demo people are synthetic (Faker); never load real victims' data into a demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

DEMO_ORDER = ["cases", "housing", "intake", "exposure", "evidence", "funds"]


@dataclass
class DemoContext:
    seed: int
    cases: int
    organisations: list = field(default_factory=list)
    staff: dict = field(default_factory=dict)  # org slug -> role -> [users]
    rng: random.Random = field(default_factory=random.Random)
    fake_ru: Faker | None = None
    fake_en: Faker | None = None
    advance: Callable[[str, int, int], None] = lambda label, done, total: None
    shared: dict = field(default_factory=dict)  # what one provider leaves for the next

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fake_ru = Faker("ru_RU")
        self.fake_ru.seed_instance(self.seed)
        self.fake_en = Faker("en_GB")
        self.fake_en.seed_instance(self.seed + 1)

    def users(self, org, role: str) -> list:
        return self.staff.get(org.slug, {}).get(role, [])

    def phone(self) -> str:
        """A syntactically valid Russian mobile number from a range no operator uses
        in examples, generated, never harvested."""
        return f"+79{self.rng.randrange(10**8, 10**9):09d}"[:12]
