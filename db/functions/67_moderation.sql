-- The moderators' queue: reviews waiting for a decision, the longest waiting first. A review
-- waits when it is pending (it held a link, or flags hid it) or when it is published with
-- flags since the last decision (publishing clears flag_count: its newest flag_count flags are
-- those). It waits since its first such flag, else since it was last edited, else written.
-- Each item carries its newest 50 flags and 20 decisions.
-- Security definer: pending reviews of others are hidden from moderators by RLS.
-- One review waiting for a moderator (a named type: a compiled read keeps rows of it).
create type api.moderation_item as (review business_reviews, waiting_since timestamptz, flags jsonb,
                                    decisions jsonb);

create function api.moderation_queue(p_first integer, p_after_at timestamptz, p_after_id uuid)
returns setof api.moderation_item
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    perform api.require_moderator();
    return query
    select w.review, w.waiting_since, w.flags,
           (select coalesce(jsonb_agg(jsonb_build_object(
                       'decision', d.decision, 'note', d.note, 'decided_at', d.decided_at,
                       'moderator_id', d.moderator_id) order by d.decided_at), '[]')
              from (select * from moderation_decisions e where e.review_id = (w.review).id
                     order by e.decided_at desc limit 20) d)
      from (select r as review,
                   coalesce(f.first_at, r.edited_at, r.created_at) as waiting_since,
                   coalesce(f.flags, '[]') as flags
              from business_reviews r
              left join lateral (
                  select min(g.created_at) as first_at,
                         jsonb_agg(jsonb_build_object('reason', g.reason, 'flagged_at', g.created_at)
                                   order by g.created_at) as flags
                    from (select h.reason, h.created_at from review_flags h
                           where h.review_id = r.id
                           order by h.created_at desc limit least(r.flag_count, 50)) g) f on true
             where r.deleted_at is null
               and (r.status = 'pending' or (r.status = 'published' and r.flag_count > 0))) w
     where p_after_at is null or (w.waiting_since, (w.review).id) > (p_after_at, p_after_id)
     order by w.waiting_since, (w.review).id
     limit p_first;
end
$$;
