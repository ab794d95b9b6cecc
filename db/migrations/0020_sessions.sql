-- Accounts that last: a session per signed-in device, kept by rotating refresh tokens (only
-- their SHA-256 is stored; a rotated token used again revokes its session, the whole family);
-- one-time tokens for password resets and email verification; an outbox of messages for a
-- sender to deliver (recipient and body sealed with the data key, as email addresses are).
create table sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    last_used_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason text,
    device text,
    constraint sessions_device_length check (char_length(device) <= 200)
);
create index sessions_user_idx on sessions (user_id, created_at);

create table refresh_tokens (
    token_hash bytea primary key,
    session_id uuid not null references sessions (id) on delete cascade,
    issued_at timestamptz not null default now(),
    rotated_at timestamptz
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

create table account_tokens (
    token_hash bytea primary key,
    user_id uuid not null references users (id) on delete cascade,
    purpose text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    constraint account_tokens_purpose_known check (purpose in ('password_reset', 'email_verification'))
);
create index account_tokens_user_idx on account_tokens (user_id, purpose, created_at);

create table outbox_messages (
    id bigint generated always as identity primary key,
    kind text not null,
    user_id uuid references users (id) on delete cascade,
    recipient_sealed bytea not null,
    subject text not null,
    body_sealed bytea not null,
    created_at timestamptz not null default now(),
    sent_at timestamptz
);
create index outbox_messages_pending_idx on outbox_messages (id) where sent_at is null;

alter table users add column email_verified_at timestamptz;

-- Server-side only: no request role reads these (the api functions are security definer).
alter table sessions enable row level security;
alter table refresh_tokens enable row level security;
alter table account_tokens enable row level security;
alter table outbox_messages enable row level security;
