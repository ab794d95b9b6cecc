-- Writing reviews, responses, votes and flags (security invoker: RLS and guards decide).

-- Reviews a user may write per hour.
create function api.review_rate_limit() returns integer
language sql immutable parallel safe as $$ select 20 $$;

-- A new review is published at once unless it carries a link, or its author had a review
-- rejected in the last 90 days: then it waits for a moderator.
-- The status of the caller's new review (only the caller's own history counts): a link in
-- its title or text sends it to moderation.
create function api.new_review_status(title text, content text) returns text
language sql stable security definer set search_path = public, pg_temp as $$
    select case
        when api.has_link(title) or api.has_link(content) then 'pending'
        when exists (select 1 from business_reviews r
                      where r.author_id = api.current_user_id() and r.status = 'rejected'
                        and r.updated_at > now() - interval '90 days') then 'pending'
        else 'published'
    end
$$;

-- The caller's own reviews of the last hour (for the rate limit; nobody else's count).
create function api.my_recent_reviews() returns bigint
language sql stable security definer set search_path = public, pg_temp as $$
    select count(*) from business_reviews r
     where r.author_id = api.current_user_id() and r.created_at > now() - interval '1 hour'
$$;

create function api.create_review(
    business_id uuid, rating integer, title text, content text, visit_date date,
    idempotency_key text
) returns business_reviews
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:review');
    earlier uuid := api.claim_idempotency_key(idempotency_key, 'createReview');
    result business_reviews;
begin
    if earlier is not null then
        select * into result from business_reviews r where r.id = earlier;
        return api.shown(result);
    end if;
    if not exists (select 1 from businesses b where b.id = business_id
                     and b.status = 'active' and b.deleted_at is null) then
        perform api.raise_user_error('GQ404', 'businessId', 'no such business');
    end if;
    if not api.key_reaches(business_id) then
        perform api.raise_user_error('GQ403', 'businessId', 'this API key does not act for that business');
    end if;
    if api.runs_business(business_id) then
        perform api.raise_user_error('GQ403', 'businessId', 'you cannot review a business you run');
    end if;
    -- One of the author's new reviews at a time, so that racing requests count each other:
    -- the lock lasts until this transaction ends, and the count after it sees what the
    -- previous holder committed (a new snapshot per statement).
    perform pg_advisory_xact_lock(hashtextextended('new review by ' || me, 0));
    if api.my_recent_reviews() >= api.review_rate_limit() then
        perform api.raise_user_error('GQ429', null,
            format('at most %s reviews an hour; try again later', api.review_rate_limit()));
    end if;
    insert into business_reviews (business_id, author_id, rating, title, content, visit_date, status)
    values (business_id, me, rating, nullif(btrim(title), ''), btrim(content), visit_date,
            api.new_review_status(title, content))
    returning * into result;
    perform api.settle_idempotency_key(idempotency_key, result.id);
    return api.shown(result);
end
$$;

-- Why a review the caller wanted to change was not changed. Raises.
create function api.explain_review_not_changed(review_id uuid) returns void
language plpgsql stable as $$
declare
    review record;
begin
    select r.author_id, r.created_at, r.business_id into review from business_reviews r
     where r.id = review_id and r.deleted_at is null;
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such review');
    end if;
    if review.author_id is distinct from api.current_user_id() and not api.has_role('admin') then
        perform api.raise_user_error('GQ403', 'id', 'only its author may change a review');
    end if;
    if not api.key_reaches(review.business_id) then
        perform api.raise_user_error('GQ403', 'id', 'this API key does not act for that business');
    end if;
end
$$;

-- patch: rating, title, content, visit_date as JSON; absent keys keep their value.
create function api.update_review(review_id uuid, expected_version integer, patch jsonb)
returns business_reviews
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    result business_reviews;
begin
    perform api.require_writer('write:review');
    perform api.check_mergeable('business_reviews', review_id, expected_version, patch);
    update business_reviews r
       set (rating, title, content, visit_date) =
           (select p.rating, nullif(btrim(p.title), ''), btrim(p.content), p.visit_date
              from jsonb_populate_record(r, patch) p)
     where r.id = review_id and r.deleted_at is null
    returning r.* into result;
    if not found then
        perform api.explain_review_not_changed(review_id);
        perform api.raise_user_error('GQ404', 'id', 'no such review');
    end if;
    return api.shown(result);
end
$$;

-- Soft delete, by its author or an administrator. Security definer for the reason given at
-- api.delete_business; the check is made here.
create function api.delete_review(review_id uuid) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    author uuid;
    business uuid;
begin
    perform api.require_writer('write:review');
    select r.author_id, r.business_id into author, business from business_reviews r
     where r.id = review_id and r.deleted_at is null
       and (r.status = 'published' or r.author_id = api.current_user_id() or api.has_role('admin'));
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such review');
    end if;
    if author is distinct from api.current_user_id() and not api.has_role('admin') then
        perform api.raise_user_error('GQ403', 'id', 'only its author may delete a review');
    end if;
    if not api.key_reaches(business) then
        perform api.raise_user_error('GQ403', 'id', 'this API key does not act for that business');
    end if;
    update business_reviews r set deleted_at = now() where r.id = review_id;
    return review_id;
end
$$;

-- A published review the caller can see, or an error naming the argument.
create function api.visible_review(review_id uuid, field text) returns business_reviews
language plpgsql stable as $$
declare
    result business_reviews;
begin
    select * into result from business_reviews r
     where r.id = review_id and r.deleted_at is null and r.status = 'published';
    if not found then
        perform api.raise_user_error('GQ404', field, 'no such review');
    end if;
    return result;
end
$$;

create function api.respond_to_review(review_id uuid, content text, idempotency_key text)
returns review_responses
language plpgsql volatile
    set gql.writing = 'on' as $$
#variable_conflict use_column
declare
    me uuid := api.require_writer('write:review');
    review business_reviews := api.visible_review(review_id, 'reviewId');
    earlier uuid := api.claim_idempotency_key(idempotency_key, 'respondToReview');
    result review_responses;
begin
    if earlier is not null then
        select * into result from review_responses x where x.id = earlier;
        return result;
    end if;
    if not api.manages_business(review.business_id) then
        perform api.raise_user_error('GQ403', 'reviewId', 'only the business''s owner or managers may respond');
    end if;
    insert into review_responses (review_id, business_id, responder_id, content)
    values (respond_to_review.review_id, review.business_id, me, btrim(respond_to_review.content))
    on conflict (review_id) where deleted_at is null
    do update set content = excluded.content, responder_id = excluded.responder_id
    returning * into result;
    perform api.settle_idempotency_key(idempotency_key, result.id);
    return result;
end
$$;

-- helpful: true or false casts or changes the caller's vote; null withdraws it.
create function api.vote_review(review_id uuid, helpful boolean) returns business_reviews
language plpgsql volatile
    set gql.writing = 'on' as $$
#variable_conflict use_column
declare
    me uuid := api.require_writer('write:review');
    review business_reviews := api.visible_review(review_id, 'reviewId');
begin
    if not api.key_reaches(review.business_id) then
        perform api.raise_user_error('GQ403', 'reviewId', 'this API key does not act for that business');
    end if;
    if review.author_id = me then
        perform api.raise_user_error('GQ403', 'reviewId', 'you cannot vote on your own review');
    end if;
    if vote_review.helpful is null then
        delete from review_votes v where v.review_id = vote_review.review_id and v.user_id = me;
    else
        insert into review_votes (review_id, user_id, helpful)
        values (vote_review.review_id, me, vote_review.helpful)
        on conflict (review_id, user_id) do update set helpful = excluded.helpful;
    end if;
    select * into review from business_reviews r where r.id = vote_review.review_id;
    return api.shown(review);
end
$$;

-- Flag a review (once per user). Returns the review, or null once enough flags hid it
-- (api_private.review_flags_count says whose flags count).
create function api.flag_review(review_id uuid, reason text) returns business_reviews
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:review');
    review business_reviews := api.visible_review(review_id, 'reviewId');
begin
    if not api.key_reaches(review.business_id) then
        perform api.raise_user_error('GQ403', 'reviewId', 'this API key does not act for that business');
    end if;
    if review.author_id = me then
        perform api.raise_user_error('GQ403', 'reviewId', 'you cannot flag your own review');
    end if;
    insert into review_flags (review_id, user_id, reason)
    values (flag_review.review_id, me, btrim(reason))
    on conflict do nothing;
    select * into review from business_reviews r
     where r.id = flag_review.review_id and r.status = 'published';
    return api.shown(review);
end
$$;

-- A moderator's (or administrator's) decision ('published' or 'rejected'), recorded with who made it and why (a note is
-- required to reject). Security definer: moderators run as gql_user, whose guard keeps review
-- statuses for moderators, and a pending review of someone else is not theirs to see; the
-- role check is made here.
create function api.moderate_review(review_id uuid, decision text, note text)
returns business_reviews
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    result business_reviews;
    why text := nullif(btrim(note), '');
begin
    perform api.require_moderator();
    perform api.require_writer('write:review');
    if decision = 'rejected' and why is null then
        perform api.raise_user_error('GQ400', 'note', 'say why the review is rejected');
    end if;
    -- No one decides on their own review, nor on reviews of a business they run.
    if exists (select 1 from business_reviews r where r.id = review_id
                  and (r.author_id = api.current_user_id() or api.runs_business(r.business_id))) then
        perform api.raise_user_error('GQ403', 'id', 'another moderator must decide on this review');
    end if;
    update business_reviews r
       set status = decision,
           moderation_notes = why,
           published_at = case when decision = 'published' then coalesce(r.published_at, now())
                               else r.published_at end,
           flag_count = case when decision = 'published' then 0 else r.flag_count end
     where r.id = review_id and r.deleted_at is null
    returning r.* into result;
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such review');
    end if;
    insert into moderation_decisions (review_id, moderator_id, decision, note)
    values (review_id, api.current_user_id(), decision, why);
    -- The payload, to a key without the read scope: the review only if the public may read it
    -- (security definer: RLS does not apply here, so the public rule is spelt out).
    if not api.key_may_read() and not (result.status = 'published' and exists (
            select 1 from businesses b where b.id = result.business_id and b.status = 'active'
                                         and b.deleted_at is null)) then
        return null;
    end if;
    return result;
end
$$;
