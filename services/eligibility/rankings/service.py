"""Village ranking by score (排队打分) for the deliberation meeting (村级评议, seed 002 篇2)."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.contract import RankingEntry, VillageRanking
from services.eligibility.rankings import repository
from services.eligibility.schemas import CATEGORY_LABELS
from services.kit.auth import Principal
from services.kit.errors import NotFound

TIE_BREAK = (
    "score, highest first; then lower per-capita net income; then more members; then household id "
    "/ 按得分从高到低;同分时人均纯收入低者在前;再同时人口多者在前;最后按农户编号"
)


async def village_ranking(session: AsyncSession, principal: Principal, village_code: str) -> VillageRanking:
    """Every assessed household of the village, poorest first, in an order that never depends on chance."""
    if not principal.covers(village_code):
        raise NotFound("No such village in your regions.", "您的辖区内无此村。")
    rows = await repository.village_households(session, village_code)
    entries = [
        (-row.score_x100, row.per_capita_net_income_fen, -row.member_count, str(row.household_id), row)
        for row in rows
    ]
    entries.sort(key=lambda entry: entry[:4])
    return VillageRanking(
        village_code=village_code,
        tie_break=TIE_BREAK,
        households=[
            RankingEntry(
                rank=rank,
                household_id=row.household_id,
                household_version=row.household_version,
                score=row.score_x100 / 100,
                category=row.category,
                category_label=CATEGORY_LABELS[row.category][0],
                per_capita_net_income_fen=income,
                member_count=-members,
                assessment_id=row.assessment_id,
            )
            for rank, (_score, income, members, _id, row) in enumerate(entries, start=1)
        ],
    )
