"""The PostgreSQL servers this process uses and how it rides out their trouble: the embedded
cluster, the streaming replica for compiled reads, what losing the database looks like, and
the periodic upkeep in each server process.

Below gql/database.py (which uses it), beside gql/identity and gql/edge; it may import only
gql.observability, gql.errors and gql.user_errors.
"""
