"""The verifier as a service: the HTTP API, its limits, jobs and wire types, the MCP server.

Public names are re-exported here and imported on first use. Private modules: `_http`
(create_app, `reason serve`), `_wire` (wire types), `_auth` (the one bearer-token rule),
`_limits` (limits, settings, the request guard), `_jobs` (the process pool), `_mcp` (the MCP
server, `reason mcp`), `_background` (uvicorn in a daemon thread).
"""

from reasoning._lazy import lazy_exports

_EXPORTS = {
    "create_app": "reasoning.service._http",
    "serve_in_background": "reasoning.service._http",
    "Settings": "reasoning.service._limits",
    "build_mcp_server": "reasoning.service._mcp:build_server",
    "mcp_http_app": "reasoning.service._mcp:http_app",
    "serve_asgi": "reasoning.service._background",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
