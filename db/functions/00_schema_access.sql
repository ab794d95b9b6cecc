-- Every request role may call the api functions; what they return is governed by RLS.
grant usage on schema api to gql_anonymous, gql_user, gql_admin;
