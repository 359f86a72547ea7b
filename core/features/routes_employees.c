/* Employees: the managers of the caller's organisation. Listing is for every
 * manager; inviting and removing need the admin flag (the router answers 403
 * before a handler runs). Pages: /app/employees (list, invite form) and
 * /app/employees/{id}/remove (the confirmation, which works without script).
 * Every query is scoped by req->caller.org_id. */
#include "features/accounts.h"
#include "portal/list.h"
#include "portal/mail.h"
#include "portal/session.h"
#include "features/routes.h"
#include "http/request.h"

/* What employee_of reads, from users, and from the invitations of addresses
 * that have an account elsewhere (sql/018_employee_invites_elsewhere.sql),
 * which show as invitations nobody accepted. */
#define EMPLOYEE_SELECT "SELECT id, name, email, admin, password_hash IS NULL AS pending FROM users"
#define ELSEWHERE_SELECT \
	"SELECT id, name, email, admin, 1 AS pending FROM employee_invites_elsewhere"

/* Names and addresses end up in mail headers: the pipeline refuses control
 * characters in both. A form's unticked admin box is absent: no admin. */
static const struct portal_input invite_inputs[] = {
    {"email", PORTAL_IN_EMAIL, PORTAL_IN_REQUIRED, .message = "employees.email_invalid"},
    {"name", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, NAME_MAX_CHARS,
     .message = "employees.name_invalid"},
    {"admin", PORTAL_IN_BOOL, .message = "employees.admin_invalid"},
    {0},
};
/* The notices after the page's own redirects. */
static const struct portal_input list_inputs[] = {
    {"invited", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {"removed", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

/* One employee as the API shows it: {id, name, email, admin}, plus pending (the
 * invitation is not accepted yet) and self (the caller), which the page needs
 * and old clients ignore. */
static struct portal_value *employee_of(struct portal_req *req, const struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	struct portal_value *e = pv_object(a);
	long long id = pv_get_int(row, "id", 0);
	if (!e || pv_set_int(a, e, "id", id) || pv_set_str(a, e, "name", pv_get_str(row, "name")) ||
	    pv_set_str(a, e, "email", pv_get_str(row, "email")) ||
	    pv_set_bool(a, e, "admin", pv_get_int(row, "admin", 0) != 0) ||
	    pv_set_bool(a, e, "pending", pv_get_int(row, "pending", 0) != 0) ||
	    pv_set_bool(a, e, "self", id == req->caller.user_id))
		return NULL;
	return e;
}

/* The list into view: {items, next}; keyset by id, so a page costs the same at
 * any depth. On pages also what the forms need. 0 or an HTTP status. */
static int employees_fill(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	struct portal_value *rows, *items = pv_list(a);
	long long org_id = req->caller.org_id;
	status = portal_db_query(
	    req,
	    "SELECT * FROM (" EMPLOYEE_SELECT " WHERE org_id = ? AND role = 'manager' AND id > ?"
	    " UNION ALL " ELSEWHERE_SELECT " WHERE org_id = ? AND id > ?) e ORDER BY id LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(org_id), PDB_I(page.after), PDB_I(org_id), PDB_I(page.after),
	                   PDB_I(page.limit + 1)),
	    &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		struct portal_value *e = employee_of(req, m->value);
		if (!items || !e || pv_push(a, items, e))
			return 500;
	}
	if (!items || portal_list_view(req, view, items, page.limit, NULL))
		return 500;
	if (req->is_api)
		return 0;
	/* The layout marks "Einstellungen": employees are a tab of the settings. */
	if (pv_set_str(a, view, "nav_section", "/app/settings") ||
	    pv_set_bool(a, view, "can_manage", req->caller.admin) ||
	    pv_set_bool(a, view, "invited", portal_in_bool(req, "invited", false)) ||
	    pv_set_bool(a, view, "removed", portal_in_bool(req, "removed", false)))
		return 500;
	return 0;
}

/* The page again after a failed invitation: the list, the form with what was
 * typed (the core adds it as "form") and the field marked. Only the error
 * must reach the caller: on exhaustion the form shows less, the answer stays
 * the same. */
static void employees_form_again(struct portal_req *req, struct portal_value *view,
                                 const char *field)
{
	if (!req->is_api && employees_fill(req, view) == 0 && page_mark_invalid(req, view, field))
		portal_log("employees: the form is shown without its marked field");
}

static int employees_fail(struct portal_req *req, struct portal_value *view, int status,
                          const char *code, const char *field, const char *message)
{
	employees_form_again(req, view, field);
	return portal_fail(req, status, code, field, message);
}

/* The form handler of the invitation form: the member the inputs refused. */
static int employees_refused(struct portal_req *req, struct portal_value *view)
{
	employees_form_again(req, view, NULL);
	return page_mark_refused(req, view);
}

/* GET /api/v1/employees and the page /app/employees. */
static int employees_list(struct portal_req *req, struct portal_value *view)
{
	int status = employees_fill(req, view);
	return status ? status : 200;
}

/* The invitation mail in the organisation's language: the activation link
 * (single-use, 7 days), or without a token (an address with an account
 * elsewhere) the note that no account can be made for it. Both have the
 * subject, kind and organisation of an invitation, as the outbox shows them. */
static int invitation_mail(struct portal_req *req, const struct portal_value *employee,
                           const char *token)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT o.name AS org_name, o.locale, u.name AS inviter"
	    " FROM orgs o JOIN users u ON u.org_id = o.id"
	    " WHERE o.id = ? AND u.id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(req->caller.user_id)), &rows);
	if (status)
		return status;
	const struct portal_value *o = pv_first(rows);
	if (!o)
		return 500; /* the caller's own organisation and account */
	const char *name = pv_get_str(employee, "name"), *org_name = pv_get_str(o, "org_name"),
	           *inviter = pv_get_str(o, "inviter");
	struct portal_value *v = token ? account_invitation_view(a, portal_config(req, "base_url"),
	                                                         name, org_name, inviter, token)
	                               : pv_object(a);
	if (!v ||
	    (!token && (pv_set_str(a, v, "name", name) || pv_set_str(a, v, "org_name", org_name) ||
	                pv_set_str(a, v, "inviter", inviter))))
		return 500;
	struct portal_mail mail = {
	    .to = pv_get_str(employee, "email"),
	    .to_name = name,
	    .locale = pv_get_str(o, "locale"),
	    .kind = "invitation",
	    .template_name = token ? "invitation" : "invitation_elsewhere",
	    .subject = "mail.invitation.subject",
	    .org_id = req->caller.org_id,
	    .view = v,
	};
	return token ? portal_mail_secret(req, &mail) : portal_mail(req, &mail);
}

/* A new invited manager and their activation token, in the open transaction.
 * 0, 409 when the email is taken, or an HTTP status. */
static int invite_new(struct portal_req *req, long long *id, char token[PORTAL_TOKEN_CHARS + 1])
{
	int status = account_create_manager(req->worker->db, req->arena, req->caller.org_id,
	                                    portal_in_str(req, "email"), portal_in_str(req, "name"),
	                                    portal_in_bool(req, "admin", false), id);
	if (!status)
		status = account_issue_token(req->worker->db, req->arena, *id, "activation",
		                             ACTIVATION_SECONDS, token);
	return status;
}

/* A new id of the users' sequence that no user has: a row inserted and
 * deleted again in the open transaction, so no one else ever sees it. */
static int users_next_id(struct portal_req *req, long long *id)
{
	char placeholder[PORTAL_TOKEN_CHARS + 1];
	unsigned char unused[PORTAL_HASH_BYTES];
	portal_token_new(placeholder, unused);
	unsigned long long taken = 0;
	int status = portal_db_exec(req,
	                            "INSERT INTO users (org_id, role, email, name, created_at)"
	                            " VALUES (?, 'manager', ?, '', UTC_TIMESTAMP())",
	                            PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(placeholder)),
	                            NULL, &taken);
	if (!status)
		status = portal_db_exec(req, "DELETE FROM users WHERE id = ?",
		                        PORTAL_DB_ARGS(PDB_I((long long)taken)), NULL, NULL);
	*id = (long long)taken;
	return status;
}

/* The email is taken. By someone of the caller's organisation (a manager, an
 * invitation, a resident), whom the caller may see anyway: 409. Otherwise
 * the address belongs to another organisation, and the caller must not learn
 * even that: it is recorded as an invitation elsewhere, which lists like one
 * nobody accepted (409 when it is there already), and *id is its id. 0 or an
 * HTTP status, in the open transaction. */
static int invite_elsewhere(struct portal_req *req, long long *id)
{
	const char *email = portal_in_str(req, "email");
	struct portal_value *rows;
	int status = portal_db_query(req, "SELECT org_id FROM users WHERE email = ?",
	                             PORTAL_DB_ARGS(PDB_S(email)), &rows);
	if (!status && pv_get_int(pv_first(rows), "org_id", 0) == req->caller.org_id)
		return 409;
	if (!status)
		status = users_next_id(req, id);
	if (!status)
		status =
		    portal_db_exec(req,
		                   "INSERT INTO employee_invites_elsewhere"
		                   " (id, org_id, email, name, admin, created_at)"
		                   " VALUES (?, ?, LOWER(?), ?, ?, UTC_TIMESTAMP())",
		                   PORTAL_DB_ARGS(PDB_I(*id), PDB_I(req->caller.org_id),
		                                  PDB_S(email), PDB_S(portal_in_str(req, "name")),
		                                  PDB_I(portal_in_bool(req, "admin", false))),
		                   NULL, NULL);
	return status;
}

/* POST /api/v1/employees {email, name, admin?} and the page's invite form: the
 * manager, the activation token and the invitation mail in one transaction, so
 * there is never an invited account without its mail or a mail without it.
 * The answer is the same whether or not the address has an account in another
 * organisation (see invite_elsewhere); only the organisation's own addresses
 * are a 409. The mail goes to an address that is no resident's: it counts
 * against the mail quotas, and past them nothing is written (429). */
static int employees_invite(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	long long id = 0;
	char token[PORTAL_TOKEN_CHARS + 1];
	bool elsewhere = false;
	struct portal_value *rows = NULL;
	int status = portal_db_begin(req);
	if (!status && (status = portal_mail_quota(req, 1)) == 429) {
		employees_form_again(req, view, NULL);
		return status;
	}
	if (!status)
		status = invite_new(req, &id, token);
	if (status == 409) { /* only the insert failed; the transaction goes on */
		elsewhere = true;
		status = invite_elsewhere(req, &id);
	}
	if (status == 409)
		return employees_fail(req, view, 409, "conflict", "email", "employees.email_taken");
	/* As stored (the address lower-cased by the database). */
	if (!status)
		status =
		    portal_db_query(req,
		                    elsewhere ? ELSEWHERE_SELECT " WHERE id = ? AND org_id = ?"
		                              : EMPLOYEE_SELECT " WHERE id = ? AND org_id = ?",
		                    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	struct portal_value *employee = status ? NULL : employee_of(req, pv_first(rows));
	if (!status && !employee)
		status = 500; /* inserted in this very transaction */
	if (!status)
		status = invitation_mail(req, employee, elsewhere ? NULL : token);
	if (status == 422)
		return employees_fail(req, view, 422, "validation", "email",
		                      "employees.email_invalid");
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status; /* the core rolls back an open transaction */
	if (!req->is_api)
		return portal_redirect(req, "/app/employees?invited=1");
	pv_foreach(m, employee)
		if (pv_set(a, view, m->key, m->value))
			return 500;
	return 201;
}

/* The employee {id} of the caller's organisation, or a 404 (another
 * organisation's id leaks nothing); the caller themself is a 409: an admin
 * cannot remove their own account (someone must be left to administer).
 * *elsewhere: it is an invitation of an address with an account elsewhere. */
static int employee_find(struct portal_req *req, long long id, bool lock,
                         const struct portal_value **row, bool *elsewhere)
{
	if (id == req->caller.user_id)
		return portal_fail(req, 409, "conflict", NULL, "employees.remove_self");
	struct portal_value *rows = NULL, *found = NULL;
	int status = portal_db_query(
	    req,
	    lock ? EMPLOYEE_SELECT " WHERE id = ? AND org_id = ? AND role = 'manager' FOR UPDATE"
	         : EMPLOYEE_SELECT " WHERE id = ? AND org_id = ? AND role = 'manager'",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	*elsewhere = !status && !pv_first(rows);
	if (*elsewhere)
		status =
		    portal_db_one(req,
		                  lock ? ELSEWHERE_SELECT " WHERE id = ? AND org_id = ? FOR UPDATE"
		                       : ELSEWHERE_SELECT " WHERE id = ? AND org_id = ?",
		                  PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &found);
	*row = *elsewhere ? found : pv_first(rows);
	return status;
}

/* GET /app/employees/{id}/remove: asks before removing (works without script). */
static int employees_confirm(struct portal_req *req, struct portal_value *view)
{
	const struct portal_value *row = NULL;
	bool elsewhere;
	int status = employee_find(req, portal_param_id(req, "id"), false, &row, &elsewhere);
	if (status)
		return status;
	struct portal_value *e = employee_of(req, row);
	if (!e || pv_set(req->arena, view, "confirm", e) ||
	    pv_set_str(req->arena, view, "nav_section", "/app/settings"))
		return 500;
	return 200;
}

/* DELETE /api/v1/employees/{id} and the confirmation's POST: the account goes,
 * and with it at once every session it had (and its open link tokens); an
 * invitation elsewhere simply goes. */
static int employees_remove(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	const struct portal_value *row = NULL;
	bool elsewhere = false;
	int status = portal_db_begin(req);
	if (!status)
		status = employee_find(req, id, true, &row, &elsewhere);
	if (!status && !elsewhere)
		status = portal_sessions_end_user(req, id);
	if (!status)
		status = portal_db_exec(
		    req,
		    elsewhere ? "DELETE FROM employee_invites_elsewhere WHERE id = ? AND org_id = ?"
		              : "DELETE FROM users WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = portal_db_commit(req);
	/* The list again, with the reason above it; without it, the reason alone. */
	if (status == 409 && !req->is_api && employees_fill(req, view))
		portal_log("employees: the list is not shown with the refusal");
	if (status)
		return status;
	return req->is_api ? 204 : portal_redirect(req, "/app/employees?removed=1");
}

const struct portal_route routes_employees[] = {
    {"GET", "/employees", "/app/employees", PORTAL_ACCESS_MANAGER, 0, employees_list, "employees",
     "employees.title", list_inputs},
    {"POST", "/employees", "/app/employees", PORTAL_ACCESS_ADMIN, 0, employees_invite, "employees",
     "employees.title", invite_inputs, employees_refused},
    {"DELETE", "/employees/{id}", NULL, PORTAL_ACCESS_ADMIN, 0, employees_remove, NULL, NULL},
    {"GET", NULL, "/app/employees/{id}/remove", PORTAL_ACCESS_ADMIN, 0, employees_confirm,
     "employees", "employees.remove_title"},
    {"POST", NULL, "/app/employees/{id}/remove", PORTAL_ACCESS_ADMIN, 0, employees_remove,
     "employees", "employees.remove_title"},
    {0},
};
