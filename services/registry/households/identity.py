"""Resident ID numbers (身份证号码): validation, encryption at rest, blind index, masking."""

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from services.registry.vocabulary import Sex


class InvalidIdNumber(ValueError):
    """The number fails GB 11643 or disagrees with the stated birth date or sex."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


@functools.lru_cache(maxsize=65536)
def _known_place(area_and_year: str) -> bool:
    """Whether the area code existed in the birth year (stdnum's lookup, slow, asked once per pair)."""
    try:
        ric.get_birth_place(area_and_year + "01011230")
    except ValidationError:
        return False
    return True


def id_number_facts(number: str) -> tuple[str, dt.date, Sex]:
    """The normalised number with the birth date and sex it encodes, if valid (GB 11643).

    The checks of stdnum's `ric.validate` (length, digits, check digit, birth date, birth place), with
    the birth-place lookup remembered per area code and year: an import checks 300,000 numbers.
    """
    normalised = ric.compact(number)
    try:
        if len(normalised) != 18 or not normalised[:-1].isdigit() or not normalised[:-1].isascii():
            raise ValidationError
        if normalised[-1] != ric.calc_check_digit(normalised):
            raise ValidationError
        birth_date = ric.get_birth_date(normalised)
        if not _known_place(normalised[:10]):
            raise ValidationError
    except ValidationError as exc:
        raise InvalidIdNumber(
            "ID number is not valid (GB 11643).", "身份证号码无效(校验位或出生日期不符)。"
        ) from exc
    return normalised, birth_date, Sex.MALE if int(normalised[16]) % 2 else Sex.FEMALE


def check_id_number(number: str, birth_date: dt.date, sex: Sex) -> str:
    """The normalised number, if valid and consistent with birth date and sex."""
    normalised, id_birth_date, id_sex = id_number_facts(number)
    if id_birth_date != birth_date:
        raise InvalidIdNumber("Birth date does not match the ID number.", "出生日期与身份证号码不一致。")
    if id_sex != sex:
        raise InvalidIdNumber("Sex does not match the ID number.", "性别与身份证号码不一致。")
    return normalised


def mask_id_number(number: str) -> str:
    """The form shown on notices and to roles without need of the full number: 4101**********1234."""
    return number[:4] + "*" * 10 + number[-4:]


class PiiVault:
    """AES-GCM encryption of personal numbers and an HMAC blind index for exact lookups."""

    def __init__(self, encryption_key_b64: str, index_key_b64: str) -> None:
        self._aead = AESGCM(base64.b64decode(encryption_key_b64))
        self._index_key = base64.b64decode(index_key_b64)

    def encrypt(self, value: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:12], blob[12:], None).decode()

    def blind_index(self, id_number: str) -> str:
        return hmac.new(self._index_key, id_number.upper().encode(), hashlib.sha256).hexdigest()
