"""GraphiQL, served with its scripts and styles from this server: Strawberry's page loads
them from unpkg.com, which leaves a blank "Loading..." page without internet (offices behind
a proxy, air-gapped sites, strict CSPs). The same pinned files are kept in gql/static/graphiql
and the page is pointed at them; its Subresource Integrity hashes stay, so the browser itself
checks that they are the very versions Strawberry pins. A Strawberry upgrade that pins other
versions fails at start-up (and in the tests) until the files here are replaced to match.
"""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).parent.parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"
PINNED = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}


def self_hosted(html: str) -> str:
    """Strawberry's GraphiQL page, loading everything from ASSETS_PATH."""
    for remote, local in PINNED.items():
        if remote not in html:
            raise RuntimeError(f"Strawberry's GraphiQL page no longer loads {remote}:"
                               " update gql/edge/graphiql.py")
        html = html.replace(remote, f"{ASSETS_PATH}/{local}")
    if "https://" in html:
        raise RuntimeError("Strawberry's GraphiQL page loads an asset this server does not serve")
    return html
