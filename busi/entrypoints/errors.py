"""Every error becomes a JSON answer that DTM and curl users read the same way."""

import logging

from flask import request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from busi.domain.refusals import Forbidden, InvalidInput, MissingCredential, NotFound
from saga import InvalidBarrier, InvalidToken
from saga.result import STATUS_ERROR, answer_for, scrub

log = logging.getLogger(__name__)


def register(app):
    @app.errorhandler(InvalidInput)
    @app.errorhandler(InvalidBarrier)
    def bad_input(err):
        return {"error": scrub(err)}, 400

    @app.errorhandler(NotFound)
    def not_found(err):
        return {"error": scrub(err)}, 404

    @app.errorhandler(MissingCredential)
    def no_credential(err):
        return {"error": scrub(err)}, 401, {"WWW-Authenticate": 'Bearer realm="busi"'}

    @app.errorhandler(Forbidden)
    def forbidden(err):
        return {"error": scrub(err)}, 403

    @app.errorhandler(InvalidToken)
    def not_from_dtm(err):
        return {"error": scrub(err)}, 401

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(err):
        limit = app.config["MAX_CONTENT_LENGTH"]
        return {"error": f"the body is over {limit} bytes: no request of this API needs more"}, 413

    @app.errorhandler(HTTPException)
    def http_error(err):
        allow = {"Allow": ", ".join(err.valid_methods)} if getattr(err, "valid_methods", None) else {}
        return {"error": scrub(f"{err.name}: {err.description}")}, err.code, allow

    @app.errorhandler(Exception)
    def dtm_answer(err):
        """DtmFailure -> 409, DtmOngoing -> 425, anything else -> 500 (DTM retries it)."""
        body, status = answer_for(err)
        if status == STATUS_ERROR:
            log.exception("gid=%s %s failed", request.args.get("gid", "-"), request.path)
        return body, status
