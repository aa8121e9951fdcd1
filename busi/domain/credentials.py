"""Who may act for whom: the buyer's and the operator's credentials (docs/security.md).

A credential is a bearer token signed with AUTH_SECRET by itsdangerous, naming its holder: a
buyer (one user id) or the operator. A buyer acts only for themself: buys, pays, reads their
wallet and orders. The operator runs the shop (products, stock, balances, the demo) and may act
for any buyer, which is what the simulations do. A token expires after CREDENTIAL_TTL_S.
"""

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from busi.domain.refusals import Forbidden, MissingCredential

SALT = "busi-credential"  # keeps these tokens apart from anything else signed with the same key


@dataclass(frozen=True)
class Holder:
    """Whom a valid credential names."""

    operator: bool = False
    buyer: int | None = None

    def may_act_for(self, user_id):
        return self.operator or self.buyer == user_id

    def require_buyer(self, user_id):
        if not self.may_act_for(user_id):
            raise Forbidden(
                f"this credential is buyer {self.buyer}'s, not buyer {user_id}'s: a buyer acts only for themself"
            )


class Credentials:
    """Makes and checks credentials with one key; ttl_s: how long one is good for."""

    def __init__(self, secret, ttl_s):
        if not secret:
            raise ValueError("no AUTH_SECRET: credentials cannot be made or checked without it")
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.ttl_s = ttl_s

    @classmethod
    def of(cls, config):
        return cls(config.auth_secret, config.credential_ttl_s)

    def for_buyer(self, user_id):
        return self._serializer.dumps({"buyer": user_id})

    def for_operator(self):
        return self._serializer.dumps({"operator": True})

    def holder(self, token):
        """The Holder a token names; MissingCredential if it is forged, altered or expired."""
        try:
            claims = self._serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired:
            raise MissingCredential(
                f"the credential expired (they last {self.ttl_s} s): buy again for a new one, "
                "or ask the operator (python -m busi credential)"
            ) from None
        except BadSignature:
            raise MissingCredential(
                "the credential is not one this shop signed: send it as the purchase gave it"
            ) from None
        if claims.get("operator") is True:
            return Holder(operator=True)
        buyer = claims.get("buyer")
        if isinstance(buyer, int) and not isinstance(buyer, bool):
            return Holder(buyer=buyer)
        raise MissingCredential("the credential names no buyer and no operator")
