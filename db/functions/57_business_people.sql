-- The people of a business: the owner's list of what they run, managers invited by email and
-- removed, and claims of listings nobody owns. Security definer where a check is made here
-- (invitations and claims are not readable by request roles at all).

-- What the signed-in user owns or manages, in every status (drafts included), newest first:
-- read through the owner index and the user's manager rows, never by scanning the table.
create function api.my_businesses(p_first integer, p_after_at timestamptz, p_after_id uuid)
returns setof businesses
language plpgsql stable as $$
declare
    me uuid := api.current_user_id();
begin
    if me is null then  -- (anonymous: nothing, and no read of business_managers, not granted to it)
        return;
    end if;
    return query
    select b.* from (select o.id from businesses o where o.owner_id = me
                     union
                     select m.business_id from business_managers m where m.user_id = me) mine
      join businesses b on b.id = mine.id
     where b.deleted_at is null
       and (p_after_at is null or (b.created_at, b.id) < (p_after_at, p_after_id))
     order by b.created_at desc, b.id desc
     limit p_first;
end
$$;

-- The managers of a business, for its owner, its managers and administrators (else none).
create function api.managers_of(business_id uuid) returns setof uuid
language sql stable security definer set search_path = public, pg_temp as $$
    select m.user_id from business_managers m
     where m.business_id = managers_of.business_id
       and (api.manages_business(managers_of.business_id) or api.has_role('admin'))
     order by m.user_id
$$;

-- An owner invites someone to manage the business by email address (its keyed hash, and the
-- address and message sealed by the server). Good for 7 days, once.
create function api.invite_manager(business_id uuid, email_lookup bytea, email_sealed bytea, token_hash bytea,
                                   body_sealed bytea, out invitation_id uuid, out expires_at timestamptz)
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:business');
    invitee uuid;
begin
    if not exists (select 1 from businesses b where b.id = invite_manager.business_id and b.deleted_at is null) then
        perform api.raise_user_error('GQ404', 'businessId', 'no such business');
    end if;
    if not (api.owns_business(invite_manager.business_id) or api.has_role('admin')) then
        perform api.raise_user_error('GQ403', 'businessId', 'only the owner may invite managers');
    end if;
    select u.id into invitee from users u where u.email_lookup = invite_manager.email_lookup and u.deleted_at is null;
    if invitee = me or invitee = (select b.owner_id from businesses b where b.id = invite_manager.business_id) then
        perform api.raise_user_error('GQ400', 'email', 'the owner cannot be invited to manage their own business');
    end if;
    if exists (select 1 from business_managers m where m.business_id = invite_manager.business_id
                                                   and m.user_id = invitee) then
        perform api.raise_user_error('GQ400', 'email', 'this person already manages the business');
    end if;
    -- Invitations send mail to any address: at most 10 a day from one person, 3 to one address.
    if (select count(*) from manager_invitations i where i.invited_by = me
                                                     and i.created_at > now() - interval '1 day') >= 10
       or (select count(*) from manager_invitations i where i.email_lookup = invite_manager.email_lookup
                                                        and i.created_at > now() - interval '1 day') >= 3 then
        perform api.raise_user_error('GQ429', 'email', 'too many invitations today; try again tomorrow');
    end if;
    -- One live invitation per business and address: a new one replaces the earlier.
    update manager_invitations i set revoked_at = now()
     where i.business_id = invite_manager.business_id and i.email_lookup = invite_manager.email_lookup
       and i.accepted_at is null and i.revoked_at is null;
    insert into manager_invitations (business_id, email_lookup, invited_by, token_hash, expires_at)
    values (invite_manager.business_id, invite_manager.email_lookup, me, token_hash, now() + interval '7 days')
    returning id, manager_invitations.expires_at into invitation_id, expires_at;
    insert into outbox_messages (kind, user_id, recipient_sealed, subject, body_sealed)
    values ('manager_invitation', invitee, email_sealed, 'You are invited to manage a business', body_sealed);
end
$$;

-- The invitee accepts with the code: they must be signed in with the address it was sent to.
create function api.accept_manager_invitation(token_hash bytea) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:business');
    invitation manager_invitations;
begin
    select * into invitation from manager_invitations i where i.token_hash = accept_manager_invitation.token_hash
       for update;
    if not found then
        perform api.raise_user_error('GQ400', 'token', 'the invitation code is not valid');
    elsif invitation.accepted_at is not null then
        perform api.raise_user_error('GQ400', 'token', 'the invitation has been accepted already');
    elsif invitation.revoked_at is not null then
        perform api.raise_user_error('GQ400', 'token', 'the invitation was withdrawn');
    elsif invitation.expires_at <= now() then
        perform api.raise_user_error('GQ400', 'token', 'the invitation has expired; ask for a new one');
    elsif not exists (select 1 from users u where u.id = me and u.email_lookup = invitation.email_lookup) then
        perform api.raise_user_error('GQ403', 'token', 'the invitation was sent to another address');
    elsif not exists (select 1 from businesses b where b.id = invitation.business_id and b.deleted_at is null) then
        perform api.raise_user_error('GQ404', 'token', 'the business no longer exists');
    elsif not api.key_reaches(invitation.business_id) then
        perform api.raise_user_error('GQ403', 'token', 'this API key does not act for that business');
    end if;
    insert into business_managers (business_id, user_id) values (invitation.business_id, me)
        on conflict do nothing;
    update manager_invitations i set accepted_at = now(), accepted_by = me where i.id = invitation.id;
    return invitation.business_id;
end
$$;

-- The owner (or an administrator) removes a manager; a manager may also leave.
create function api.remove_manager(business_id uuid, user_id uuid) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:business');
begin
    if not (api.owns_business(remove_manager.business_id) or api.has_role('admin')
            or (me = remove_manager.user_id and api.key_reaches(remove_manager.business_id))) then
        perform api.raise_user_error('GQ403', 'businessId', 'only the owner may remove a manager');
    end if;
    delete from business_managers m where m.business_id = remove_manager.business_id
                                      and m.user_id = remove_manager.user_id;
    if not found then
        perform api.raise_user_error('GQ404', 'userId', 'this person does not manage the business');
    end if;
    -- Nor may an older invitation bring them back.
    update manager_invitations i set revoked_at = now()
      from users u
     where u.id = remove_manager.user_id and i.email_lookup = u.email_lookup
       and i.business_id = remove_manager.business_id and i.accepted_at is null and i.revoked_at is null;
    return true;
end
$$;

-- The owner (or an administrator) withdraws an invitation not yet accepted.
create function api.revoke_manager_invitation(invitation_id uuid) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    invitation manager_invitations;
begin
    perform api.require_writer('write:business');
    select * into invitation from manager_invitations i where i.id = invitation_id for update;
    if not found or not (api.owns_business(invitation.business_id) or api.has_role('admin')) then
        perform api.raise_user_error('GQ404', 'id', 'no such invitation');
    elsif invitation.accepted_at is not null then
        perform api.raise_user_error('GQ419', 'id', 'the invitation has been accepted already');
    end if;
    update manager_invitations i set revoked_at = coalesce(i.revoked_at, now()) where i.id = invitation_id;
    return true;
end
$$;

-- A signed-in user asks to own a published listing that has no owner; an administrator decides.
create function api.claim_business(business_id uuid, message text) returns business_claims
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:business');
    claim business_claims;
begin
    if not exists (select 1 from businesses b where b.id = claim_business.business_id and b.deleted_at is null
                                                and b.status = 'active') then
        perform api.raise_user_error('GQ404', 'businessId', 'no such business');
    end if;
    if not api.key_reaches(claim_business.business_id) then
        perform api.raise_user_error('GQ403', 'businessId', 'this API key does not act for that business');
    end if;
    if exists (select 1 from businesses b where b.id = claim_business.business_id and b.owner_id is not null) then
        perform api.raise_user_error('GQ419', 'businessId', 'this business has an owner already');
    end if;
    insert into business_claims (business_id, claimant_id, message)
    values (claim_business.business_id, me, btrim(message))
    returning * into claim;  -- a second pending claim of one person fails on business_claims_one_pending_key
    return claim;
end
$$;

-- Administrators: approve (the claimant becomes the owner; other pending claims of the
-- business are rejected) or reject, with a note (required to reject).
create function api.decide_business_claim(claim_id uuid, approve boolean, note text) returns business_claims
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_admin();
    writer uuid := api.require_writer('write:business');
    claim business_claims;
    why text := nullif(btrim(note), '');
begin
    -- The business first, then the claim: approvals of one business's claims queue on it.
    perform 1 from businesses b where b.id = (select c.business_id from business_claims c where c.id = claim_id)
       for update;
    select * into claim from business_claims c where c.id = claim_id for update;
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such claim');
    elsif claim.status <> 'pending' then
        perform api.raise_user_error('GQ419', 'id', 'this claim has been decided already');
    elsif not approve and why is null then
        perform api.raise_user_error('GQ400', 'note', 'say why the claim is rejected');
    end if;
    if approve then
        update businesses b set owner_id = claim.claimant_id
         where b.id = claim.business_id and b.owner_id is null;
        if not found then
            perform api.raise_user_error('GQ419', 'id', 'the business has an owner already');
        end if;
        update business_claims c set status = 'rejected', decided_at = now(), decided_by = me,
                                     decision_note = 'another claim was approved'
         where c.business_id = claim.business_id and c.status = 'pending' and c.id <> claim.id;
    end if;
    update business_claims c set status = case when approve then 'approved' else 'rejected' end,
                                 decided_at = now(), decided_by = me, decision_note = why
     where c.id = claim.id returning * into claim;
    return claim;
end
$$;

-- Administrators: claims by status, in keyset pages: pending ones oldest first (the queue),
-- decided ones newest first. A claimant sees their own claims too.
create function api.business_claims(p_status text, p_first integer, p_after_at timestamptz, p_after_id uuid)
returns setof business_claims
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    everyone boolean := api.has_role('admin');
    me uuid := api.require_user();
begin
    if p_status = 'pending' then
        return query
        select * from business_claims c
         where c.status = p_status and (everyone or c.claimant_id = me)
           and (p_after_at is null or (c.created_at, c.id) > (p_after_at, p_after_id))
         order by c.created_at, c.id limit p_first;
    else
        return query
        select * from business_claims c
         where c.status = p_status and (everyone or c.claimant_id = me)
           and (p_after_at is null or (c.created_at, c.id) < (p_after_at, p_after_id))
         order by c.created_at desc, c.id desc limit p_first;
    end if;
end
$$;
