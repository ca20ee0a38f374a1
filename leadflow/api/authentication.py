"""`Authorization: Bearer <token>` for programs; the browser's session (with its CSRF check) for pages."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from leadflow.api.tokens import api_token_find, api_token_touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A personal API token; request.auth is its ApiToken (its scope decides whether writes are allowed)."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may still know the user
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as `Authorization: Bearer <token>`.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("This token is not valid.") from exc
        token = api_token_find(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("This token is not valid, expired or was revoked.")
        api_token_touch(token, request=request._request)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated requests 401 (with this challenge) rather than 403.
        return f'{self.keyword} realm="api"'
