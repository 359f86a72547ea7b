#include "features/properties.h"

#include <stdio.h>

#include "features/search.h"
#include "portal/input.h"

int property_insert(struct db *db, struct portal_arena *a, long long org_id,
                    const struct property_fields *f, long long *id)
{
	bool generate = !f->reference_id || !*f->reference_id;
	/* A generated ID needs the row's id: a unique placeholder first. */
	char placeholder[PORTAL_TOKEN_CHARS + 1];
	unsigned char unused[PORTAL_HASH_BYTES];
	if (generate)
		portal_token_new(placeholder, unused);
	unsigned long long new_id = 0;
	int status = db_run(
	    db, a,
	    "INSERT INTO properties (org_id, reference_id, name, street, zip, city,"
	    " country, notes, responsible_id, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())",
	    PORTAL_DB_ARGS(PDB_I(org_id), PDB_S(generate ? placeholder : f->reference_id),
	                   PDB_S(f->name), PDB_S(f->street ? f->street : ""),
	                   PDB_S(f->zip ? f->zip : ""), PDB_S(f->city ? f->city : ""),
	                   PDB_S(f->country ? f->country : ""), PDB_S(f->notes ? f->notes : ""),
	                   f->responsible_id ? PDB_I(f->responsible_id) : PDB_NUL),
	    NULL, NULL, &new_id);
	if (!status && generate) {
		char ref[64];
		snprintf(ref, sizeof ref, "L-%05llu", new_id);
		const char *r = ref;
		status =
		    db_run(db, a, "UPDATE properties SET reference_id = ? WHERE id = ?",
		           PORTAL_DB_ARGS(PDB_S(r), PDB_I((long long)new_id)), NULL, NULL, NULL);
		if (status == 409) { /* someone chose "L-00042" by hand: keep the token */
			snprintf(ref, sizeof ref, "L-%05llu-%.8s", new_id, placeholder);
			status = db_run(
			    db, a, "UPDATE properties SET reference_id = ? WHERE id = ?",
			    PORTAL_DB_ARGS(PDB_S(r), PDB_I((long long)new_id)), NULL, NULL, NULL);
		}
	}
	*id = (long long)new_id;
	return status ? status : search_add(db, &search_properties, id, 1);
}

int property_responsible_check(struct portal_req *req)
{
	long long id = portal_in_int(req, "responsible_id", 0);
	if (!id)
		return 0;
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             "SELECT id FROM users WHERE id = ? AND org_id = ?"
	                             " AND role = 'manager' LOCK IN SHARE MODE",
	                             PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	return pv_first(rows) ? 0
	                      : portal_fail(req, 422, "validation", "responsible_id",
	                                    "properties.responsible_invalid");
}

int property_insert_sample(struct db *db, struct portal_arena *a, long long org_id)
{
	const struct property_fields sample = {
	    .name = SAMPLE_PROPERTY_NAME,
	    .street = "Robert-Koch-Straße 1",
	    .zip = "10115",
	    .city = "Berlin",
	    .country = "Deutschland",
	    .notes = "Beispiel-Liegenschaft zum Ausprobieren: Sie können sie jederzeit "
	             "bearbeiten oder löschen.",
	};
	long long id;
	return property_insert(db, a, org_id, &sample, &id);
}
