"""DTM's result protocol, both ways, in one place.

DTM reads an HTTP answer as: 200 SUCCESS; 409, or a body containing "FAILURE", FAILURE;
425, or a body containing "ONGOING", ONGOING; anything else an error it retries. So a
transient fault must never answer 409, and no other body may carry those two words.
"""

from dtmcli.utils import DTMFailureError  # dtmcli's exception is right; we share it.

SUCCESS, FAILURE, ONGOING = "SUCCESS", "FAILURE", "ONGOING"
STATUS_SUCCESS, STATUS_FAILURE, STATUS_ONGOING = 200, 409, 425
STATUS_ERROR = 500


class DtmFailure(DTMFailureError):
    """The business says no (sold out, rolled back): final, never retried."""


class DtmDuplicated(DtmFailure):
    """The msg barrier found its key taken: the back-query already rolled the message back."""

    def __init__(self, gid):
        super().__init__(f"gid {gid}: the back-query already rolled this message back")


class DtmOngoing(Exception):
    """Not decided yet: DTM asks again later."""


class DtmError(Exception):
    """A transient or unknown outcome: DTM retries; a client must not treat it as a no."""


class DtmUnfinished(DtmError):
    """DTM holds the transaction and is still running it (a branch is being retried): it
    will finish it without the caller, whose answer does not know the outcome yet."""


def check_response(status_code, text):
    """Read an answer the way DTM does; raise the matching exception, or return on SUCCESS."""
    if status_code == STATUS_ONGOING or ONGOING in text:
        raise DtmOngoing(text)
    if status_code == STATUS_FAILURE or FAILURE in text:
        raise DtmFailure(text)
    if status_code != STATUS_SUCCESS:
        raise DtmError(f"HTTP {status_code}: {text[:300]}")


def scrub(message):
    """Make a free-text message safe to put in a body that is not meant as FAILURE/ONGOING."""
    return str(message).replace(FAILURE, FAILURE.lower()).replace(ONGOING, ONGOING.lower())


def success(**fields):
    """The body and status of a SUCCESS answer; the fields must not carry the two words."""
    body = {"dtm_result": SUCCESS, **fields}
    if FAILURE in str(body) or ONGOING in str(body):
        raise ValueError(f"a SUCCESS answer must not contain {FAILURE} or {ONGOING}: {body}")
    return body, STATUS_SUCCESS


def answer_for(error):
    """The body and status to answer for an exception raised while serving a DTM call.
    Every answer but SUCCESS says why under "error"; DTM reads dtm_result and the status."""
    if isinstance(error, DtmFailure):
        return {"dtm_result": FAILURE, "error": scrub(error)}, STATUS_FAILURE
    if isinstance(error, DtmOngoing):
        return {"dtm_result": ONGOING, "error": scrub(error)}, STATUS_ONGOING
    return {"error": scrub(f"{type(error).__name__}: {error}")}, STATUS_ERROR
