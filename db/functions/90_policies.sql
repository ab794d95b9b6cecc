-- Row-level security: the authority on who sees what (DESIGN rule 5). Policies are
-- re-created here on every migrate, so each one is dropped first.

-- The public directory: listed businesses, their categories, published reviews.
drop policy if exists categories_public_read on categories;
create policy categories_public_read on categories for select
    to gql_anonymous, gql_user using (active);

drop policy if exists businesses_public_read on businesses;
create policy businesses_public_read on businesses for select
    to gql_anonymous, gql_user using (status = 'active' and deleted_at is null);

drop policy if exists business_reviews_public_read on business_reviews;
create policy business_reviews_public_read on business_reviews for select
    to gql_anonymous, gql_user
    using (status = 'published' and deleted_at is null
           and exists (select 1 from businesses b where b.id = business_id));

drop policy if exists review_responses_public_read on review_responses;
create policy review_responses_public_read on review_responses for select
    to gql_anonymous, gql_user
    using (deleted_at is null
           and exists (select 1 from business_reviews r where r.id = review_id));

drop policy if exists users_public_profile on users;
create policy users_public_profile on users for select
    to gql_anonymous, gql_user using (deleted_at is null);

-- Administrators see and change everything.
do $$
declare
    t text;
begin
    foreach t in array array['categories', 'businesses', 'business_reviews', 'review_responses',
                             'review_votes', 'business_managers', 'users', 'user_roles'] loop
        execute format('drop policy if exists %I on %I', t || '_admin_all', t);
        execute format('create policy %I on %I for all to gql_admin using (true) with check (true)',
                       t || '_admin_all', t);
    end loop;
end
$$;
