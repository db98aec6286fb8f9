"""The verifier as a service: the HTTP API, its limits, jobs and wire types, the MCP server."""
