"""What the service refuses because of what the caller sent: the entrypoints answer these
with a 4xx and a JSON error (busi/entrypoints/errors.py), and nothing has been changed."""


class InvalidInput(ValueError):
    """Bad input from the caller: answered 400, and nothing is changed."""


class NotFound(InvalidInput):
    """An id that names nothing: answered 404."""


class MissingCredential(InvalidInput):
    """No credential, or one this shop did not sign or that expired: answered 401."""


class Forbidden(InvalidInput):
    """A valid credential, for someone else or for less: answered 403."""
