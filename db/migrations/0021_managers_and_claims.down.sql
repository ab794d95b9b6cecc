drop table business_claims;
drop table manager_invitations;
