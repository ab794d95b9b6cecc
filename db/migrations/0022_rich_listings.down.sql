drop index businesses_attributes_idx;
alter table businesses
    drop column photos, drop column social_links, drop column attributes, drop column price_level,
    drop column cover_url, drop column logo_url;
