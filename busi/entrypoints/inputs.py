"""Reading a request's parameters; anything wrong becomes a 400 with a JSON error."""

import re
from decimal import Decimal

from flask import request

from busi.domain.refusals import InvalidInput

INT_MAX = 2**63 - 1  # the BIGINT id columns
INT_COLUMN_MAX = 2**31 - 1  # an INT column: stock (the MySQL strategies), amounts, pay_within_s
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # longer cannot be in range anyway


def params():
    """Query string, form fields and a JSON object body, merged (the body wins)."""
    merged = request.args.to_dict()
    if request.mimetype in FORM_TYPES:  # only these have form fields: a GET skips the body
        merged.update(request.form.to_dict())
    elif request.is_json and request.get_data(cache=True):
        merged.update(json_object())
    return merged


IDEMPOTENCY_KEY = "Idempotency-Key"  # the header (the IETF draft's name, as Stripe's and others')
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def idempotency_key():
    """The request's Idempotency-Key, None without one: a purchase sent again with it buys once."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            f"{IDEMPOTENCY_KEY} must be 1 to 64 letters, digits or ._:- (a UUID will do), not {key[:80]!r}"
        )
    return key


def json_object():
    """The request body as a JSON object, its texts valid UTF-8."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('the body must be a JSON object, e.g. {"user_id": 1, "product_id": 1, "amount": 1}')
    for name, value in body.items():
        for text in (name, value):
            # JSON may escape a lone surrogate ("\ud800"): valid JSON, but no text a store can keep.
            if isinstance(text, str) and not _is_utf8(text):
                raise InvalidInput(f"the body's {name.encode(errors='replace').decode()!r} is not valid UTF-8 text")
    return body


def _is_utf8(text):
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def absent(values, name):
    """Whether the request left out `name` (or sent it empty)."""
    return values.get(name) in (None, "")


REQUIRED = object()  # the default of a parameter that must be given; None: an optional one


def parse_int(values, name, default=REQUIRED, minimum=0, maximum=INT_MAX):
    """values[name] as an integer in [minimum, maximum]; default when absent, unless REQUIRED."""
    raw = values.get(name)
    if absent(values, name):
        if default is REQUIRED:
            raise InvalidInput(f"{'empty' if name in values else 'missing'} {name}: pass {name}=<integer>")
        return default
    if isinstance(raw, bool) or not (isinstance(raw, int) or isinstance(raw, str) and _INTEGER.fullmatch(raw)):
        raise InvalidInput(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


MONEY_MAX = Decimal("9999999999.99")  # DECIMAL(12,2)
_MONEY = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")


def parse_money(values, name, default=REQUIRED):
    """values[name] as an exact Decimal with at most two decimals, never a float; default
    when absent, unless REQUIRED."""
    raw = values.get(name)
    if absent(values, name):
        if default is REQUIRED:
            raise InvalidInput(f"missing {name}: pass {name}=<amount>, e.g. {name}=10.00")
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int)) or not _MONEY.fullmatch(str(raw)):
        raise InvalidInput(f"{name} must be an amount with at most two decimals, e.g. 10.00, got {raw!r}")
    value = Decimal(str(raw))
    if value > MONEY_MAX:
        raise InvalidInput(f"{name} must be at most {MONEY_MAX}, got {value}")
    return value


def parse_text(values, name, max_length):
    raw = values.get(name)
    if absent(values, name) or not isinstance(raw, str) or len(raw) > max_length:
        raise InvalidInput(f"{name} must be a text of 1 to {max_length} characters, got {raw!r}"[:300])
    return raw


LIMIT_PER_BUYER = "limit_per_buyer"
NO_LIMIT = "none"  # the value that removes a product's limit


def parse_limit(values, default=REQUIRED):
    """values[limit_per_buyer]: the most units a buyer may hold (an integer from 1), None for
    `none` (no limit); default when absent."""
    if values.get(LIMIT_PER_BUYER) == NO_LIMIT:
        return None
    if LIMIT_PER_BUYER in values and absent(values, LIMIT_PER_BUYER):
        raise InvalidInput(f"empty {LIMIT_PER_BUYER}: pass an integer from 1, or {NO_LIMIT} for no limit")
    try:
        return parse_int(values, LIMIT_PER_BUYER, default=default, minimum=1, maximum=INT_COLUMN_MAX)
    except InvalidInput as err:
        raise InvalidInput(f"{err}; or {LIMIT_PER_BUYER}={NO_LIMIT} for no limit") from None
