"""The simulated bank's statements of booked transfers: CSV and ISO 20022 camt.053.001.02."""

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from typing import Protocol

from lxml import etree

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ACCOUNT = "6228000000000000001"


class Booked(Protocol):
    payment_id: str
    amount_fen: int
    bank_reference: str
    booked_on: dt.date | None


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def csv_statement(payments: Sequence[Booked]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["booking_date", "end_to_end_id", "bank_reference", "amount", "currency"])
    for payment in payments:
        writer.writerow(
            [
                (payment.booked_on or dt.date.today()).isoformat(),
                uuid.UUID(payment.payment_id).hex,
                payment.bank_reference,
                _yuan(payment.amount_fen),
                "CNY",
            ]
        )
    return out.getvalue().encode()


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def camt053(payments: Sequence[Booked]) -> bytes:
    """One statement; one booked debit entry per transfer, carrying our end-to-end id."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = dt.date.today().isoformat()
    document = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    report = _sub(document, "BkToCstmrStmt")
    header = _sub(report, "GrpHdr")
    _sub(header, "MsgId", f"STMT{now:%Y%m%d%H%M%S}")
    _sub(header, "CreDtTm", now.isoformat())
    statement = _sub(report, "Stmt")
    _sub(statement, "Id", f"S{now:%Y%m%d%H%M%S}")
    _sub(statement, "CreDtTm", now.isoformat())
    period = _sub(statement, "FrToDt")
    _sub(period, "FrDtTm", f"{today}T00:00:00")
    _sub(period, "ToDtTm", f"{today}T23:59:59")
    _sub(_sub(_sub(_sub(statement, "Acct"), "Id"), "Othr"), "Id", ACCOUNT)
    balance = _sub(statement, "Bal")
    _sub(_sub(_sub(balance, "Tp"), "CdOrPrtry"), "Cd", "CLBD")
    _sub(balance, "Amt", "0.00", Ccy="CNY")
    _sub(balance, "CdtDbtInd", "CRDT")
    _sub(_sub(balance, "Dt"), "Dt", today)
    for payment in payments:
        booked = (payment.booked_on or dt.date.today()).isoformat()
        entry = _sub(statement, "Ntry")
        _sub(entry, "Amt", _yuan(payment.amount_fen), Ccy="CNY")
        _sub(entry, "CdtDbtInd", "DBIT")
        _sub(entry, "Sts", "BOOK")
        _sub(_sub(entry, "BookgDt"), "Dt", booked)
        _sub(_sub(entry, "ValDt"), "Dt", booked)
        _sub(entry, "AcctSvcrRef", payment.bank_reference)
        _sub(_sub(entry, "BkTxCd"), "Prtry").append(etree.Element(f"{{{NAMESPACE}}}Cd"))
        entry.find(f"{{{NAMESPACE}}}BkTxCd/{{{NAMESPACE}}}Prtry/{{{NAMESPACE}}}Cd").text = "TRF"  # type: ignore[union-attr]
        details = _sub(_sub(entry, "NtryDtls"), "TxDtls")
        refs = _sub(details, "Refs")
        _sub(refs, "AcctSvcrRef", payment.bank_reference)
        _sub(refs, "EndToEndId", uuid.UUID(payment.payment_id).hex)
        _sub(_sub(_sub(details, "AmtDtls"), "TxAmt"), "Amt", _yuan(payment.amount_fen), Ccy="CNY")
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8"))
