-- Rich listings: photos (in order, one of them primary), logo and cover, a price level, a
-- typed set of attributes, social links. Badges need no column: claimed is an owner,
-- verified the verification status. The server checks inputs first (naming the field), the
-- shape of each photo and link included; these constraints hold the rest whatever writes.
alter table businesses
    add column logo_url text,
    add column cover_url text,
    add column price_level smallint,
    add column attributes text[] not null default '{}',
    add column social_links jsonb not null default '{}',
    add column photos jsonb not null default '[]',
    add constraint businesses_logo_url_format check (logo_url ~* '^https?://[^\s]+$' and char_length(logo_url) <= 500),
    add constraint businesses_cover_url_format check (cover_url ~* '^https?://[^\s]+$' and char_length(cover_url) <= 500),
    add constraint businesses_price_level_range check (price_level between 1 and 4),
    add constraint businesses_attributes_known check (attributes <@ array[
        'wheelchair_accessible', 'outdoor_seating', 'delivery', 'takeout', 'parking', 'wifi',
        'reservations', 'good_for_kids', 'pets_allowed', 'accepts_cards']::text[]),
    add constraint businesses_social_links_shape check (jsonb_typeof(social_links) = 'object'),
    add constraint businesses_photos_count check (jsonb_typeof(photos) = 'array' and jsonb_array_length(photos) <= 20);

-- Filters: listed businesses with all of some attributes (GIN), by price level (few values:
-- checked on the rows the other conditions find).
create index businesses_attributes_idx on businesses using gin (attributes)
    where deleted_at is null and status = 'active';
