/* Reading validated fields of a request body (JSON, form or multipart alike).
 * Each returns 0, or 422 "validation" recorded on the field, so a handler can
 * write `if ((status = portal_body_str(...))) return status;`. */
#ifndef PORTAL_INPUT_H
#define PORTAL_INPUT_H

#include <stdbool.h>
#include <stddef.h>

struct portal_req;

/* A string of min_chars..max_chars characters (UTF-8 characters, not bytes),
 * with surrounding white space removed. Absent or null: *out = NULL, which is
 * an error only when min_chars > 0 ("" counts as absent). */
int portal_body_str(struct portal_req *req, const char *name, size_t min_chars,
		    size_t max_chars, const char **out);

/* A boolean: JSON true/false, or in forms "true"/"false", "1"/"0", "on".
 * Absent: *out = dflt. */
int portal_body_bool(struct portal_req *req, const char *name, bool dflt, bool *out);

/* An integer id (a JSON number or a string of digits), > 0. Absent: *out = 0,
 * an error only when required. */
int portal_body_id(struct portal_req *req, const char *name, bool required, long long *out);

/* An address the portal can keep as an account's email and send mail to:
 * one local@domain of plain ASCII, at most 254 bytes, nothing that separates
 * or quotes addresses. */
bool portal_email_valid(const char *email);

/* Whether the body has the field at all (PATCH: only what is sent changes). */
bool portal_body_has(const struct portal_req *req, const char *name);

#endif
