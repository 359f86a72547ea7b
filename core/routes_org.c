/* The organisation: its settings (GET and PATCH /org, the page /app/settings),
 * its logo (upload, and delivery through nginx) and its brand stylesheet.
 *
 * Every query of a signed-in caller is scoped by req->caller.org_id. The two
 * public routes (the logo and /brand/{id}.css) name the organisation in the path
 * and show only what its login and join pages show anyway. */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "portal/files.h"
#include "routes.h"
#include "worker.h"

#define LOGO_MAX_BYTES (2u * 1024 * 1024)

/* A colour as the API takes it: "#rrggbb". Stored lower-case, so the stylesheet
 * and the form's <input type=color> see one spelling. */
static bool color_valid(const char *s)
{
	if (!s || strlen(s) != 7 || s[0] != '#')
		return false;
	for (int i = 1; i < 7; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

static char *color_lower(struct portal_arena *a, const char *s)
{
	char *c = portal_strdup(a, s);
	for (char *p = c; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return c;
}

/* A name without surrounding spaces, 1 to 200 characters and no control
 * characters (names appear in mail headers and in the layout); NULL otherwise. */
static char *name_clean(struct portal_arena *a, const char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	char *c = portal_strndup(a, s, n);
	if (!c || n == 0 || account_chars(c) > NAME_MAX_CHARS)
		return NULL;
	return c;
}

/* Fills view with the caller's organisation as the API shows it, and on pages
 * with what the settings form needs. 0 or an HTTP status. */
static int org_fill(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status = portal_db_query(
	    req, "SELECT id, name, brand_color, logo_file, locale FROM orgs WHERE id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	const struct portal_value *o = rows->u.c.head->value;
	long long id = pv_get_int(o, "id", 0);
	const char *locale = pv_get_str(o, "locale");
	char *url = portal_sprintf(a, "/api/v1/orgs/%lld/logo", id);
	struct portal_value *logo = pv_null(a);
	if (pv_get_str(o, "logo_file"))
		logo = url ? pv_string(a, url) : NULL;
	if (pv_set_int(a, view, "id", id) || pv_set_str(a, view, "name", pv_get_str(o, "name")) ||
	    pv_set_str(a, view, "brand_color", pv_get_str(o, "brand_color")) ||
	    pv_set(a, view, "logo_url", logo) || pv_set_str(a, view, "locale", locale))
		return 500;
	if (req->is_api)
		return 0;
	/* The page: whether the form is live, which language is chosen, and the
	 * notice after a successful save (?saved=1, set by our own redirect). */
	bool en = locale && strcmp(locale, "en") == 0;
	if (pv_set_bool(a, view, "can_edit", req->caller.admin) ||
	    pv_set_bool(a, view, "locale_de", !en) || pv_set_bool(a, view, "locale_en", en) ||
	    pv_set_bool(a, view, "saved", pv_get_str(req->query, "saved") != NULL))
		return 500;
	return 0;
}

/* A failed change: the page is shown again with the organisation, what the
 * caller typed as the name, and the field marked (invalid: {field: true}).
 * Only the error must reach the caller: if the arena runs out while adding
 * these, the form shows less, and the answer is the same. */
static int org_fail(struct portal_req *req, struct portal_value *view, int status,
		    const char *code, const char *field, const char *message)
{
	if (!req->is_api && org_fill(req, view) == 0) {
		struct portal_arena *a = req->arena;
		const char *typed = pv_get_str(req->body, "name");
		struct portal_value *invalid = field ? pv_object(a) : NULL;
		if ((typed && pv_set_str(a, view, "name", typed)) ||
		    (invalid && (pv_set_bool(a, invalid, field, true) ||
				 pv_set(a, view, "invalid", invalid))))
			portal_log("settings: the form is shown without what was typed");
	}
	return portal_fail(req, status, code, field, message);
}

/* GET /api/v1/org and the page /app/settings (read-only for managers without
 * the admin flag: the form is disabled and says why). */
static int org_show(struct portal_req *req, struct portal_value *view)
{
	int status = org_fill(req, view);
	return status ? status : 200;
}

/* PATCH /api/v1/org {name?, brand_color?, locale?}; the page's form posts to
 * /app/settings. Other fields (id, logo, admin, ...) are ignored. */
static int org_update(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const struct portal_value *v;
	const char *name = NULL, *color = NULL, *locale = NULL;
	if ((v = pv_get(req->body, "name")) &&
	    (v->type != PV_STRING || !(name = name_clean(a, v->u.s.ptr))))
		return org_fail(req, view, 422, "validation", "name", "org.name_invalid");
	if ((v = pv_get(req->body, "brand_color")) &&
	    (v->type != PV_STRING || !color_valid(v->u.s.ptr) ||
	     !(color = color_lower(a, v->u.s.ptr))))
		return org_fail(req, view, 422, "validation", "brand_color", "org.color_invalid");
	if ((v = pv_get(req->body, "locale"))) {
		if (v->type != PV_STRING ||
		    (strcmp(v->u.s.ptr, "de") != 0 && strcmp(v->u.s.ptr, "en") != 0))
			return org_fail(req, view, 422, "validation", "locale",
					"org.locale_invalid");
		locale = v->u.s.ptr;
	}
	int status = portal_db_exec(
	    req,
	    "UPDATE orgs SET name = COALESCE(?, name), brand_color = COALESCE(?, brand_color),"
	    " locale = COALESCE(?, locale) WHERE id = ?",
	    PORTAL_DB_ARGS(PDB_S(name), PDB_S(color), PDB_S(locale), PDB_I(req->caller.org_id)),
	    NULL, NULL);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req, "/app/settings?saved=1");
	return org_show(req, view);
}

/* POST /api/v1/org/logo (multipart `file`, PNG or JPEG, at most 2 MiB); the
 * page's upload form posts to /app/settings/logo. Answers the organisation. */
static int org_logo(struct portal_req *req, struct portal_value *view)
{
	const struct portal_upload *up = portal_upload_of(req, "file");
	if (!up)
		return org_fail(req, view, 422, "validation", "file", "org.logo_missing");
	if (up->size > LOGO_MAX_BYTES)
		return org_fail(req, view, 413, "too_large", "file", "org.logo_too_large");
	const char *type = portal_image_type(up);
	if (!type)
		return org_fail(req, view, 415, "unsupported_media_type", "file",
				"org.logo_type");
	char sha[PORTAL_FILE_NAME_CHARS + 1];
	bool created = false;
	int status = portal_file_store(req, up, sha, &created);
	if (status)
		return status;
	status = portal_db_exec(req, "UPDATE orgs SET logo_file = ?, logo_type = ? WHERE id = ?",
				PORTAL_DB_ARGS(PDB_S(sha), PDB_S(type), PDB_I(req->caller.org_id)),
				NULL, NULL);
	if (status) {
		portal_file_discard(req, sha, created); /* no file without a row */
		return status;
	}
	/* The previous logo's file stays: another organisation may use the same
	 * picture, and a page rendered a moment ago may still ask for it. */
	if (!req->is_api)
		return portal_redirect(req, "/app/settings?saved=1");
	return org_show(req, view);
}

/* GET /api/v1/orgs/{id}/logo: public, because the login and join pages show it.
 * The worker only says which file; nginx sends it from its internal /_files/
 * location with the protective headers of that location. */
static int org_logo_file(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(req, "SELECT logo_file, logo_type FROM orgs WHERE id = ?",
				     PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id"))), &rows);
	if (status)
		return status;
	const struct portal_value *o = rows->u.c.count ? rows->u.c.head->value : NULL;
	const char *type = pv_get_str(o, "logo_type");
	/* Only types this file allowed: a row changed by hand must not choose one. */
	if (!type || (strcmp(type, "image/png") != 0 && strcmp(type, "image/jpeg") != 0))
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	return portal_file_send(req, pv_get_str(o, "logo_file"), type, NULL);
}

/* GET /brand/{id}.css: the organisation's colour as a CSS variable. A
 * stylesheet, because the Content-Security-Policy forbids inline styles; only
 * valid colours are ever stored, and this checks once more before sending. */
static int org_brand_css(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(req, "SELECT brand_color FROM orgs WHERE id = ?",
				     PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id"))), &rows);
	if (status)
		return status;
	const struct portal_value *o = rows->u.c.count ? rows->u.c.head->value : NULL;
	const char *color = pv_get_str(o, "brand_color");
	if (!color)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	if (!color_valid(color))
		color = "#1f5fa8";
	char css[64];
	int n = snprintf(css, sizeof css, ":root{--brand:%s}\n", color);
	return portal_respond_raw(req, "text/css; charset=utf-8", css, (size_t)n);
}

const struct portal_route routes_org[] = {
	{"GET", "/org", "/app/settings", PORTAL_ACCESS_MANAGER, 0, org_show, "settings",
	 "settings.title"},
	{"PATCH", "/org", NULL, PORTAL_ACCESS_ADMIN, 0, org_update, NULL, NULL},
	{"POST", NULL, "/app/settings", PORTAL_ACCESS_ADMIN, 0, org_update, "settings",
	 "settings.title"},
	{"POST", "/org/logo", "/app/settings/logo", PORTAL_ACCESS_ADMIN, 0, org_logo, "settings",
	 "settings.title"},
	{"GET", "/orgs/{id}/logo", NULL, PORTAL_ACCESS_PUBLIC, 0, org_logo_file, NULL, NULL},
	{"GET", NULL, "/brand/{id}.css", PORTAL_ACCESS_PUBLIC, 0, org_brand_css, NULL, NULL},
	{0},
};
