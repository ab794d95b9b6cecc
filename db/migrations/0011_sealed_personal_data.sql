-- Personal data sealed at rest. The server encrypts users' email addresses and the client
-- addresses of security events under a key the database never sees (gql/data_key.py), and
-- looks them up by a keyed hash. This migration makes room; the server seals any rows still
-- in clear the next time it starts (the *_unsealed columns, emptied then, go in a later
-- migration once every installation has started on this one).

alter table users rename column email to email_unsealed;
alter table users alter column email_unsealed drop not null;
alter table users drop constraint users_email_format;
drop index users_email_key;
alter table users add column email_lookup bytea, add column email_sealed bytea;
create unique index users_email_key on users (email_lookup);
alter table users add constraint users_email_whole check ((email_lookup is null) = (email_sealed is null));
-- Demo and imported people have no password and need no address; whoever can sign in has one.
alter table users add constraint users_sign_in_has_email
    check (password_hash is null or email_lookup is not null or email_unsealed is not null);

drop index security_events_email_idx;
drop index security_events_address_idx;
alter table security_events rename column email to email_unsealed;
alter table security_events rename column client_address to client_address_unsealed;
alter table security_events add column email_lookup bytea, add column client_address_lookup bytea,
    add column client_address_sealed bytea;
create index security_events_email_idx on security_events (email_lookup, created_at)
    where email_lookup is not null;
create index security_events_address_idx on security_events (client_address_lookup, created_at)
    where client_address_lookup is not null;

-- Which key sealed this database's data (a fingerprint, not the key): a server started with
-- another key refuses to run rather than write data it could not read back.
create table data_key_check (
    only_row boolean primary key default true check (only_row),
    fingerprint bytea not null,
    set_at timestamptz not null default now()
);
