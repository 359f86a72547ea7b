/* Properties, shared by their routes, the import (their fields) and new
 * organisations' sample. */
#ifndef CORE_PROPERTIES_H
#define CORE_PROPERTIES_H

#include "db/db.h"
#include "portal/crypto.h"
#include "portal/portal.h"

struct property_fields {
	const char *reference_id; /* NULL or "": generated ("L-<id>") */
	const char *name, *street, *zip, *city, *country, *notes;
	long long responsible_id; /* 0: none; a checked employee (property_responsible_check) */
};

#define SAMPLE_PROPERTY_NAME "Robert-Koch-Straße"

/* Inserts a property of org_id and its search words; 0, 409 when the
 * reference ID is taken, or an HTTP status. The caller owns the transaction. */
int property_insert(struct db *db, struct portal_arena *a, long long org_id,
                    const struct property_fields *f, long long *id);

/* Whether the "responsible_id" sent is one the property may have: null or
 * absent, or an employee (manager account) of the caller's organisation,
 * whose row stays locked until the transaction ends (the caller opened it).
 * 0, 422 on the field (never saying whose id it is), or an HTTP status. */
int property_responsible_check(struct portal_req *req);

/* The sample every new organisation starts with. */
int property_insert_sample(struct db *db, struct portal_arena *a, long long org_id);

/* The caller's properties that the search q finds as GET /properties?q=
 * does (through the same index and query; its first PORTAL_SEARCH_TERMS_MAX words
 * count, and a q without words finds none), or the first by name when q is
 * NULL; without the n ids of except; at most limit, by name: *rows [{id,
 * name, city}]. The property picker's search without script
 * (features/picker.c), so that it finds what the script's search finds.
 * 0 or an HTTP status. */
int property_search(struct portal_req *req, const char *q, const long long *except, size_t n,
                    int limit, struct portal_value **rows);

#endif
