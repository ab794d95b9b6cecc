drop index if exists review_responses_review_idx;
