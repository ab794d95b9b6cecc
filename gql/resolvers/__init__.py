"""Data access behind the GraphQL fields: loaders and SQL functions, no GraphQL types.

Each resolver returns database rows (or pages of rows); gql/schema turns them into types.
Keeping the types out of here breaks the import cycle between domains.
"""
