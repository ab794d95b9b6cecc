-- Who decided what of a review, and why (api.moderate_review), and the queue's index: the
-- reviews waiting for a moderator (pending, or published with flags since the last decision).
create table moderation_decisions (
    id bigint generated always as identity primary key,
    review_id uuid not null references business_reviews (id) on delete cascade,
    moderator_id uuid references users (id) on delete set null,
    decision text not null,
    note text,
    decided_at timestamptz not null default now(),
    constraint moderation_decisions_decision_known check (decision in ('published', 'rejected')),
    constraint moderation_decisions_note_length check (char_length(note) between 1 and 1000)
);
create index moderation_decisions_review_idx on moderation_decisions (review_id, decided_at);
alter table moderation_decisions enable row level security;  -- (read through api functions only)

create index business_reviews_waiting_idx on business_reviews (created_at, id)
    where deleted_at is null and (status = 'pending' or (status = 'published' and flag_count > 0));
