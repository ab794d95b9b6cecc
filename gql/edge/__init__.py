"""The HTTP and WebSocket edge: what a request, its GraphQL document and its variables must be
before either executor (the schema's or gql/compiled's) runs them, and how answers go out
(GraphQL over HTTP, caching headers, SSE and multipart streams, graphql-transport-ws, GraphiQL,
persisted documents, CORS origins, the client's address and device id).

These are protocol rules, independent of the schema and the database: gql/app.py wires them
together, and the layers above (schema, compiled, context, settings) may import them. They
import only each other, gql.observability, gql.errors and gql.user_errors.
"""
