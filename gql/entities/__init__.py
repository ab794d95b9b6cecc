"""The tables behind the API's database-backed types, each column described once: its type
as the catalog has it, the GraphQL field that shows it as it is, the input field that writes
it, whether webhooks carry it. The loaders' select lists, `from_row`, input mapping, the
compiler's plain fields and webhook nodes are derived from these; `check_catalog` holds them
to the database at startup.

Imports nothing of gql: every layer may import it."""
