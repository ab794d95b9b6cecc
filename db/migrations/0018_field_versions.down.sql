alter table business_reviews drop column field_versions;
alter table businesses drop column field_versions;
