"""Bearer-token authentication with Starlette's own authentication middleware.

No header: an anonymous caller, who may read public article data. A header that is
malformed, or names an unknown, expired or revoked token: 401, before any GraphQL runs.
"""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from ledger.use_cases.tokens import Principal, authenticate

__all__ = ["PrincipalUser", "TokenAuthentication", "refuse_credentials"]


class PrincipalUser(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.id


class TokenAuthentication(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be `Bearer <token>`")
        principal = await authenticate(conn.app.state.services.engine, token.strip())
        if principal is None:
            raise AuthenticationError("the bearer token is unknown, expired or revoked")
        return AuthCredentials([principal.role]), PrincipalUser(principal)


def refuse_credentials(conn: HTTPConnection, error: Exception) -> Response:
    return JSONResponse(
        {"errors": [{"message": str(error), "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="evidence-ledger"'},
    )
