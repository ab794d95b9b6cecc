revoke select on change_log from gql_anonymous, gql_user, gql_admin;
