"""Bad input is a 4xx in the one envelope and stores nothing: statements, callbacks, periods, amounts."""

import datetime as dt
import json
import uuid

import pytest

from services.kit import webhooks
from services.subsidy.models import BankCallback, BankStatement, StatementLine
from tests.subsidy.helpers import County
from tests.subsidy.test_jobs_and_loans import enrol, run
from tests.subsidy.test_reconciliation_and_reports import import_csv
from tests.support.system import RunningSystem, eventually

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt053(to_date: str, booked: str, amount: str = "<Amt Ccy='CNY'>1.00</Amt>") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{CAMT}"><BkToCstmrStmt><Stmt><Id>S1</Id>
<FrToDt><FrDtTm>2026-01-01T00:00:00</FrDtTm><ToDtTm>{to_date}T23:59:59</ToDtTm></FrToDt>
<Ntry>{amount}<CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{booked}</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>{uuid.uuid4().hex}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()


async def test_statements_with_far_dates_nul_long_fields_or_underflowing_amounts_are_refused(
    system: RunningSystem,
) -> None:
    county = await County(system).staff()
    today, e2e = dt.date.today().isoformat(), uuid.uuid4().hex
    for line in (
        f"9999-12-31,{e2e},BR,1.00,CNY",  # the day after would overflow
        f"{today},{e2e}\x00,BR,1.00,CNY",
        f"{today},{e2e},BR\x00,1.00,CNY",
        f"{today},{e2e},{'r' * 131_073},1.00,CNY",  # beyond the csv module's field limit
        f"{today},{e2e},BR,1e-9999999999,CNY",  # (amount * 100) % 1 underflows to zero
    ):
        refused = await import_csv(county, [line])
        assert refused.status_code == 422, (line[:80], refused.text)
        assert "line 2" in refused.json()["detail"]
    for to_date, booked in (("9999-12-31", today), (today, "9999-12-31")):
        refused = await county.http.post(
            "/api/v1/reconciliation/statements",
            params={"format": "camt053"},
            content=camt053(to_date, booked),
            headers={**county.as_("finance"), "content-type": "application/xml"},
        )
        assert refused.status_code == 422, refused.text
    assert await system.rows("subsidy", BankStatement) == 0
    assert await system.rows("subsidy", StatementLine) == 0
    # A processing instruction is not an element; the entry around it is read as usual.
    with_pi = await county.http.post(
        "/api/v1/reconciliation/statements",
        params={"format": "camt053"},
        content=camt053(today, today, "<?pi x?><Amt Ccy='CNY'>1.00</Amt>"),
        headers={**county.as_("finance"), "content-type": "application/xml"},
    )
    assert with_pi.status_code == 201, with_pi.text
    assert with_pi.json()["summary"]["unknown_payment"] == 1


async def test_periods_in_other_digits_or_years_and_contracts_beyond_the_calendar_are_refused(
    system: RunningSystem,
) -> None:
    await system.app("subsidy").state.dispatcher.stop()
    county = await County(system).staff()
    await county.fund("fund-jobs", 100_000_000)
    program = await county.program("public-welfare-jobs", "monthly", 10_000_000, "fund-jobs")
    far = await enrol(county, program, await county.known(), "9999-06-01", "9999-12-31", 10_000)
    assert far.status_code == 422, far.text
    assert (
        await enrol(county, program, await county.known(), "2026-01-01", "2029-01-01", 10_000)
    ).status_code == 201
    march = await run(county, program, "2026-03")
    assert (march.status_code, march.json()["created"]) == (200, 1)
    for period in ("２０２６-03", "0000-01"):
        refused = await run(county, program, period)
        assert refused.status_code == 422, (period, refused.text)
    assert (await county.program_state(program["id"]))["committed_fen"] == 10_000  # March, paid once


async def test_odd_callback_fields_and_boolean_amounts_are_refused_and_settle_nothing(
    system: RunningSystem,
) -> None:
    await system.bank.reset(
        f"{system.gateway_url}/api/v1/bank/callbacks",
        system.secrets.bank_webhook_secret,
        callbacks_enabled=False,
    )
    system.app("subsidy").state.dispatcher.poll_after_seconds = 3600  # only our callbacks settle it
    county = await County(system).staff()
    await county.fund("fund-cb", 100_000_000)
    program = await county.program("household-income-grant", "one_off", 100_000_000, "fund-cb")
    household, _ = await county.surveyed()
    boolean = await county.pay(program, household, True)
    assert boolean.status_code == 422, boolean.text  # not a 1-fen payment
    assert (await county.pay(program, household, 10_000.0)).status_code == 422  # type: ignore[arg-type]
    assert (await county.program_state(program["id"]))["committed_fen"] == 0
    payment = (await county.pay(program, household, 10_000)).json()

    async def sent() -> bool:
        return (await county.payment(payment["id"]))["status"] == "sent"

    await eventually(sent)

    async def callback(body: bytes) -> int:
        headers = webhooks.signed_headers(system.secrets.bank_webhook_secret, f"cb-{uuid.uuid4()}", body)
        response = await county.http.post("/api/v1/bank/callbacks", content=body, headers=headers)
        return response.status_code

    result = {"payment_id": payment["id"], "status": "paid", "amount_fen": 10_000}
    for odd in (
        {"amount_fen": 1e400},
        {"amount_fen": 10_000.9},  # int() would truncate it to the payment's amount
        {"amount_fen": 10_000.0},
        {"amount_fen": True},
        {"status": "failed", "reason": 5},
        {"status": "failed", "reason": {"a": 1}},
        {"bank_reference": "r" * 300},
        {"bank_reference": "r\x00"},
        {"note": "\x00"},
    ):
        assert await callback(json.dumps({**result, **odd}).encode()) == 400, odd
    assert await system.rows("subsidy", BankCallback) == 0
    assert (await county.payment(payment["id"]))["status"] == "sent"
    assert await callback(json.dumps(result).encode()) == 200
    assert (await county.payment(payment["id"]))["status"] == "paid"


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("9" * 5000, None), ("²", None), ("1" * 13, None), ("17000000000\n", None), (None, "v1,签名")],
)
def test_webhook_headers_that_are_not_plain_digits_or_ascii_are_an_invalid_signature(
    timestamp: str | None, signature: str | None
) -> None:
    now = 1_700_000_000
    headers = webhooks.signed_headers("secret", "wh-1", b"{}", timestamp=now)
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.verify(
            "secret",
            "wh-1",
            timestamp or headers["webhook-timestamp"],
            signature or headers["webhook-signature"] + "x",
            b"{}",
            now=now,
        )
