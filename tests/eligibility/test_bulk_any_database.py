"""A bulk reassessment asked for through the API runs to the end on PostgreSQL and on SQLite alike."""

from sqlalchemy import func, select

from services.eligibility.models import Assessment
from tests.eligibility.test_api import COUNTY, VILLAGE, override, project
from tests.support.system import RunningSystem, auth, eventually


async def test_reassessment_through_the_api_on_both_databases(any_system: RunningSystem) -> None:
    api = any_system.api
    approver = await api.create_user(any_system.admin_token, "approver.any", ["county_approver"], [COUNTY])
    households = [await project(any_system, VILLAGE, income) for income in (1000, 3600, 9000)]
    draft = (await api.http.post("/api/v1/policies", json=override(4000), headers=auth(approver))).json()
    published = await api.http.post(
        f"/api/v1/policies/{draft['id']}/publish",
        json={"version": 1, "reason": "新标准"},
        headers=auth(approver),
    )
    assert published.status_code == 200, published.text

    async def moved() -> dict | None:
        response = await api.http.get(
            f"/api/v1/assessments/households/{households[1]}/latest", headers=auth(approver)
        )
        body = response.json()
        return body if body.get("policy_code") == "gz-tianzhu-line" else None

    latest = await eventually(moved, within=30)
    assert latest["category"] == "general_poor"  # 3,600 is below the county's 4,000 line
    rerun = await api.http.post(f"/api/v1/assessments/{latest['id']}/rerun", headers=auth(approver))
    assert rerun.json()["identical"] is True
    async with any_system.app("eligibility").state.database.sessionmaker() as session:
        total = await session.scalar(select(func.count()).select_from(Assessment))
    assert total == 6  # one from the feed and one from the run, for each household
