"""Values of arguments and fields that both executors read: the schema's resolvers (through
gql/schema) and the compiled statements (gql/compiled), so neither has to import the other's
package for them.

Low in the layers: it imports nothing from gql.
"""
