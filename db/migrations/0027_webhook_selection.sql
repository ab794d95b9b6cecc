-- A webhook may carry a GraphQL selection on the changed object: its events then hold exactly
-- that, in the API's shape (gql/schema/webhook_selection.py checks it at registration).
alter table webhook_subscriptions
    add column selection text,
    add constraint webhook_subscriptions_selection_length check (char_length(selection) <= 4096);
