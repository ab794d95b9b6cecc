"""GraphQL API server for a local-business directory."""
