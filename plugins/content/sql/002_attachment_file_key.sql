-- Whether a stored file is still named is asked by key (portal/files.h).
ALTER TABLE announcement_attachments ADD KEY announcement_attachments_file (file);
