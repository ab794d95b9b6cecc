"""Who a request is and the secrets that prove it: tokens and passwords (auth), the holders a
token stands for, the signing secret and the data key kept per data directory, and the sealing
of personal data under that key.

Below the database and settings, beside gql/edge and gql/postgres (none of the three imports
another); it may import gql.observability, gql.errors and gql.user_errors only.
"""
