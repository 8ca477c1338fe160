"""The sign-in pages: plain HTML, no script, every value from a client or Sentry escaped."""

from __future__ import annotations

from html import escape

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}"
    "button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}code{background:#eee;padding:0 .2rem}"
    ".box{border:1px solid #ccc;border-radius:.4rem;padding:.5rem 1rem;margin:1rem 0}"
)


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"><style>{STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def consent(
    *,
    request_id: str,
    client_name: str,
    client_id: str,
    redirect_host: str,
    server: str,
    sentry: str,
    read_only_forced: bool,
    ask_token: bool,
    token_help: str,
) -> str:
    access = (
        "<p>This client asked for <b>read-only</b> access: it can read issues, events and statistics, and change "
        'nothing.</p><input type="hidden" name="access" value="read">'
        if read_only_forced
        else '<p><label><input type="radio" name="access" value="full" checked> Read and change issues (resolve, '
        'ignore, assign, comment)</label><br><label><input type="radio" name="access" value="read"> Read only: '
        "the tools that change Sentry stay hidden and refused</label></p>"
    )
    token = (
        f'<p><label>Your own API token for {escape(sentry)}<br><input type="password" name="token" size="60" '
        f'autocomplete="off" required></label><br><small>{escape(token_help)}</small></p>'
        if ask_token
        else f"<p>Next, {escape(sentry)} asks you to sign in and approve this server.</p>"
    )
    body = (
        f'<div class="box"><p><b>{escape(client_name)}</b> wants to use Sentry Error Monitor at '
        f"<code>{escape(server)}</code> as you, with your Sentry account.</p>"
        f"<p>Client id <code>{escape(client_id)}</code>; after you approve, you return to "
        f"<code>{escape(redirect_host)}</code>. If you did not just connect this client, deny.</p></div>"
        '<form method="post" action="/signin/consent">'
        f'<input type="hidden" name="request" value="{escape(request_id)}">'
        f'{access}{token}<button type="submit" name="action" value="approve">Approve</button>'
        '<button type="submit" name="action" value="deny">Deny</button></form>'
    )
    return page("Sign in to Sentry Error Monitor", body)


def message(title: str, text: str, next_step: str = "") -> str:
    return page(title, f"<p>{escape(text)}</p>" + (f"<p>{escape(next_step)}</p>" if next_step else ""))


def sign_out_form(sentry: str, ask_token: bool) -> str:
    proof = (
        '<p><label>Your API token (to prove who you are; it is not kept)<br><input type="password" name="token" '
        'size="60" autocomplete="off" required></label></p>'
        if ask_token
        else f"<p>{escape(sentry)} will ask you to confirm who you are.</p>"
    )
    body = (
        "<p>Sign out of Sentry Error Monitor everywhere: every MCP client you signed in with loses access, and the "
        "server forgets your Sentry token.</p>"
        f'<form method="post" action="/signin/signout">{proof}<button type="submit">Sign out everywhere</button></form>'
    )
    return page("Sign out", body)
