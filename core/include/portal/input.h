/* Declared input. A route lists what it reads from the body (JSON,
 * urlencoded or multipart alike) and the query; before the handler runs, the
 * pipeline checks every declared member in the order given, answers 422
 * "validation" with the member's name as field on the first bad one, and
 * leaves in req->body and req->query only the declared members, as typed
 * values. The handler reads them with the portal_in_* calls below.
 *
 *     static const struct portal_input item_inputs[] = {
 *             {"name", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, 100},
 *             {"property_ids", PORTAL_IN_PROPERTIES, PORTAL_IN_REQUIRED},
 *             {"notify", PORTAL_IN_BOOL},
 *             {"status", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = statuses},
 *             {0},
 *     };
 *
 * The query's "limit" and "after" (portal/list.h) pass on every route. */
#ifndef PORTAL_INPUT_H
#define PORTAL_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;

enum portal_input_type {
	/* An id > 0: a JSON number or a string of digits. */
	PORTAL_IN_ID = 1,
	/* Ids: a JSON list (in forms the field repeated), duplicates dropped,
	 * at most max of them (0: 1000); with PORTAL_IN_ALL also "all". */
	PORTAL_IN_IDS,
	/* Properties of the caller's organisation: ids as PORTAL_IN_IDS or
	 * "all", each checked to be the organisation's (one query); a foreign or
	 * unknown id is a 422 on the member. */
	PORTAL_IN_PROPERTIES,
	/* Text of min to max characters (UTF-8 characters, not bytes), white
	 * space around it removed; no control characters but, with
	 * PORTAL_IN_MULTILINE, line breaks and tabs. "" counts as absent. */
	PORTAL_IN_STRING,
	/* One of choices (NULL-terminated). */
	PORTAL_IN_ENUM,
	/* JSON true/false; in forms "true"/"false", "1"/"0" or a checkbox's
	 * "on" (a form's absent checkbox is false only where the handler says
	 * so: absent is absent). */
	PORTAL_IN_BOOL,
	/* A calendar day, "2026-12-24". */
	PORTAL_IN_DATE,
	/* An instant: RFC 3339 with a zone ("2026-12-01T18:00:00Z",
	 * "...+01:00"), or a form's datetime-local ("2026-12-01T19:00") read in
	 * the deployment's time_zone. Read back as RFC 3339 in UTC. */
	PORTAL_IN_DATETIME,
	/* An address portal_email_valid accepts; read back lower-cased. */
	PORTAL_IN_EMAIL,
	/* A whole number from min to max (a JSON number or a string of digits). */
	PORTAL_IN_INT,
	/* Texts: a JSON list of strings (in forms the field repeated), or one
	 * string; each item as PORTAL_IN_STRING (of at most max characters),
	 * empty ones dropped, at most 1000 of them. */
	PORTAL_IN_STRINGS,
	/* One PORTAL_IN_BOOL member per kind of mail the running plugins
	 * declare (struct portal_notification), named by the kind; the input's
	 * own name only names the declaration. */
	PORTAL_IN_NOTIFICATIONS,
	/* One of the caller's organisation's categories of the plugin
	 * (portal/categories.h); read with portal_in_str. */
	PORTAL_IN_CATEGORY,
};

enum portal_input_flags {
	/* absent, null or "": 422. Without it, absent is fine; JSON's null or
	 * [] is a 422 unless NULLABLE, and so is "" for text with a minimum
	 * length: a PATCH may leave such a member out, not empty it. */
	PORTAL_IN_REQUIRED = 1u << 0,
	PORTAL_IN_QUERY = 1u << 1,     /* from the query string, not the body */
	PORTAL_IN_NULLABLE = 1u << 2,  /* null (a form's "") is kept, as "set to none" */
	PORTAL_IN_ALL = 1u << 3,       /* PORTAL_IN_IDS: "all" is allowed */
	PORTAL_IN_MULTILINE = 1u << 4, /* PORTAL_IN_STRING(S): line breaks allowed */
	PORTAL_IN_VERBATIM = 1u << 5,  /* PORTAL_IN_STRING: kept as sent, white space
	                                * around it too (a password) */
	/* One value per item, in the order sent (a form's field repeated, once
	 * per uploaded file, say; a JSON list; one value is a list of one), each
	 * checked as the member's type, an empty item kept as null so that the
	 * n-th value still belongs to the n-th item; with REQUIRED an empty item
	 * is a 422 too. At most 1000 items. Read with portal_in_each. Not for
	 * the list types (IDS, PROPERTIES, STRINGS). */
	PORTAL_IN_EACH = 1u << 6,
};

struct portal_input {
	const char *name;
	enum portal_input_type type;
	unsigned flags;
	long long min, max;         /* STRING: characters; INT: the range; IDS: max count */
	const char *const *choices; /* ENUM */
	const char *message;        /* locale key of the 422's message; NULL: a general one */
};

/* Reading checked input (body, or query for PORTAL_IN_QUERY members).
 * portal_in_str: STRING, ENUM, EMAIL, DATE and DATETIME (RFC 3339 UTC); NULL
 *   when absent or null.
 * portal_in_int: ID and INT; dflt when absent or null.
 * portal_in_bool: dflt when absent or null.
 * portal_in_time: DATETIME as seconds since the epoch; 0 when absent.
 * portal_in_has: whether the member was sent at all (PATCH changes only what
 *   is sent; a NULLABLE member sent as null is sent: portal_in_null).
 * portal_in_ids: IDS and PROPERTIES; count 0 and all false when absent.
 * portal_in_strings: STRINGS; count 0 when absent.
 * A page's form handler, which runs on the body as sent when the inputs were
 * refused, reads the sent values too where they parse (a form's "on", "12"). */
const char *portal_in_str(const struct portal_req *req, const char *name);
long long portal_in_int(const struct portal_req *req, const char *name, long long dflt);
bool portal_in_bool(const struct portal_req *req, const char *name, bool dflt);
long long portal_in_time(const struct portal_req *req, const char *name);
bool portal_in_has(const struct portal_req *req, const char *name);
bool portal_in_null(const struct portal_req *req, const char *name);

/* For an UPDATE that keeps what was not sent (SET c = COALESCE(?, c)): the
 * text sent; "" when a NULLABLE member was sent as null (cleared); NULL when
 * it was not sent (kept). */
const char *portal_in_patch(const struct portal_req *req, const char *name);

struct portal_ids {
	bool all; /* "all" was sent: ids is empty */
	size_t count;
	const long long *ids; /* in the order sent, without duplicates */
};
struct portal_ids portal_in_ids(const struct portal_req *req, const char *name);

/* A PORTAL_IN_EACH member: the list of its items as typed values (PV_STRING,
 * PV_INT, PV_BOOL) or PV_NULL for an empty one, in the order sent; NULL when
 * the member was not sent at all. */
const struct portal_value *portal_in_each(const struct portal_req *req, const char *name);

struct portal_strings {
	size_t count;
	const char *const *items; /* in the order sent */
};
struct portal_strings portal_in_strings(const struct portal_req *req, const char *name);

/* An address the portal can keep as an account's email and send mail to:
 * one local@domain of plain ASCII, at most 254 bytes, nothing that separates
 * or quotes addresses. */
bool portal_email_valid(const char *email);

#ifdef __cplusplus
}
#endif

#endif
