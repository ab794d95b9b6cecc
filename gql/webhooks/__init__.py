"""Webhooks: the change log delivered to the endpoints users register (delivery.py: the one
worker per cluster, signed, ordered, retried, resumable). Registration and management are
GraphQL's (gql/schema/webhooks.py, gql/resolvers/webhooks.py); a selection's check and
compilation is the schema's (gql/schema/webhook_selection.py), handed to the worker by the app.

May import the resolvers and everything below them; nothing below imports it."""
