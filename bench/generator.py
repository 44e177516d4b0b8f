"""A deterministic synthetic county: villages, households of realistic size, valid ID numbers.

The same seed always gives the same county, so tests and benchmarks are repeatable.
Shapes follow rural Guizhou (seed 002): households of 1–7 people (mean ≈ 3.3), heads aged
25–80, about a third of households below the 2,300-yuan line, many C/D-grade houses.
"""

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stdnum.cn import ric

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢龙石"
)
GIVEN = "明华国建军平志伟芳秀英玉兰桂珍德成文海山林春梅红丽云霞飞强永福贵宝金银花凤荣康安"
COUNTIES = ("522627", "522628", "522629", "522630")  # 天柱、锦屏、剑河、台江 (黔东南)
STRUCTURES = ("砖混", "砖木", "木结构", "土木", "石木")
BANKS = ("贵州省农村信用社", "中国农业银行", "中国邮政储蓄银行")
COUNTY_FILE_HEADERS = (
    "行政区划代码", "户主姓名", "户主身份证号码", "姓名", "身份证号码", "性别", "出生日期", "与户主关系",
    "劳动能力", "人均纯收入", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "生产经营性支出",
    "致贫原因", "住房结构", "住房面积", "住房安全等级", "饮水安全", "开户银行", "银行账号",
)  # fmt: skip
"""A county's 建档立卡 spreadsheet: one row per member, the household's columns on the head's row."""
LABELS = {
    "male": "男", "female": "女", "head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母",
    "grandchild": "孙子女", "normal": "普通劳动力", "skilled": "技能劳动力", "lost": "丧失劳动力",
    "none": "无劳动力",
}  # fmt: skip
CAUSES = ("因病", "因残", "因学", "缺技术", "缺劳力", "缺资金")


@dataclass(frozen=True)
class SyntheticMember:
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    relation: str
    labour_capacity: str


@dataclass(frozen=True)
class SyntheticHousehold:
    key: uuid.UUID
    village_code: str
    members: list[SyntheticMember]
    income: dict[str, int]
    housing: dict[str, Any]
    bank_account: dict[str, str]

    def survey(
        self,
        *,
        submission_id: uuid.UUID | None = None,
        captured_at: dt.datetime | None = None,
        device_id: str = "bench-device",
    ) -> dict[str, Any]:
        """The household as a survey submission body (POST /api/v1/surveys)."""
        return {
            "submission_id": str(submission_id or self.key),
            "village_code": self.village_code,
            "captured_at": (captured_at or dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)).isoformat(),
            "device_id": device_id,
            "members": [
                {
                    "name": m.name,
                    "id_number": m.id_number,
                    "sex": m.sex,
                    "birth_date": m.birth_date.isoformat(),
                    "relation": m.relation,
                    "labour_capacity": m.labour_capacity,
                }
                for m in self.members
            ],
            "income": dict(self.income),
            "housing": dict(self.housing),
            "bank_account": dict(self.bank_account),
        }

    def county_rows(self) -> list[tuple[Any, ...]]:
        """The household as the rows of a county's spreadsheet (COUNTY_FILE_HEADERS; amounts in yuan)."""
        income = self.income
        net = sum(value for name, value in income.items() if name != "production_cost_fen")
        per_capita = (net - income["production_cost_fen"]) // len(self.members)
        head = self.members[0]
        household = (
            per_capita / 100, income["wages_fen"] / 100, income["production_net_fen"] / 100,
            income["property_fen"] / 100, income["transfer_fen"] / 100, income["production_cost_fen"] / 100,
            CAUSES[self.key.int % len(CAUSES)], self.housing["structure"], self.housing["area_m2"],
            self.housing["safety_grade"], "是" if self.housing["drinking_water_safe"] else "否",
            self.bank_account["bank_name"], self.bank_account["account_number"],
        )  # fmt: skip
        return [
            (
                self.village_code,
                head.name,
                head.id_number,
                member.name,
                member.id_number,
                LABELS[member.sex],
                member.birth_date,
                LABELS[member.relation],
                LABELS[member.labour_capacity],
                *(household if position == 0 else (None,) * len(household)),
            )
            for position, member in enumerate(self.members)
        ]


@dataclass
class SyntheticCounty:
    """A county code with townships and villages, and a seeded source of households."""

    county_code: str
    seed: int = 2026
    townships: int = 4
    villages_per_township: int = 5
    _used_ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def village_codes(self) -> list[str]:
        prefix = self.county_code[:6]
        return [
            f"{prefix}{township:03d}{village:03d}"
            for township in range(1, self.townships + 1)
            for village in range(201, 201 + self.villages_per_township)
        ]

    def households(self, count: int, village_code: str | None = None) -> Iterator[SyntheticHousehold]:
        villages = self.village_codes
        for index in range(count):
            yield self._household(village_code or villages[index % len(villages)])

    def _id_number(self, birth: dt.date, male: bool) -> str:
        rng = self._random
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{self.county_code[:6]}{birth:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self._used_ids:
                self._used_ids.add(number)
                return number

    def _person(self, relation: str, birth: dt.date, male: bool, surname: str) -> SyntheticMember:
        rng = self._random
        age = (dt.date(2026, 11, 1) - birth).days // 365
        if age < 16:
            labour = "none"
        elif age >= 70:
            labour = rng.choice(("lost", "none", "normal"))
        else:
            labour = rng.choices(("normal", "skilled", "lost", "none"), (70, 10, 12, 8))[0]
        return SyntheticMember(
            name=surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            id_number=self._id_number(birth, male),
            sex="male" if male else "female",
            birth_date=birth,
            relation=relation,
            labour_capacity=labour,
        )

    def _birth(self, age_low: int, age_high: int) -> dt.date:
        days = self._random.randrange(age_low * 365, age_high * 365 + 1)
        return dt.date(2026, 11, 1) - dt.timedelta(days=days)

    def _household(self, village_code: str) -> SyntheticHousehold:
        rng = self._random
        surname = rng.choice(SURNAMES)
        head_male = rng.random() < 0.85
        head_birth = self._birth(25, 80)
        members = [self._person("head", head_birth, head_male, surname)]
        size = rng.choices((1, 2, 3, 4, 5, 6, 7), (10, 18, 24, 24, 14, 7, 3))[0]
        head_age = (dt.date(2026, 11, 1) - head_birth).days // 365
        if size >= 2:
            members.append(
                self._person(
                    "spouse",
                    self._birth(max(20, head_age - 6), head_age + 3),
                    not head_male,
                    rng.choice(SURNAMES),
                )
            )
        for _ in range(size - len(members)):
            if head_age > 45 and rng.random() < 0.3:
                members.append(self._person("grandchild", self._birth(0, 15), rng.random() < 0.5, surname))
            elif head_age < 55 and rng.random() < 0.25:
                members.append(
                    self._person(
                        "parent", self._birth(head_age + 20, head_age + 30), rng.random() < 0.5, surname
                    )
                )
            else:
                members.append(
                    self._person(
                        "child", self._birth(0, max(1, min(30, head_age - 18))), rng.random() < 0.5, surname
                    )
                )
        workers = sum(1 for m in members if m.labour_capacity in ("normal", "skilled"))
        wages = int(rng.lognormvariate(8.6, 0.9) * 100) * workers
        production = int(rng.lognormvariate(7.8, 0.8) * 100)
        transfers = int(rng.uniform(0, 3000) * 100) if workers == 0 else int(rng.uniform(0, 1200) * 100)
        income = {
            "wages_fen": wages,
            "production_net_fen": production,
            "property_fen": int(rng.uniform(0, 300) * 100) if rng.random() < 0.2 else 0,
            "transfer_fen": transfers,
            "production_cost_fen": int(production * rng.uniform(0.1, 0.4)),
        }
        housing = {
            "structure": rng.choice(STRUCTURES),
            "area_m2": round(rng.uniform(8, 45) * len(members), 1),
            "safety_grade": rng.choices(("A", "B", "C", "D"), (30, 40, 20, 10))[0],
            "drinking_water_safe": rng.random() < 0.9,
        }
        account = {
            "bank_name": rng.choice(BANKS),
            "account_number": "62" + "".join(rng.choice("0123456789") for _ in range(17)),
        }
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        return SyntheticHousehold(key, village_code, members, income, housing, account)
