alter table review_flags drop column by_moderator;
