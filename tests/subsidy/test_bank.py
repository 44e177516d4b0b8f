"""Paying through the bank: batches with control totals, faults, never two successful payments."""

import asyncio
import uuid
from importlib.resources import files
from typing import Any

import pytest
import xmlschema
from lxml import etree
from sqlalchemy import func, select

from services.subsidy.models import LedgerEntry, PaymentBatch
from services.subsidy.payments import repository
from services.subsidy.payments.bank_client import BankBatch, BankInstruction
from services.subsidy.payments.dispatcher import PaymentDispatcher
from services.subsidy.payments.service import BankResult, settle_many
from tests.subsidy.helpers import County
from tests.support.system import RunningSystem, eventually

PAIN001_XSD = files("sepaxml") / "schemas" / "pain.001.001.03.xsd"  # the official schema, as shipped


async def funded(system: RunningSystem, **faults: Any) -> tuple[County, dict[str, Any]]:
    await system.bank.reset(
        f"{system.gateway_url}/api/v1/bank/callbacks", system.secrets.bank_webhook_secret, **faults
    )
    county = await County(system).staff()
    await county.fund("fund-bank", 100_000_000)
    return county, await county.program("household-income-grant", "one_off", 100_000_000, "fund-bank")


async def paid_entries(system: RunningSystem, payment_id: str) -> int:
    """How many times the ledger moved a payment's money into paid: (must be one)."""
    async with system.app("subsidy").state.database.sessionmaker() as session:
        stmt = select(func.count()).where(
            LedgerEntry.payment_id == uuid.UUID(payment_id), LedgerEntry.account.startswith("paid:")
        )
        return int(await session.scalar(stmt) or 0)


async def test_bank_calling_back_twice_pays_once(system: RunningSystem) -> None:
    county, program = await funded(system, double_callback=True)
    households = [await county.surveyed() for _ in range(3)]
    payments = [
        (await county.pay(program, h, 300_000 + n)).json()["id"] for n, (h, _) in enumerate(households)
    ]
    for payment_id in payments:
        assert (await county.settled(payment_id))["status"] == "paid"
    stats = await eventually(lambda: _idle(system))
    assert stats["callbacks_sent"] >= 2  # each batch's callback delivered twice under two webhook ids
    assert stats["max_settlements_per_payment"] == 1
    assert [await paid_entries(system, p) for p in payments] == [1, 1, 1]
    state = await county.program_state(program["id"])
    assert (state["paid_fen"], state["committed_fen"]) == (900_003, 0)


async def _idle(system: RunningSystem) -> dict[str, Any] | None:
    stats = await system.bank.stats()
    return stats if stats["pending_callbacks"] == 0 else None


async def test_timeout_after_the_bank_accepted_resends_the_same_batch_and_pays_once(
    system: RunningSystem,
) -> None:
    county, program = await funded(
        system, timeout_after_accept_rate=1.0, hang_seconds=8.0, callbacks_enabled=False
    )
    household, _ = await county.surveyed()
    payment_id = (await county.pay(program, household, 123_400)).json()["id"]
    settled = await county.settled(payment_id, within=90)
    assert settled["status"] == "paid"
    stats = await system.bank.stats()
    assert stats["batches_received"] >= 2  # the first answer never came; the batch was sent again
    assert (stats["payments"], stats["max_settlements_per_payment"]) == (1, 1)
    assert await paid_entries(system, payment_id) == 1


async def test_crash_before_or_after_sending_a_batch_then_restart_pays_each_once(
    system: RunningSystem,
) -> None:
    county, program = await funded(system)
    app = system.app("subsidy")
    await app.state.dispatcher.stop()
    old = app.state.dispatcher

    def fresh() -> PaymentDispatcher:
        return PaymentDispatcher(
            old.database,
            old.bank,
            old.registry,
            interval_seconds=0.05,
            batch_size=2,
            retry_seconds=0.3,
            poll_after_seconds=0.5,
            parallel=1,
        )

    households = [await county.surveyed() for _ in range(4)]
    payments = [(await county.pay(program, h, 100_000)).json()["id"] for h, _ in households]

    crashed_before_send = fresh()
    first_batch = await crashed_before_send.prepare_batch()  # sealed and committed, never sent: crash
    assert first_batch is not None

    class CrashAfterSend(PaymentDispatcher):
        async def _record(self, batch_id: uuid.UUID, result: Any) -> None:
            raise RuntimeError("process died after the bank accepted the batch")

    crashed_after_send = CrashAfterSend(
        old.database,
        old.bank,
        old.registry,
        interval_seconds=0.05,
        batch_size=2,
        retry_seconds=0.3,
        poll_after_seconds=0.5,
        parallel=1,
    )
    second_batch = await crashed_after_send.prepare_batch()
    assert second_batch is not None
    with pytest.raises(RuntimeError):
        await crashed_after_send.send(second_batch)

    restarted = fresh()
    restarted.start()
    try:
        for payment_id in payments:
            assert (await county.settled(payment_id, within=90))["status"] == "paid"
    finally:
        await restarted.stop()
    stats = await eventually(lambda: _idle(system))
    assert (stats["payments"], stats["paid"], stats["max_settlements_per_payment"]) == (4, 4, 1)
    assert [await paid_entries(system, p) for p in payments] == [1, 1, 1, 1]
    async with app.state.database.sessionmaker() as session:
        batches = (await session.execute(select(PaymentBatch))).scalars().all()
    assert {b.id for b in batches} == {first_batch, second_batch}  # resent as they were, no new envelopes
    assert all(b.status == "accepted" and b.item_count == 2 and b.total_fen == 200_000 for b in batches)


async def test_when_callbacks_stop_polling_finds_the_result(system: RunningSystem) -> None:
    county, program = await funded(system, callbacks_enabled=False)
    system.app("subsidy").state.dispatcher.poll_after_seconds = 0.5
    household, _ = await county.surveyed()
    payment_id = (await county.pay(program, household, 200_000)).json()["id"]
    assert (await county.settled(payment_id))["status"] == "paid"
    assert (await system.bank.stats())["callbacks_sent"] == 0


@pytest.mark.parametrize("fault", ["closed_accounts", "name_mismatch_accounts"])
async def test_failed_payment_releases_money_and_is_reissued_only_to_a_corrected_account(
    system: RunningSystem, fault: str
) -> None:
    county, program = await funded(system)
    household, account = await county.surveyed()
    await system.bank.reset(
        f"{system.gateway_url}/api/v1/bank/callbacks",
        system.secrets.bank_webhook_secret,
        **{fault: [account]},
    )
    payment_id = (await county.pay(program, household, 500_000)).json()["id"]
    failed = await county.settled(payment_id)
    assert failed["status"] == "failed"
    assert failed["status_label"] == "支付失败"
    assert "账户已销户" in failed["failure_reason"] or "户名" in failed["failure_reason"]
    state = await county.program_state(program["id"])
    assert (state["remaining_fen"], state["committed_fen"], state["paid_fen"]) == (100_000_000, 0, 0)

    reissue = f"/api/v1/payments/{payment_id}/reissue"
    unchanged = await county.http.post(reissue, headers=county.as_("finance"))
    assert unchanged.status_code == 409
    assert unchanged.json()["error"] == "account_not_corrected"
    again = await county.pay(program, household, 500_000, key=None)
    assert again.status_code == 201  # a new grant is a new entitlement; the failed one stays failed

    await county.correct_account(household, "6228480099887766554")
    reissued = await county.http.post(reissue, headers=county.as_("finance"))
    assert reissued.status_code == 201, reissued.text
    assert reissued.json()["reissue_of"] == payment_id
    assert reissued.json()["entitlement_key"] == failed["entitlement_key"]
    repeat = await county.http.post(reissue, headers=county.as_("finance"))
    assert (repeat.status_code, repeat.json()["id"]) == (200, reissued.json()["id"])
    assert (await county.settled(reissued.json()["id"]))["status"] == "paid"
    assert (await county.payment(payment_id))["status"] == "failed"
    assert await paid_entries(system, reissued.json()["id"]) == 1


async def test_batches_carry_control_totals_and_export_as_valid_pain001(system: RunningSystem) -> None:
    county, program = await funded(system)
    households = [await county.surveyed() for _ in range(3)]
    amounts = [100_001, 250_000, 99]
    payments = [
        (await county.pay(program, h, a)).json()["id"] for (h, _), a in zip(households, amounts, strict=True)
    ]
    for payment_id in payments:
        await county.settled(payment_id)
    batches = (await county.http.get("/api/v1/payment-batches", headers=county.as_("finance"))).json()
    assert sum(b["item_count"] for b in batches) == 3
    assert sum(b["total_fen"] for b in batches) == sum(amounts)
    batch_id = (await county.payment(payments[0]))["batch_id"]
    exported = await county.http.get(
        f"/api/v1/payment-batches/{batch_id}/pain001", headers=county.as_("finance")
    )
    assert exported.status_code == 200
    schema = xmlschema.XMLSchema(str(PAIN001_XSD))
    schema.validate(exported.content)  # the official ISO 20022 pain.001.001.03 schema
    document = etree.fromstring(exported.content)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    batch = next(b for b in batches if b["id"] == batch_id)
    assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == str(
        batch["item_count"]
    )
    total = batch["total_fen"]
    assert (
        document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns)
        == f"{total // 100}.{total % 100:02d}"
    )
    ids = [str(found) for found in document.xpath("//p:EndToEndId/text()", namespaces=ns)]  # type: ignore[union-attr]
    assert uuid.UUID(payments[0]).hex in ids
    assert (
        await county.http.get(f"/api/v1/payment-batches/{batch_id}/pain001", headers=county.as_("cadre"))
    ).status_code == 403


async def test_racing_callbacks_and_polls_settle_each_payment_once(system: RunningSystem) -> None:
    county, program = await funded(system, callback_delay_seconds=0.3, double_callback=True)
    dispatcher = system.app("subsidy").state.dispatcher
    households = [await county.surveyed() for _ in range(3)]
    payments = [(await county.pay(program, h, 10_000)).json()["id"] for h, _ in households]

    async def bank_paid_all() -> bool:
        return (await system.bank.stats())["paid"] == 3

    await eventually(bank_paid_all)  # the bank has settled them; its callbacks are on their way
    await asyncio.gather(*(dispatcher.poll_once(force=True) for _ in range(5)))
    for payment_id in payments:
        assert (await county.settled(payment_id))["status"] == "paid"
        assert await paid_entries(system, payment_id) == 1


async def test_a_callback_that_overtakes_the_banks_answer_is_not_undone(system: RunningSystem) -> None:
    county, program = await funded(system, callbacks_enabled=False)
    app = system.app("subsidy")
    dispatcher = app.state.dispatcher
    await dispatcher.stop()
    household, _ = await county.surveyed()
    payment_id = (await county.pay(program, household, 70_000)).json()["id"]
    batch_id = await dispatcher.prepare_batch()
    assert batch_id is not None
    async with app.state.database.sessionmaker() as session:
        items = await repository.items_of_batch(session, batch_id)
    answer = await dispatcher.bank.send_batch(
        BankBatch(
            batch_id=batch_id,
            item_count=1,
            total_fen=70_000,
            items=[
                BankInstruction(
                    payment_id=i.id,
                    amount_fen=i.amount_fen,
                    account_name=i.payee_name,
                    account_number=i.payee_account,
                    bank_name=i.payee_bank,
                    memo=f"扶贫补助 {i.id.hex}",
                )
                for i in items
            ],
        )
    )
    assert [item.status for item in answer.items] == ["accepted"]
    # The bank's callback is applied before our process records the bank's (older) answer.
    async with app.state.database.sessionmaker() as session, session.begin():
        await settle_many(
            session,
            [BankResult(uuid.UUID(payment_id), "paid", 70_000, "BR-EARLY")],
            source="test",
            reference="cb",
        )
    await dispatcher._record(batch_id, answer)
    assert (await county.payment(payment_id))["status"] == "paid"  # not set back to "sent"
    await dispatcher.poll_once(force=True)
    assert await paid_entries(system, payment_id) == 1
    assert (await county.program_state(program["id"]))["paid_fen"] == 70_000
