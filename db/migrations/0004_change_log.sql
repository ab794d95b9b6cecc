-- The change log behind the realtime feed: one row per change to a business, review,
-- owner response or category, written by triggers (db/functions/80_change_log.sql).
--
-- Delivery order is commit order. A change gets its position (seq) only at COMMIT, from a
-- deferred trigger that holds an exclusive transaction-level advisory lock from taking
-- the numbers until the commit completes. So positions become visible strictly in
-- increasing order: a reader that sees position n has seen, or will never see, every
-- position below n, and can move its cursor past n safely. (Numbers taken earlier in the
-- transaction could commit out of order; that is the gap this design closes.)

create table change_log (
    entry_id bigint generated always as identity primary key,
    seq bigint,
    txid xid8 not null default pg_current_xact_id(),
    topic text not null,
    entity text not null,
    entity_id uuid not null,
    business_id uuid,
    op text not null,
    actor_id uuid,
    client_id text,
    -- Who could see the row before this change: the public, and these users (owner, author).
    was_public boolean not null default false,
    stakeholders uuid[] not null default '{}',
    at timestamptz not null default clock_timestamp(),
    constraint change_log_seq_key unique (seq),
    constraint change_log_topic_known check (topic in ('business', 'review', 'category')),
    constraint change_log_op_known check (op in ('INSERT', 'UPDATE', 'DELETE'))
);
create sequence change_log_seq_seq as bigint owned by change_log.seq;
-- The rows of transactions that have not committed yet (the commit trigger finds its own).
create index change_log_unsequenced_idx on change_log (txid) where seq is null;
create index change_log_business_idx on change_log (business_id, seq);

-- The highest position ever pruned: a cursor below it has lost events and must resync.
create table change_log_horizon (
    id boolean primary key default true check (id),
    pruned_through bigint not null default 0
);
insert into change_log_horizon default values;

alter table change_log enable row level security;
alter table change_log_horizon enable row level security;
