drop index business_reviews_waiting_idx;
drop table moderation_decisions;
