"""The audit log is hash-chained; each service verifies its chain and names the first broken record."""

from sqlalchemy import select

from services.gateway.models import AuditRecord
from tests.gateway.conftest import COUNTY, VILLAGE_A, Gateway
from tests.support.system import auth


async def test_every_service_chain_verifies_and_a_tampered_record_is_named(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    cadre = await gateway.person("cadre.chain", ["cadre"], [VILLAGE_A])
    await gateway.household(cadre, VILLAGE_A)
    auditor = await gateway.person("auditor.chain", ["auditor"], [COUNTY])
    for service in ("gateway", "registry", "eligibility", "subsidy"):
        report = await gateway.http.get(f"/api/v1/audit/{service}/verify", headers=auth(auditor))
        assert report.status_code == 200, (service, report.text)
        assert report.json()["intact"] is True
        assert report.json()["first_broken_id"] is None
    checked = (await gateway.http.get("/api/v1/audit/gateway/verify", headers=auth(admin))).json()[
        "records_checked"
    ]
    assert checked >= 5

    async with gateway.app.state.database.sessionmaker() as session, session.begin():
        victim = (
            (
                await session.execute(
                    select(AuditRecord).where(AuditRecord.action == "user.create").order_by(AuditRecord.id)
                )
            )
            .scalars()
            .first()
        )
        assert victim is not None
        victim.detail = {**victim.detail, "roles": ["admin"]}  # someone rewrites history
        victim_id = victim.id
    broken = (await gateway.http.get("/api/v1/audit/gateway/verify", headers=auth(auditor))).json()
    assert broken["intact"] is False
    assert broken["first_broken_id"] == victim_id
    assert broken["records_checked"] < checked
    assert (await gateway.http.get("/api/v1/audit/registry/verify", headers=auth(cadre))).status_code == 403
