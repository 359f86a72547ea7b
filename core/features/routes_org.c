/* The organisation: its settings (GET and PATCH /org, the page /app/settings),
 * its logo (upload, and delivery through nginx) and its brand stylesheet.
 *
 * Every query of a signed-in caller is scoped by req->caller.org_id. The two
 * public routes (the logo and /brand/{id}.css) name the organisation in the path
 * and show only what its login and join pages show anyway. */
#include <stdio.h>
#include <string.h>

#include "features/accounts.h"
#include "portal/files.h"
#include "features/routes.h"
#include "http/request.h"

#define LOGO_MAX_BYTES (2u * 1024 * 1024)
#define COLOR_CHARS 7 /* "#rrggbb" */

static const char *const locales[] = {"de", "en", NULL};

/* PATCH changes what is sent; none of these can be cleared (null, or a
 * form's empty field, is refused). Names appear in mail headers and in the
 * layout: the pipeline refuses control characters. */
static const struct portal_input update_inputs[] = {
    {"name", PORTAL_IN_STRING, 0, 1, NAME_MAX_CHARS, .message = "org.name_invalid"},
    {"brand_color", PORTAL_IN_STRING, 0, COLOR_CHARS, COLOR_CHARS, .message = "org.color_invalid"},
    {"locale", PORTAL_IN_ENUM, 0, .choices = locales, .message = "org.locale_invalid"},
    {0},
};
static const struct portal_input show_inputs[] = {
    {"saved", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

/* A colour as the API takes it: "#rrggbb". Stored lower-case, so the stylesheet
 * and the form's <input type=color> see one spelling. */
static bool color_valid(const char *s)
{
	if (!s || strlen(s) != COLOR_CHARS || s[0] != '#')
		return false;
	for (int i = 1; i < COLOR_CHARS; i++)
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

/* Fills view with the caller's organisation as the API shows it, and on pages
 * with what the settings form needs. 0 or an HTTP status. */
static int org_fill(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *o;
	int status = portal_db_one(
	    req, "SELECT id, name, brand_color, logo_file, locale FROM orgs WHERE id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &o);
	if (status)
		return status;
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
	    pv_set_bool(a, view, "saved", portal_in_bool(req, "saved", false)))
		return 500;
	return 0;
}

/* The page again after a failed change: the organisation, what the caller
 * typed as the name, and the field marked. Only the error must reach the
 * caller: if the arena runs out while adding these, the form shows less, and
 * the answer is the same. */
static void org_form_again(struct portal_req *req, struct portal_value *view, const char *field)
{
	if (req->is_api || org_fill(req, view))
		return;
	const char *typed = portal_in_str(req, "name");
	if ((typed && pv_set_str(req->arena, view, "name", typed)) ||
	    page_mark_invalid(req, view, field))
		portal_log("settings: the form is shown without what was typed");
}

static int org_fail(struct portal_req *req, struct portal_value *view, int status, const char *code,
                    const char *field, const char *message)
{
	org_form_again(req, view, field);
	return portal_fail(req, status, code, field, message);
}

int org_settings_fill(struct portal_req *req, struct portal_value *view)
{
	return org_fill(req, view);
}

/* The form handler of the settings form: the member the inputs refused. */
static int org_refused(struct portal_req *req, struct portal_value *view)
{
	org_form_again(req, view, NULL);
	return page_mark_refused(req, view);
}

/* GET /api/v1/org and the page /app/settings (read-only for managers without
 * the admin flag: the form is disabled and says why). */
static int org_show(struct portal_req *req, struct portal_value *view)
{
	int status = org_fill(req, view);
	return status ? status : 200;
}

/* PATCH /api/v1/org {name?, brand_color?, locale?}; the page's form posts to
 * /app/settings. */
static int org_update(struct portal_req *req, struct portal_value *view)
{
	const char *color = portal_in_str(req, "brand_color");
	if (color && !(color_valid(color) && (color = color_lower(req->arena, color))))
		return org_fail(req, view, 422, "validation", "brand_color", "org.color_invalid");
	const char *name = portal_in_str(req, "name"), *locale = portal_in_str(req, "locale");
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
		return org_fail(req, view, 415, "unsupported_media_type", "file", "org.logo_type");
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
	struct portal_value *o;
	int status = portal_db_one(req, "SELECT logo_file, logo_type FROM orgs WHERE id = ?",
	                           PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id"))), &o);
	if (status)
		return status;
	const char *type = pv_get_str(o, "logo_type");
	/* Only types this file allowed: a row changed by hand must not choose one. */
	if (!type || (strcmp(type, "image/png") != 0 && strcmp(type, "image/jpeg") != 0))
		return portal_not_found(req);
	return portal_file_send(req, pv_get_str(o, "logo_file"), type, NULL);
}

/* GET /brand/{id}.css: the organisation's colour as a CSS variable. A
 * stylesheet, because the Content-Security-Policy forbids inline styles; only
 * valid colours are ever stored, and this checks once more before sending. */
static int org_brand_css(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *o;
	int status = portal_db_one(req, "SELECT brand_color FROM orgs WHERE id = ?",
	                           PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id"))), &o);
	if (status)
		return status;
	const char *color = pv_get_str(o, "brand_color");
	if (!color_valid(color))
		color = "#1f5fa8";
	char css[64];
	int n = snprintf(css, sizeof css, ":root{--brand:%s}\n", color);
	return portal_respond_raw(req, "text/css; charset=utf-8", css, (size_t)n);
}

const struct portal_route routes_org[] = {
    {"GET", "/org", "/app/settings", PORTAL_ACCESS_MANAGER, 0, org_show, "settings",
     "settings.title", show_inputs},
    {"PATCH", "/org", NULL, PORTAL_ACCESS_ADMIN, 0, org_update, NULL, NULL, update_inputs},
    {"POST", NULL, "/app/settings", PORTAL_ACCESS_ADMIN, 0, org_update, "settings",
     "settings.title", update_inputs, org_refused},
    {"POST", "/org/logo", "/app/settings/logo", PORTAL_ACCESS_ADMIN, 0, org_logo, "settings",
     "settings.title"},
    {"GET", "/orgs/{id}/logo", NULL, PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_ANONYMOUS, org_logo_file,
     NULL, NULL},
    {"GET", NULL, "/brand/{id}.css", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_ANONYMOUS, org_brand_css,
     NULL, NULL},
    {0},
};
