-- An address gets no mail but its confirmation until its owner confirms it
-- (API.md, "Residents and invitations"): anyone holding a hallway link could
-- otherwise sign a stranger's address up for every announcement. NULL: not
-- confirmed. A confirmation link (/confirm/{token}), an activation link or a
-- password reset link proves the mailbox; so does an account that existed
-- before this rule: residents who signed up then keep their mail, and
-- managers who activated their invitation proved their address with it.
ALTER TABLE users ADD COLUMN email_confirmed_at DATETIME NULL AFTER email;

UPDATE users SET email_confirmed_at = created_at
  WHERE role = 'resident' OR password_hash IS NOT NULL;

ALTER TABLE account_tokens MODIFY kind ENUM('activation', 'reset', 'confirm') NOT NULL;
