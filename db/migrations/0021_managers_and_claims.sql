-- Owners invite managers by email (an invitation carries a one-time code, sent through the
-- outbox; only its SHA-256 is kept), and people claim listings that have no owner (an
-- administrator approves or rejects the claim).
create table manager_invitations (
    id uuid primary key default gen_random_uuid(),
    business_id uuid not null references businesses (id) on delete cascade,
    email_lookup bytea not null,
    invited_by uuid references users (id) on delete set null,
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    accepted_at timestamptz,
    accepted_by uuid references users (id) on delete set null,
    revoked_at timestamptz
);
create index manager_invitations_business_idx on manager_invitations (business_id, created_at);

create table business_claims (
    id uuid primary key default gen_random_uuid(),
    business_id uuid not null references businesses (id) on delete cascade,
    claimant_id uuid not null references users (id) on delete cascade,
    message text not null,
    status text not null default 'pending',
    created_at timestamptz not null default now(),
    decided_at timestamptz,
    decided_by uuid references users (id) on delete set null,
    decision_note text,
    constraint business_claims_message_length check (char_length(message) between 1 and 1000),
    constraint business_claims_status_known check (status in ('pending', 'approved', 'rejected'))
);
create unique index business_claims_one_pending_key on business_claims (business_id, claimant_id)
    where status = 'pending';
create index business_claims_pending_idx on business_claims (created_at) where status = 'pending';

alter table manager_invitations enable row level security;
alter table business_claims enable row level security;
