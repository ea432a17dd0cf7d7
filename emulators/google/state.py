"""The Google emulator's world: accounts, OAuth clients, codes and tokens, all in memory.

One instance per emulator process; tests reset it through the control API.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

ACCESS_TOKEN_SECONDS = 3599
CODE_SECONDS = 600


@dataclass
class Account:
    email: str
    name: str

    @property
    def sub(self) -> str:
        # Google's subject is a stable opaque number per account.
        return str(int(hashlib.sha256(self.email.encode()).hexdigest()[:15], 16))


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: set[str] = field(default_factory=set)


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    email: str
    scopes: list[str]
    offline: bool
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    prompt: str = ""
    used: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    email: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    email: str
    scopes: list[str]
    expires_at: float
    revoked: bool = False
    refresh_token: str | None = None


class EmulatorState:
    """Everything the emulator remembers; a lock keeps concurrent requests consistent."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.lock = threading.RLock()
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(8)
        self.accounts: dict[str, Account] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}

    def reset(self) -> None:
        with self.lock:
            self.codes.clear()
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def add_account(self, email: str, name: str = "") -> Account:
        email = email.strip().lower()
        with self.lock:
            account = self.accounts.get(email)
            if account is None:
                account = Account(email=email, name=name or email.split("@")[0])
                self.accounts[email] = account
            elif name:
                account.name = name
            return account

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: set[str]
    ) -> OAuthClient:
        with self.lock:
            client = self.clients.get(client_id)
            if client is None:
                client = OAuthClient(client_id, client_secret, set(redirect_uris))
                self.clients[client_id] = client
            else:
                client.client_secret = client_secret
                client.redirect_uris |= set(redirect_uris)
            return client

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        email: str,
        scopes: list[str],
        offline: bool,
        nonce: str | None,
        code_challenge: str | None,
        code_challenge_method: str | None,
        prompt: str = "",
    ) -> AuthorizationCode:
        code = AuthorizationCode(
            code="4/0" + secrets.token_urlsafe(40),
            client_id=client_id,
            redirect_uri=redirect_uri,
            email=email,
            scopes=scopes,
            offline=offline,
            nonce=nonce,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=time.time() + CODE_SECONDS,
            prompt=prompt,
        )
        with self.lock:
            self.codes[code.code] = code
        return code

    def issue_access_token(
        self, client_id: str, email: str, scopes: list[str], refresh_token: str | None
    ) -> AccessToken:
        token = AccessToken(
            token="ya29." + secrets.token_urlsafe(60),
            client_id=client_id,
            email=email,
            scopes=scopes,
            expires_at=time.time() + ACCESS_TOKEN_SECONDS,
            refresh_token=refresh_token,
        )
        with self.lock:
            self.access_tokens[token.token] = token
        return token

    def issue_refresh_token(self, client_id: str, email: str, scopes: list[str]) -> RefreshToken:
        token = RefreshToken(
            token="1//0" + secrets.token_urlsafe(60),
            client_id=client_id,
            email=email,
            scopes=scopes,
        )
        with self.lock:
            self.refresh_tokens[token.token] = token
        return token

    def has_live_grant(self, client_id: str, email: str) -> bool:
        """Whether this person already gave this app offline access that is still in force."""
        with self.lock:
            return any(
                t.client_id == client_id and t.email == email and not t.revoked
                for t in self.refresh_tokens.values()
            )

    def valid_access_token(self, token: str) -> AccessToken | None:
        with self.lock:
            found = self.access_tokens.get(token)
            if found is None or found.revoked or found.expires_at < time.time():
                return None
            return found

    def revoke(self, token: str) -> bool:
        """Revoking either token of a grant revokes the whole grant, as Google does.

        False when the token is unknown, expired or already revoked: Google answers those
        with 400 invalid_token.
        """
        with self.lock:
            refresh = self.refresh_tokens.get(token)
            if refresh is not None and refresh.revoked:
                return False
            access = self.valid_access_token(token) if refresh is None else None
            if refresh is None and access is None:
                return False
            grant = refresh.token if refresh else access.refresh_token if access else None
            if access is not None:
                access.revoked = True
            if grant is not None:
                self._revoke_grant(grant)
            return True

    def revoke_account(self, email: str) -> int:
        """The user removed our app's access in their Google account settings."""
        with self.lock:
            grants = [
                t.token for t in self.refresh_tokens.values() if t.email == email and not t.revoked
            ]
            for grant in grants:
                self._revoke_grant(grant)
            # Access tokens of online grants (no refresh token) die with the app's access too.
            for access in self.access_tokens.values():
                if access.email == email:
                    access.revoked = True
            return len(grants)

    def _revoke_grant(self, refresh_token: str) -> None:
        refresh = self.refresh_tokens.get(refresh_token)
        if refresh is not None:
            refresh.revoked = True
        for access in self.access_tokens.values():
            if access.refresh_token == refresh_token:
                access.revoked = True
