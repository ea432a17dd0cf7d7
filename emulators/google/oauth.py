"""Google's OAuth 2.0 and OpenID Connect endpoints, as the real client libraries see them.

Paths, parameters, JSON bodies and error codes follow accounts.google.com and
oauth2.googleapis.com: consent page, authorization-code grant with PKCE and exact redirect_uri
checks, refresh-token grant, revoke, userinfo, discovery and JWKS with RS256-signed id tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import time
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from emulators.google.state import ACCESS_TOKEN_SECONDS, AccessToken, Account, EmulatorState

EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"
PROFILE_SCOPE = "https://www.googleapis.com/auth/userinfo.profile"
# Google answers the short sign-in scopes with their long names in every `scope` it returns.
_SCOPE_ALIASES = {"email": EMAIL_SCOPE, "profile": PROFILE_SCOPE}
#: Sign-in scopes, short or long: granted with the sign-in itself, never a checkbox to untick.
OPENID_SCOPES = {"openid", *_SCOPE_ALIASES, *_SCOPE_ALIASES.values()}


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _error_page(title: str, detail: str, status: int = 400) -> HTMLResponse:
    body = f"""<!doctype html><html><head><title>Error {status}: {html.escape(title)}</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Access blocked: authorisation error</h1>
<p><b>Error {status}: {html.escape(title)}</b></p><p>{html.escape(detail)}</p></body></html>"""
    return HTMLResponse(body, status_code=status)


def _scope_string(scopes: list[str]) -> str:
    return " ".join(dict.fromkeys(_SCOPE_ALIASES.get(s, s) for s in scopes))


def _has_scope(scopes: list[str], short_name: str) -> bool:
    return short_name in scopes or _SCOPE_ALIASES[short_name] in scopes


def _identity_claims(account: Account, scopes: list[str]) -> dict[str, Any]:
    """What Google tells about the person: `sub` always, the rest only under its scope."""
    claims: dict[str, Any] = {"sub": account.sub}
    if _has_scope(scopes, "email"):
        claims["email"] = account.email
        claims["email_verified"] = True
    if _has_scope(scopes, "profile"):
        claims["name"] = account.name
    return claims


def _pkce_ok(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    if challenge is None:
        return True
    if not verifier:
        return False
    if (method or "plain") == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        expected = verifier
    return hmac.compare_digest(expected, challenge)


def build_router(state: EmulatorState) -> APIRouter:
    router = APIRouter()

    def issuer() -> str:
        return state.issuer

    @router.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        base = issuer()
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/v1/userinfo",
            "revocation_endpoint": f"{base}/revoke",
            "jwks_uri": f"{base}/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": [
                "aud",
                "email",
                "email_verified",
                "exp",
                "iat",
                "iss",
                "name",
                "sub",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }

    @router.get("/oauth2/v3/certs")
    def jwks() -> dict[str, Any]:
        public: RSAPublicKey = state.signing_key.public_key()
        numbers = public.public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "kid": state.key_id,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            ]
        }

    @router.get("/o/oauth2/v2/auth", response_model=None)
    @router.get("/o/oauth2/auth", response_model=None)
    def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        client = state.clients.get(params.get("client_id", ""))
        if client is None:
            return _error_page("invalid_client", "The OAuth client was not found.", 401)
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return _error_page(
                "redirect_uri_mismatch",
                f"You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                f"policy. redirect_uri={redirect_uri}",
            )
        if params.get("response_type") != "code":
            return _redirect_error(redirect_uri, "unsupported_response_type", params.get("state"))
        scopes = params.get("scope", "").split()
        if not scopes:
            return _error_page("invalid_request", "Missing required parameter: scope")
        return HTMLResponse(_consent_page(state, params, scopes))

    @router.post("/o/oauth2/v2/auth/approve", response_model=None)
    async def approve(request: Request) -> Response:
        form = await request.form()
        params = json.loads(str(form.get("request", "{}")))
        client = state.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return _error_page("invalid_request", "The consent request was tampered with.")
        if form.get("decision") != "allow":
            return _redirect_error(redirect_uri, "access_denied", params.get("state"))
        email = str(form.get("email") or form.get("other_email") or "").strip().lower()
        if "@" not in email:
            return HTMLResponse(
                _consent_page(
                    state, params, params.get("scope", "").split(), error="Enter an email address"
                ),
                status_code=400,
            )
        state.add_account(email)
        requested = params.get("scope", "").split()
        granted_optional = set(form.getlist("scope"))
        # Sign-in scopes are always granted; the user may untick any other (granular consent).
        granted = [s for s in requested if s in OPENID_SCOPES or s in granted_optional]
        code = state.issue_code(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            email=email,
            scopes=granted,
            offline=params.get("access_type") == "offline",
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method"),
            prompt=params.get("prompt", ""),
        )
        # Google's callback also names its issuer (RFC 9207), the account index and the prompt.
        query = {
            "iss": state.issuer,
            "code": code.code,
            "scope": _scope_string(granted),
            "authuser": "0",
            "prompt": "consent",
        }
        if params.get("state") is not None:
            query = {"state": params["state"], **query}
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)

    @router.post("/token", response_model=None)
    async def token(request: Request) -> Response:
        form = await request.form()
        fields = {key: str(value) for key, value in form.items()}
        client_id, client_secret = _client_credentials(request, fields)
        client = state.clients.get(client_id or "")
        if client is None or not hmac.compare_digest(client.client_secret, client_secret or ""):
            return _oauth_error("invalid_client", "Unauthorized", 401)
        grant_type = fields.get("grant_type")
        if grant_type == "authorization_code":
            return _exchange_code(state, client.client_id, fields)
        if grant_type == "refresh_token":
            return _refresh(state, client.client_id, fields)
        return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    @router.post("/revoke", response_model=None)
    async def revoke(request: Request) -> Response:
        form = await request.form()
        token_value = str(form.get("token") or request.query_params.get("token") or "")
        if not state.revoke(token_value):
            return _oauth_error("invalid_token", "Token expired or revoked")
        return JSONResponse({})

    @router.get("/v1/userinfo", response_model=None)
    @router.get("/oauth2/v3/userinfo", response_model=None)
    def userinfo(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        found = state.valid_access_token(header.removeprefix("Bearer ").strip())
        if found is None:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return JSONResponse(_identity_claims(state.add_account(found.email), found.scopes))

    return router


def _client_credentials(request: Request, fields: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return fields.get("client_id"), fields.get("client_secret")


def _exchange_code(state: EmulatorState, client_id: str, fields: dict[str, str]) -> Response:
    with state.lock:
        code = state.codes.get(fields.get("code", ""))
        if code is None:
            return _oauth_error("invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at < time.time() or code.client_id != client_id:
            return _oauth_error("invalid_grant", "Bad Request")
        if code.redirect_uri != fields.get("redirect_uri"):
            # Google's own error here, not RFC 6749's invalid_grant.
            return _oauth_error("redirect_uri_mismatch", "Bad Request")
        if not _pkce_ok(
            fields.get("code_verifier"), code.code_challenge, code.code_challenge_method
        ):
            if not fields.get("code_verifier"):
                return _oauth_error("invalid_grant", "Missing code verifier.")
            return _oauth_error("invalid_grant", "Invalid code verifier.")
        code.used = True
    # Google sends a refresh token the first time a person grants offline access, and again
    # only when the app forces the consent screen with prompt=consent.
    wants_refresh = code.offline and (
        "consent" in code.prompt.split() or not state.has_live_grant(client_id, code.email)
    )
    refresh = (
        state.issue_refresh_token(client_id, code.email, code.scopes) if wants_refresh else None
    )
    access = state.issue_access_token(
        client_id, code.email, code.scopes, refresh.token if refresh else None
    )
    body: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": _scope_string(code.scopes),
        "token_type": "Bearer",
    }
    if refresh is not None:
        body["refresh_token"] = refresh.token
    if "openid" in code.scopes:
        body["id_token"] = _id_token(state, client_id, code.email, code.scopes, access, code.nonce)
    return JSONResponse(body, headers={"Cache-Control": "no-cache, no-store, max-age=0"})


def _refresh(state: EmulatorState, client_id: str, fields: dict[str, str]) -> Response:
    """The refresh-token grant; a `scope` parameter narrows the new access token.

    Scopes asked for but not in the grant are dropped, not refused: after granular consent
    Google answers with the scopes the person kept, and google-auth only logs the difference.
    """
    with state.lock:
        refresh = state.refresh_tokens.get(fields.get("refresh_token", ""))
        if refresh is None or refresh.revoked or refresh.client_id != client_id:
            return _oauth_error("invalid_grant", "Token has been expired or revoked.")
    scopes = refresh.scopes
    if fields.get("scope"):
        asked = {_SCOPE_ALIASES.get(s, s) for s in fields["scope"].split()}
        scopes = [s for s in refresh.scopes if _SCOPE_ALIASES.get(s, s) in asked]
        if not scopes:
            return _oauth_error("invalid_scope", "Bad Request")
    access = state.issue_access_token(client_id, refresh.email, scopes, refresh.token)
    body: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": _scope_string(scopes),
        "token_type": "Bearer",
    }
    if "openid" in scopes:
        body["id_token"] = _id_token(state, client_id, refresh.email, scopes, access, None)
    return JSONResponse(body)


def _at_hash(access_token: str) -> str:
    """OIDC Core 3.1.3.6: the left half of the token's SHA-256, base64url without padding."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _id_token(
    state: EmulatorState,
    client_id: str,
    email: str,
    scopes: list[str],
    access: AccessToken,
    nonce: str | None,
) -> str:
    account = state.add_account(email)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": state.issuer,
        "azp": client_id,
        "aud": client_id,
        **_identity_claims(account, scopes),
        "at_hash": _at_hash(access.token),
        "iat": now,
        "exp": now + 3600,
    }
    if nonce:
        claims["nonce"] = nonce
    return jwt.encode(claims, state.signing_key, algorithm="RS256", headers={"kid": state.key_id})


def _redirect_error(redirect_uri: str, error: str, state_value: str | None) -> RedirectResponse:
    query = {"error": error}
    if state_value is not None:
        query["state"] = state_value
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)


def _consent_page(
    state: EmulatorState, params: dict[str, str], scopes: list[str], error: str = ""
) -> str:
    request_json = html.escape(json.dumps(params), quote=True)
    accounts = sorted(state.accounts.values(), key=lambda a: a.email)
    account_buttons = "\n".join(
        f'<button class="account" type="submit" name="email" value="{html.escape(a.email)}">'
        f"<b>{html.escape(a.name)}</b><br><small>{html.escape(a.email)}</small></button>"
        for a in accounts
    )
    optional = [s for s in scopes if s not in OPENID_SCOPES]
    scope_boxes = "\n".join(
        f'<label><input type="checkbox" name="scope" value="{html.escape(s)}" checked> '
        f"{html.escape(s)}</label><br>"
        for s in optional
    )
    hint = html.escape(params.get("login_hint", ""))
    warning = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (emulator)</title>
<style>
body {{ font-family: Roboto, Arial, sans-serif; background: #f0f4f9; }}
main {{ max-width: 32em; margin: 3em auto; background: #fff; border-radius: 24px; padding: 2em; }}
.account {{ display: block; width: 100%; text-align: left; padding: .8em; margin: .4em 0;
  border: 1px solid #dadce0; border-radius: 8px; background: #fff; cursor: pointer; }}
.account:hover {{ background: #e8f0fe; }}
.error {{ color: #b3261e; }}
.emulator {{ color: #5f6368; font-size: .85em; }}
</style></head>
<body><main>
<h1>Choose an account</h1>
<p>to continue to <b>{html.escape(params.get("client_id", ""))}</b></p>
<p class="emulator">Google emulator: no real Google account is used.</p>
{warning}
<form method="post" action="/o/oauth2/v2/auth/approve">
<input type="hidden" name="request" value="{request_json}">
<input type="hidden" name="decision" value="allow">
<fieldset><legend>Access requested</legend>{scope_boxes or "Sign-in only"}</fieldset>
{account_buttons}
<p><label>Use another account <input type="email" name="other_email" value="{hint}"
 placeholder="name@example.com"></label>
<button type="submit" id="continue">Continue</button></p>
</form>
<form method="post" action="/o/oauth2/v2/auth/approve">
<input type="hidden" name="request" value="{request_json}">
<button type="submit" name="decision" value="deny" id="cancel">Cancel</button>
</form>
</main></body></html>"""
