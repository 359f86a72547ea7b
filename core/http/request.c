/* From a FastCGI request to a parsed, bounded struct portal_req, and the SDK
 * calls a handler uses on its request. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "db/db.h"
#include "http/request.h"

#define MAX_PATH_BYTES 2048

static int fail_input(struct request *rq, int status, const char *why)
{
	const char *code = status == 413   ? "too_large"
	                   : status == 415 ? "unsupported_media_type"
	                                   : "bad_request";
	return portal_fail(&rq->pub, status, code, NULL, why);
}

static size_t params_size(char **envp)
{
	size_t n = 0;
	for (char **e = envp; e && *e; e++)
		n += strlen(*e) + 1;
	return n;
}

/* The media type of a Content-Type value, lowercased, without parameters. */
static const char *media_type(struct portal_arena *a, const char *ct)
{
	size_t n = strcspn(ct, ";");
	while (n && isspace((unsigned char)ct[n - 1]))
		n--;
	char *t = portal_strndup(a, ct, n);
	for (char *p = t; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return t;
}

static long read_fcgi(void *ctx, char *dst, size_t n)
{
	FCGX_Request *f = ctx;
	if (n > 1 << 20)
		n = 1 << 20;
	int got = FCGX_GetStr(dst, (int)n, f->in);
	return got < 0 ? -1 : got;
}

/* Reads exactly len bytes of body; a shorter stream is a lying Content-Length. */
static char *read_body(struct request *rq, size_t len, int *status)
{
	char *data = portal_alloc(rq->pub.arena, len + 1);
	if (!data) {
		*status = fail_input(rq, 413, "body too large");
		return NULL;
	}
	size_t got = 0;
	while (got < len) {
		long n = read_fcgi(rq->fcgi, data + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != len) {
		*status = fail_input(rq, 400, "body shorter than its Content-Length");
		return NULL;
	}
	return data;
}

int request_read_body(struct request *rq, struct portal_worker *w)
{
	struct portal_req *req = &rq->pub;
	char **envp = rq->fcgi->envp;
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", envp);
	const char *ct = FCGX_GetParam("CONTENT_TYPE", envp);
	char *end;
	errno = 0;
	unsigned long long length = cl && *cl ? strtoull(cl, &end, 10) : 0;
	if (cl && *cl && (errno || *end || cl[0] == '-'))
		return fail_input(rq, 400, "malformed Content-Length");
	if (length == 0 || strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		return 0;
	if (!ct || !*ct)
		return fail_input(rq, 415, "a body needs a Content-Type");
	const char *type = media_type(req->arena, ct);
	const char *why = NULL;
	int status = 0;
	if (!type)
		return fail_input(rq, 413, "out of memory");
	if (strcmp(type, "multipart/form-data") == 0) {
		if (length > (unsigned long long)config_int(w->cfg, "max_body_bytes"))
			return fail_input(rq, 413, "body too large");
		status = multipart_parse(req->arena, ct, read_fcgi, rq->fcgi, (size_t)length,
		                         config_get(w->cfg, "tmp_dir"), &w->limits, req->body,
		                         &req->uploads, &why);
		return status ? fail_input(rq, status, why ? why : "malformed multipart body") : 0;
	}
	bool json = strcmp(type, "application/json") == 0;
	if (!json && strcmp(type, "application/x-www-form-urlencoded") != 0)
		return fail_input(rq, 415, "unsupported Content-Type");
	if (length > (unsigned long long)config_int(w->cfg, "max_form_bytes"))
		return fail_input(rq, 413, "body too large");
	char *data = read_body(rq, (size_t)length, &status);
	if (!data)
		return status;
	if (json) {
		struct portal_value *obj = NULL;
		status = json_parse(req->arena, data, (size_t)length, &w->limits, &obj, &why);
		if (status == 0)
			req->body = obj;
	} else {
		status = form_parse(req->arena, data, (size_t)length, &w->limits, req->body, &why);
	}
	return status ? fail_input(rq, status, why ? why : "malformed body") : 0;
}

/* German unless the visitor chose English (cookie "lang") or the browser asks
 * for English before German. */
static const char *choose_locale(struct request *rq)
{
	const char *c = pv_get_str(rq->pub.cookies, "lang");
	if (c && (strcmp(c, "de") == 0 || strcmp(c, "en") == 0))
		return c;
	const char *al = FCGX_GetParam("HTTP_ACCEPT_LANGUAGE", rq->fcgi->envp);
	if (al) {
		const char *en = strstr(al, "en"), *de = strstr(al, "de");
		if (en && (!de || en < de))
			return "en";
	}
	return "de";
}

int request_read(struct request *rq, struct portal_worker *w)
{
	struct portal_req *req = &rq->pub;
	char **envp = rq->fcgi->envp;
	const char *method = FCGX_GetParam("REQUEST_METHOD", envp);
	const char *path = FCGX_GetParam("DOCUMENT_URI", envp);
	const char *query = FCGX_GetParam("QUERY_STRING", envp);
	const char *cookie = FCGX_GetParam("HTTP_COOKIE", envp);
	const char *why = NULL;

	req->method = method && *method ? method : "GET";
	req->path = "/";
	req->locale = "de";
	req->client_addr = FCGX_GetParam("REMOTE_ADDR", envp);
	if (!(req->query = pv_object(req->arena)) || !(req->body = pv_object(req->arena)) ||
	    !(req->cookies = pv_object(req->arena)) || !(req->params = pv_object(req->arena)))
		return fail_input(rq, 413, "out of memory");
	if (path && *path) {
		size_t n = strlen(path);
		req->is_api = router_is_api(path);
		if (n > MAX_PATH_BYTES || path[0] != '/')
			return fail_input(rq, 400, "malformed path");
		if (!utf8_valid(path, n))
			return fail_input(rq, 400, "path is not UTF-8");
		req->path = path;
		req->is_api = router_is_api(path);
	}
	if (params_size(envp) > (size_t)config_int(w->cfg, "max_header_bytes"))
		return fail_input(rq, 413, "request headers too large");
	if (cookie && cookies_parse(req->arena, cookie, req->cookies))
		return fail_input(rq, 413, "out of memory");
	req->locale = choose_locale(rq);
	if (query && *query) {
		int status =
		    form_parse(req->arena, query, strlen(query), &w->limits, req->query, &why);
		if (status)
			return fail_input(rq, status, why ? why : "malformed query string");
	}
	return 0;
}

void request_skip_body(struct request *rq)
{
	char chunk[65536];
	while (FCGX_GetStr(chunk, sizeof chunk, rq->fcgi->in) > 0)
		;
}
