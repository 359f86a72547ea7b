-- GET /api/v1/outbox without a status filter pages through an organisation's
-- mails by id (keyset): this index makes every page cost the same.
CREATE INDEX outbox_org_id ON outbox (org_id, id);
