"""A batch as an ISO 20022 pain.001.001.03 credit-transfer initiation, for banks that take files."""

from collections.abc import Sequence

from lxml import etree

from services.kit.database import utcnow
from services.subsidy.config import SubsidySettings
from services.subsidy.models import Payment, PaymentBatch
from services.subsidy.payments.service import end_to_end_id

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CURRENCY = "CNY"


def yuan(fen: int) -> str:
    """Fen as an ISO 20022 amount: 123456 → '1234.56' (never through a float)."""
    return f"{fen // 100}.{fen % 100:02d}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _account(parent: etree._Element, tag: str, number: str, currency: bool = False) -> None:
    account = _sub(parent, tag)
    _sub(_sub(_sub(account, "Id"), "Othr"), "Id", number[:34])
    if currency:
        _sub(account, "Ccy", CURRENCY)


def _agent(parent: etree._Element, tag: str, bank_name: str) -> None:
    _sub(_sub(_sub(parent, tag), "FinInstnId"), "Nm", bank_name[:140])


def credit_transfer(batch: PaymentBatch, items: Sequence[Payment], settings: SubsidySettings) -> bytes:
    """One message, one payment-information block (the batch), one transaction per payment."""
    now = utcnow()
    count, total = str(len(items)), yuan(sum(payment.amount_fen for payment in items))
    document = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    initiation = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", batch.id.hex)
    _sub(header, "CreDtTm", now.strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _sub(_sub(header, "InitgPty"), "Nm", settings.payer_name[:140])
    block = _sub(initiation, "PmtInf")
    _sub(block, "PmtInfId", batch.id.hex)
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "NbOfTxs", count)
    _sub(block, "CtrlSum", total)
    _sub(block, "ReqdExctnDt", now.date().isoformat())
    _sub(_sub(block, "Dbtr"), "Nm", settings.payer_name[:140])
    _account(block, "DbtrAcct", settings.payer_account, currency=True)
    _agent(block, "DbtrAgt", settings.payer_bank)
    for payment in items:
        transaction = _sub(block, "CdtTrfTxInf")
        _sub(_sub(transaction, "PmtId"), "EndToEndId", end_to_end_id(payment.id))
        _sub(_sub(transaction, "Amt"), "InstdAmt", yuan(payment.amount_fen), Ccy=CURRENCY)
        _agent(transaction, "CdtrAgt", payment.payee_bank or "")
        _sub(_sub(transaction, "Cdtr"), "Nm", (payment.payee_name or "")[:140])
        _account(transaction, "CdtrAcct", payment.payee_account or "")
        _sub(_sub(transaction, "RmtInf"), "Ustrd", f"扶贫补助 {payment.entitlement_key}"[:140])
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True))
