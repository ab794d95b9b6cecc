alter table webhook_subscriptions drop column selection;
