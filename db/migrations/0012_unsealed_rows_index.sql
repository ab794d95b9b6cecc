-- Every server start looks for rows still in clear (gql/sealing.py): after the first start
-- there are none, and these empty indexes answer that without reading the tables.
create index users_unsealed_idx on users (id) where email_unsealed is not null;
create index security_events_unsealed_idx on security_events (id)
    where email_unsealed is not null or client_address_unsealed is not null;
