"""Reading bank statements: the bank's CSV and ISO 20022 camt.053 (any camt.053.001.xx version).

Only outgoing, booked transfers count (CSV: every row; camt.053: CdtDbtInd DBIT with status BOOK).
Amounts are read as decimals and turned into fen exactly; a malformed line is refused with its
position rather than guessed at.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from services.kit.errors import Unprocessable
from services.subsidy.schemas import MAX_FEN

CSV_COLUMNS = ("booking_date", "end_to_end_id", "bank_reference", "amount", "currency")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class StatementLine:
    end_to_end_id: str
    amount_fen: int
    booked_on: dt.date | None
    bank_reference: str | None


@dataclass(frozen=True)
class Statement:
    reference: str
    lines: list[StatementLine]
    booked_until: dt.date | None


def _fen(text: str, where: str) -> int:
    try:
        amount = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise Unprocessable(f"{where}: amount {text!r} is not a number.", f"{where}:金额无法识别。") from exc
    # Bounded before any arithmetic: "Infinity", "sNaN" or "1e999999999" must be a 422, not an error.
    # Whole fen is checked by exact comparison: arithmetic on "1e-9999999999" underflows to zero.
    fen = amount.quantize(CENT) if amount.is_finite() and 0 < amount <= Decimal(MAX_FEN) / 100 else None
    if fen is None or fen != amount:
        raise Unprocessable(
            f"{where}: amount {text!r} is not a positive amount in fen of at most {MAX_FEN // 100:,} yuan.",
            f"{where}:金额无效(须为正数、精确到分、不超过 {MAX_FEN // 100} 元)。",
        )
    return int(fen * 100)


def _date(text: str | None, where: str) -> dt.date | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise Unprocessable(f"{where}: date {text!r} is not valid.", f"{where}:日期无效。") from exc
    # Nothing is booked in the future; a day's margin covers the bank's time zone. It also keeps
    # "9999-12-31" from overflowing the day after the statement's end.
    if day > dt.date.today() + dt.timedelta(days=1):
        raise Unprocessable(f"{where}: date {text!r} is in the future.", f"{where}:日期晚于今天。")
    return day


def _field(row: dict[str | None, str | list[str] | None], name: str, where: str) -> str:
    value = row.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if "\x00" in text:
        # PostgreSQL text cannot hold a NUL character.
        raise Unprocessable(f"{where}: {name} contains a NUL character.", f"{where}:{name} 含有非法字符。")
    return text


def parse_csv(content: bytes) -> Statement:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The statement is not UTF-8 text.", "对账单须为 UTF-8 编码。") from exc
    reader = csv.DictReader(io.StringIO(text))
    lines = []
    try:
        if reader.fieldnames is None or not set(CSV_COLUMNS) <= set(reader.fieldnames):
            raise Unprocessable(
                f"The CSV needs the columns {', '.join(CSV_COLUMNS)}.",
                "对账单 CSV 缺少必要的列。",
                code="statement_invalid",
            )
        for number, row in enumerate(reader, start=2):
            where = f"line {number}"
            if _field(row, "currency", where) != "CNY":
                raise Unprocessable(f"{where}: only CNY is paid here.", f"第{number}行:币种须为人民币。")
            lines.append(
                StatementLine(
                    end_to_end_id=_field(row, "end_to_end_id", where)[:64],
                    amount_fen=_fen(_field(row, "amount", where), where),
                    booked_on=_date(_field(row, "booking_date", where), where),
                    bank_reference=_field(row, "bank_reference", where)[:64] or None,
                )
            )
    except csv.Error as exc:  # say, a field longer than the csv module's limit
        number = reader.line_num + 1  # the line that failed is not counted yet
        raise Unprocessable(
            f"line {number}: the CSV is malformed ({exc}).",
            f"第{number}行:CSV 格式错误。",
            code="statement_invalid",
        ) from exc
    dates = [line.booked_on for line in lines if line.booked_on]
    return Statement(reference=f"csv-{len(lines)}", lines=lines, booked_until=max(dates) if dates else None)


def _local(element: etree._Element, *path: str) -> etree._Element | None:
    """Descend by local names (the camt.053 namespace differs between versions)."""
    current: etree._Element | None = element
    for name in path:
        if current is None:
            return None
        current = next(iter(_children(current, name)), None)
    return current


def _text(element: etree._Element, *path: str) -> str | None:
    found = _local(element, *path)
    return found.text.strip() if found is not None and found.text else None


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    # Processing instructions and entity references are nodes too, without an element's name.
    return [child for child in element if isinstance(child.tag, str) and etree.QName(child).localname == name]


def parse_camt053(content: bytes) -> Statement:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise Unprocessable(
            "The statement is not well-formed XML.", "对账单 XML 格式错误。", code="statement_invalid"
        ) from exc
    if not etree.QName(root).namespace or "camt.053" not in str(etree.QName(root).namespace):
        raise Unprocessable(
            "The file is not an ISO 20022 camt.053 statement.",
            "文件不是 camt.053 对账单。",
            code="statement_invalid",
        )
    report = _local(root, "BkToCstmrStmt")
    if report is None:
        raise Unprocessable(
            "No BkToCstmrStmt element.", "对账单缺少 BkToCstmrStmt。", code="statement_invalid"
        )
    lines: list[StatementLine] = []
    references, until = [], None
    for statement in _children(report, "Stmt"):
        references.append(_text(statement, "Id") or "")
        until = _date(_text(statement, "FrToDt", "ToDtTm"), "statement") or until
        for index, entry in enumerate(_children(statement, "Ntry"), start=1):
            status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
            if _text(entry, "CdtDbtInd") != "DBIT" or status != "BOOK":
                continue
            where = f"entry {index}"
            booked = _date(_text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm"), where)
            details = [tx for group in _children(entry, "NtryDtls") for tx in _children(group, "TxDtls")]
            for tx in details:
                amount = _text(tx, "Amt") or _text(tx, "AmtDtls", "TxAmt", "Amt")
                if amount is None and len(details) == 1:
                    amount = _text(entry, "Amt")
                lines.append(
                    StatementLine(
                        end_to_end_id=(_text(tx, "Refs", "EndToEndId") or "")[:64],
                        amount_fen=_fen(amount or "", where),
                        booked_on=booked,
                        bank_reference=(
                            _text(tx, "Refs", "AcctSvcrRef") or _text(entry, "AcctSvcrRef") or ""
                        )[:64]
                        or None,
                    )
                )
    if until is None:
        dates = [line.booked_on for line in lines if line.booked_on]
        until = max(dates) if dates else None
    return Statement(reference=",".join(references)[:64] or "camt053", lines=lines, booked_until=until)
