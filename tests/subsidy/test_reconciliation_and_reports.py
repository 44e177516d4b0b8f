"""Reconciliation against the bank's statements (CSV, camt.053) and the payment reports."""

import datetime as dt
import uuid
from typing import Any

import httpx

from tests.subsidy.helpers import OTHER_VILLAGE, County
from tests.support.system import RunningSystem, auth, eventually


async def setup(system: RunningSystem, **faults: Any) -> tuple[County, dict[str, Any]]:
    await system.bank.reset(
        f"{system.gateway_url}/api/v1/bank/callbacks", system.secrets.bank_webhook_secret, **faults
    )
    county = await County(system).staff()
    await county.fund("fund-rec", 100_000_000)
    return county, await county.program("household-income-grant", "one_off", 100_000_000, "fund-rec")


async def paid(county: County, program: dict[str, Any], amount: int) -> dict[str, Any]:
    household, _ = await county.surveyed()
    payment = (await county.pay(program, household, amount)).json()
    assert (await county.settled(payment["id"]))["status"] == "paid"
    return dict(payment)


def csv_line(payment_id: str, amount_fen: int) -> str:
    return f"{dt.date.today()},{uuid.UUID(payment_id).hex},BR1,{amount_fen // 100}.{amount_fen % 100:02d},CNY"


async def import_csv(county: County, lines: list[str]) -> httpx.Response:
    body = "\n".join(["booking_date,end_to_end_id,bank_reference,amount,currency", *lines]) + "\n"
    return await county.http.post(
        "/api/v1/reconciliation/statements",
        params={"format": "csv"},
        content=body.encode(),
        headers={**county.as_("finance"), "content-type": "text/csv"},
    )


async def test_the_banks_camt053_statement_matches_every_payment(system: RunningSystem) -> None:
    county, program = await setup(system)
    payments = [await paid(county, program, 100_000 + n) for n in range(3)]
    fetched = await county.http.post(
        "/api/v1/reconciliation/statements/fetch", params={"format": "camt053"}, headers=county.as_("finance")
    )
    assert fetched.status_code == 201, fetched.text
    summary = fetched.json()["summary"]
    assert (summary["matched"], summary["missing"], summary["unknown_payment"]) == (3, 0, 0)
    assert fetched.json()["total_fen"] == 300_003
    for payment in payments:
        assert (await county.payment(payment["id"]))["reconciled_at"] is not None
    again = await county.http.post(
        "/api/v1/reconciliation/statements/fetch", params={"format": "csv"}, headers=county.as_("finance")
    )
    assert again.json()["summary"]["duplicate"] == 3  # the same transfers on a second statement
    mismatches = (
        await county.http.get("/api/v1/reconciliation/mismatches", headers=county.as_("finance"))
    ).json()
    assert {(m["kind"], m["kind_label"], m["payment_id"], m["bank_amount_fen"]) for m in mismatches} == {
        ("duplicate", "重复入账", p["id"], p["amount_fen"]) for p in payments
    }


async def test_csv_statement_settles_matches_and_lists_every_kind_of_difference(
    system: RunningSystem,
) -> None:
    county, program = await setup(system)
    exact = await paid(county, program, 100_000)
    wrong = await paid(county, program, 200_000)
    absent = await paid(county, program, 300_000)
    household, account = await county.surveyed()
    await httpx.AsyncClient(base_url=system.bank.url).post(
        "/_control/faults", json={"closed_accounts": [account]}
    )
    failed = (await county.pay(program, household, 50_000)).json()
    assert (await county.settled(failed["id"]))["status"] == "failed"
    await httpx.AsyncClient(base_url=system.bank.url).post(
        "/_control/faults", json={"callbacks_enabled": False}
    )
    in_flight_household, _ = await county.surveyed()
    in_flight = (await county.pay(program, in_flight_household, 400_000)).json()

    async def sent() -> bool:
        return (await county.payment(in_flight["id"]))["status"] == "sent"

    await eventually(sent)
    lines = [
        csv_line(exact["id"], 100_000),
        csv_line(wrong["id"], 200_100),
        csv_line(in_flight["id"], 400_000),
        csv_line(failed["id"], 50_000),
        csv_line(str(uuid.uuid4()), 70_000),
    ]
    imported = await import_csv(county, lines)
    assert imported.status_code == 201, imported.text
    assert imported.json()["summary"] == {
        "matched": 1,
        "settled": 1,
        "wrong_amount": 1,
        "paid_but_failed": 1,
        "unknown_payment": 1,
        "duplicate": 0,
        "missing": 1,
    }
    assert (await county.payment(in_flight["id"]))["status"] == "paid"  # the statement is the bank's word
    repeat = await import_csv(county, lines)
    assert (repeat.status_code, repeat.json()["duplicate"], repeat.json()["id"]) == (
        201,
        True,
        imported.json()["id"],
    )
    mismatches = (
        await county.http.get("/api/v1/reconciliation/mismatches", headers=county.as_("finance"))
    ).json()
    kinds = {(m["kind"], m["payment_id"]) for m in mismatches}
    assert ("wrong_amount", wrong["id"]) in kinds
    assert ("paid_but_failed", failed["id"]) in kinds
    assert ("missing", absent["id"]) in kinds
    assert any(m["kind"] == "unknown_payment" and m["payment_id"] is None for m in mismatches)
    bad = await import_csv(county, [f"{dt.date.today()},abc,BR,12.345,CNY"])
    assert bad.status_code == 422  # a fraction of a fen is refused, not rounded
    for amount in ("Infinity", "sNaN", "1e30", "1e999999999", "100000000.01"):
        # Beyond any payment (100 million yuan), or not a number at all: refused, nothing stored.
        refused = await import_csv(county, [f"{dt.date.today()},abc,BR,{amount},CNY"])
        assert refused.status_code == 422, (amount, refused.text)
        assert "line 2" in refused.json()["detail"]
    after = await county.http.get("/api/v1/reconciliation/mismatches", headers=county.as_("finance"))
    assert after.json() == mismatches  # an accepted line "abc" would be one more unknown payment


async def test_reports_by_program_village_month_and_a_households_ledger(system: RunningSystem) -> None:
    county, program = await setup(system)
    first = await paid(county, program, 120_000)
    await paid(county, program, 80_000)
    rows = (
        await county.http.get(
            "/api/v1/reports/payments", params={"year": 2026}, headers=county.as_("finance")
        )
    ).json()
    row = next(r for r in rows if r["program_code"] == program["code"])
    assert (row["payments"], row["paid_count"], row["paid_fen"], row["pending_fen"]) == (2, 2, 200_000, 0)
    assert row["month"] == dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    ledger = await county.http.get(
        f"/api/v1/reports/households/{first['household_id']}/ledger", headers=county.as_("cadre")
    )
    assert ledger.status_code == 200
    assert (ledger.json()["paid_fen"], ledger.json()["in_flight_fen"]) == (120_000, 0)
    assert [line["kind_label"] for line in ledger.json()["lines"]] == ["安排发放", "已支付到户"]
    stranger = await county.api.create_user(system.admin_token, "cadre.far", ["cadre"], [OTHER_VILLAGE])
    far = await county.http.get(
        f"/api/v1/reports/households/{first['household_id']}/ledger", headers=auth(stranger)
    )
    assert far.status_code == 404
    assert (await county.http.get("/api/v1/reports/payments", headers=auth(stranger))).json() == []
