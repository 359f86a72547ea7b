/* Sending the outbox (the rows portal_mail and mail_queue write), a job of the
 * jobs worker. */
#ifndef CORE_OUTBOX_H
#define CORE_OUTBOX_H

struct portal_req;

/* Sends the mails that are due, a few at a time, until none is left, a few
 * batches went by or the worker is stopping. Rows are claimed with
 * SELECT ... FOR UPDATE SKIP LOCKED and a lease, so several jobs workers (pools
 * on other hosts) never send one mail twice; a failed attempt waits
 * mail_retry_seconds * 2^(attempts - 1), at most an hour, and after
 * mail_max_attempts the mail is 'failed'. Errors are logged and the rows kept;
 * returns 0, or the status of a failed claim. */
int outbox_run(struct portal_req *req);

#endif
