"""The layers an HTTP request to /graphql passes before GraphQL, outermost first, each an ASGI
app wrapping the next (gql/app.py composes them):

    BodyCheck       the body read (bounded) and its shape checked (gql/edge/request_checks.py)
    Credentials     the caller's identity, or 401 / 429 / 503 before anything runs
    ClientHeaders   X-Client-Id and X-Read-After, checked
    CompiledFirst   a document seen compiled before, answered by one statement without Strawberry

What a layer finds is left in the ASGI scope's state (body, identity, client_id, read_after)
for the layers and the GraphQL app inside it.

Sits between the app and the schema: may import gql.compiled, identity, postgres, edge and
anything below them."""
