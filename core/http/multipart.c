/* multipart/form-data (RFC 7578), streamed: the body is read in chunks into a
 * window and searched for the delimiter; what lies between delimiters goes to a
 * value buffer or straight into a temporary file, so the memory used does not
 * depend on the size of the body. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/parse.h"

#define CHUNK (64 * 1024)
#define BOUNDARY_MAX 70
#define DELIM_MAX (4 + BOUNDARY_MAX) /* "\r\n--" boundary */
#define WINDOW (CHUNK + DELIM_MAX)
#define PARAMS_MAX 16

enum mp_state {
	MP_PREAMBLE,  /* before the first delimiter: ignored */
	MP_DELIM_END, /* just after a delimiter: "--" or the end of its line follows */
	MP_DASH,      /* one '-' seen after a delimiter */
	MP_PADDING,   /* blanks after a delimiter */
	MP_LF,        /* CR seen at the end of a delimiter line */
	MP_HEADERS,   /* a part's header block */
	MP_BODY,      /* a part's content */
	MP_EPILOGUE,  /* after the closing delimiter: read and ignored */
	MP_DONE,
};

enum mp_sink { SINK_DISCARD, SINK_TEXT, SINK_FILE };

struct mp {
	struct portal_arena *a;
	const struct parse_limits *lim;
	const char *tmp_dir;
	struct portal_value *obj;

	body_read_fn read;
	void *read_ctx;
	size_t remaining; /* bytes of the body not read yet */
	char *win;        /* WINDOW bytes; win[start..end) not processed yet */
	size_t start, end;

	char delim[DELIM_MAX];
	size_t delim_len;

	enum mp_state state;
	size_t parts, fields;
	struct buf head; /* the current part's header block */

	enum mp_sink sink;
	const char *name;         /* the current text part's field name */
	struct buf text;          /* its value so far */
	struct portal_upload *up; /* the current file part */
	int fd;                   /* its temporary file, -1 until its first byte */

	struct portal_upload *first, *last; /* finished files */
	const char *why;
};

struct param {
	const char *name, *value;
	size_t name_len, value_len;
};

static int fail(struct mp *m, int status, const char *why)
{
	m->why = why;
	return status;
}

static int no_memory(struct mp *m)
{
	return fail(m, 413, "multipart body exceeds the request's memory");
}

static int io_error(struct mp *m, int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return fail(m, 507, "no space left for the uploaded file");
	return fail(m, 500, "could not write the uploaded file");
}

/* ---- header syntax ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_token_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7F)
		return false;
	return !strchr("()<>@,;:\\\"/[]?={}", c);
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && is_blank(s[i]))
		i++;
	return i;
}

static size_t token_end(const char *s, size_t len, size_t i)
{
	while (i < len && is_token_char((unsigned char)s[i]))
		i++;
	return i;
}

static bool same_name(const char *s, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(s, name, len) == 0;
}

/* The next "; name=value" of a header value at *pos. Quoted values end at the
 * next quote: browsers percent-encode quotes in names and never send backslash
 * escapes (HTML's form submission algorithm). Returns 1, 0 at the end, -1 when
 * malformed. */
static int param_next(const char *s, size_t len, size_t *pos, struct param *p)
{
	size_t i = skip_blanks(s, len, *pos);

	if (i == len)
		return 0;
	if (s[i] != ';')
		return -1;
	while (i < len && (s[i] == ';' || is_blank(s[i])))
		i++;
	if (i == len)
		return 0; /* a trailing ';' */
	p->name = s + i;
	i = token_end(s, len, i);
	p->name_len = (size_t)(s + i - p->name);
	if (p->name_len == 0)
		return -1;
	i = skip_blanks(s, len, i);
	if (i == len || s[i] != '=')
		return -1;
	i = skip_blanks(s, len, i + 1);
	if (i < len && s[i] == '"') {
		const char *close = memchr(s + i + 1, '"', len - i - 1);
		if (!close)
			return -1;
		p->value = s + i + 1;
		p->value_len = (size_t)(close - p->value);
		i = (size_t)(close - s) + 1;
	} else {
		p->value = s + i;
		i = token_end(s, len, i);
		p->value_len = (size_t)(s + i - p->value);
		if (p->value_len == 0)
			return -1;
	}
	*pos = i;
	return 1;
}

/* All parameters from *pos on into params. A repeated parameter or an RFC 2231
 * "name*" one is refused: two parsers could pick different ones, which is how
 * filters get bypassed. */
static int params_read(struct mp *m, const char *s, size_t len, size_t pos, struct param *params,
                       size_t *count)
{
	struct param p;
	int rc;

	*count = 0;
	while ((rc = param_next(s, len, &pos, &p)) == 1) {
		if (p.name[p.name_len - 1] == '*')
			return fail(m, 400, "extended header parameters are not accepted");
		for (size_t i = 0; i < *count; i++) {
			if (params[i].name_len == p.name_len &&
			    strncasecmp(params[i].name, p.name, p.name_len) == 0)
				return fail(m, 400, "duplicate header parameter");
		}
		if (*count == PARAMS_MAX)
			return fail(m, 400, "too many header parameters");
		params[(*count)++] = p;
	}
	return rc ? fail(m, 400, "malformed header parameter") : 0;
}

static const struct param *param_find(const struct param *params, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (same_name(params[i].name, params[i].name_len, name))
			return &params[i];
	}
	return NULL;
}

/* RFC 2046 bchars: what a boundary may contain (a blank, but not at the end). */
static bool valid_boundary(const char *s, size_t len)
{
	static const char extra[] = "'()+_,-./:=? ";

	if (len < 1 || len > BOUNDARY_MAX || s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alnum =
		    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alnum && (c == '\0' || !strchr(extra, c)))
			return false;
	}
	return true;
}

static int read_boundary(struct mp *m, const char *content_type)
{
	static const char type[] = "multipart/form-data";
	struct param params[PARAMS_MAX];
	size_t count, len, i;
	int rc;

	if (!content_type)
		return fail(m, 400, "no content type");
	len = strlen(content_type);
	i = skip_blanks(content_type, len, 0);
	if (len - i < sizeof type - 1 || strncasecmp(content_type + i, type, sizeof type - 1))
		return fail(m, 400, "not multipart/form-data");
	rc = params_read(m, content_type, len, i + sizeof type - 1, params, &count);
	if (rc)
		return rc;
	const struct param *b = param_find(params, count, "boundary");
	if (!b || !valid_boundary(b->value, b->value_len))
		return fail(m, 400, "missing or invalid multipart boundary");
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, b->value, b->value_len);
	m->delim_len = 4 + b->value_len;
	return 0;
}

/* ---- a part's header block ---- */

struct part_head {
	const struct param *name, *filename;
	const char *type;
	size_t type_len;
	bool has_disposition, has_type;
	struct param params[PARAMS_MAX];
	size_t count;
};

static int read_disposition(struct mp *m, const char *v, size_t len, struct part_head *h)
{
	size_t i = token_end(v, len, 0);
	int rc;

	if (h->has_disposition)
		return fail(m, 400, "duplicate Content-Disposition");
	h->has_disposition = true;
	if (!same_name(v, i, "form-data"))
		return fail(m, 400, "part is not form-data");
	rc = params_read(m, v, len, i, h->params, &h->count);
	if (rc)
		return rc;
	h->name = param_find(h->params, h->count, "name");
	h->filename = param_find(h->params, h->count, "filename");
	if (!h->name)
		return fail(m, 400, "part without a name");
	return 0;
}

/* One "Name: value" line, without its CRLF. */
static int read_header_line(struct mp *m, const char *s, size_t len, struct part_head *h)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fail(m, 400, "control character in a part header");
	}
	size_t colon = token_end(s, len, 0);
	if (colon == 0 || colon == len || s[colon] != ':')
		return fail(m, 400, "malformed part header"); /* also obsolete folding */
	size_t from = skip_blanks(s, len, colon + 1), to = len;
	while (to > from && is_blank(s[to - 1]))
		to--;
	if (same_name(s, colon, "content-disposition"))
		return read_disposition(m, s + from, to - from, h);
	if (same_name(s, colon, "content-type")) {
		if (h->has_type)
			return fail(m, 400, "duplicate Content-Type");
		h->has_type = true;
		h->type = s + from;
		h->type_len = to - from;
	}
	return 0; /* other headers (Content-Transfer-Encoding...) are ignored */
}

/* block holds the header lines, each ended by CRLF (the empty line excluded). */
static int read_head(struct mp *m, const char *block, size_t len, struct part_head *h)
{
	size_t i = 0;

	while (i < len) {
		const char *crlf = memmem(block + i, len - i, "\r\n", 2);
		if (!crlf)
			return fail(m, 400, "malformed part header");
		size_t line = (size_t)(crlf - (block + i));
		int rc = read_header_line(m, block + i, line, h);
		if (rc)
			return rc;
		i += line + 2;
	}
	return h->has_disposition ? 0 : fail(m, 400, "part without Content-Disposition");
}

static int check_text(struct mp *m, const char *s, size_t len, size_t max)
{
	if (len > max)
		return fail(m, 413, "multipart field name too long");
	if (!utf8_valid(s, len))
		return fail(m, 400, "part header is not valid UTF-8");
	return 0;
}

/* ---- sinks ---- */

static void upload_remove(void *arg)
{
	struct portal_upload *up = arg;

	if (up->path)
		unlink(up->path);
}

/* Creates the current part's temporary file, removed with the arena (or at once
 * when this fails). */
static int file_open(struct mp *m)
{
	char *path = portal_sprintf(m->a, "%s/upload-XXXXXX", m->tmp_dir);

	if (!path)
		return no_memory(m);
	/* mkostemp creates the file 0600; O_CLOEXEC keeps it from programs the
	 * worker may start. */
	m->fd = mkostemp(path, O_CLOEXEC);
	if (m->fd < 0)
		return io_error(m, errno);
	m->up->path = path;
	if (portal_on_free(m->a, upload_remove, m->up)) {
		unlink(path);
		m->up->path = NULL;
		close(m->fd);
		m->fd = -1;
		return no_memory(m);
	}
	return 0;
}

static int file_write(struct mp *m, const char *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if (n > m->lim->max_file - m->up->size)
		return fail(m, 413, "uploaded file too large");
	if (m->fd < 0 && (rc = file_open(m)))
		return rc;
	m->up->size += n;
	while (n) {
		ssize_t w = write(m->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_error(m, w < 0 ? errno : EIO);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int emit(struct mp *m, const char *p, size_t n)
{
	if (m->state != MP_BODY)
		return 0; /* preamble */
	switch (m->sink) {
	case SINK_TEXT:
		if (n > m->lim->max_value - m->text.len)
			return fail(m, 413, "multipart field too long");
		return buf_append(&m->text, p, n) ? fail(m, 500, "out of memory") : 0;
	case SINK_FILE: return file_write(m, p, n);
	case SINK_DISCARD: break;
	}
	return 0;
}

static int text_end(struct mp *m)
{
	const char *s = m->text.data ? m->text.data : "";
	size_t len = m->text.len;

	if (len && memchr(s, '\0', len))
		return fail(m, 400, "NUL byte in a multipart field");
	if (!utf8_valid(s, len))
		return fail(m, 400, "multipart field is not valid UTF-8");
	if (form_field_add(m->a, m->obj, m->name, s, len))
		return no_memory(m);
	return 0;
}

static int file_end(struct mp *m)
{
	struct portal_upload *up = m->up;
	int rc;

	/* An empty file input is sent as filename="" without content: no file. */
	if (m->fd < 0 && up->filename[0] == '\0')
		return 0;
	if (m->fd < 0 && (rc = file_open(m)))
		return rc;
	rc = close(m->fd);
	m->fd = -1;
	if (rc)
		return io_error(m, errno);
	if (m->last)
		m->last->next = up;
	else
		m->first = up;
	m->last = up;
	m->up = NULL;
	return 0;
}

static int part_end(struct mp *m)
{
	enum mp_sink sink = m->sink;

	m->sink = SINK_DISCARD;
	if (sink == SINK_TEXT)
		return text_end(m);
	if (sink == SINK_FILE)
		return file_end(m);
	return 0;
}

/* Sets up the sink of a part whose header block is complete. */
static int part_begin(struct mp *m, const char *block, size_t len)
{
	struct part_head h = {0};
	int rc = read_head(m, block, len, &h);

	if (rc)
		return rc;
	rc = check_text(m, h.name->value, h.name->value_len, m->lim->max_name);
	if (!rc && h.filename)
		rc = check_text(m, h.filename->value, h.filename->value_len, SIZE_MAX);
	if (!rc && h.has_type)
		rc = check_text(m, h.type, h.type_len, SIZE_MAX);
	if (rc)
		return rc;
	m->state = MP_BODY;
	if (h.name->value_len == 0)
		return 0; /* a nameless part, like a nameless form field, is dropped */

	char *name = portal_strndup(m->a, h.name->value, h.name->value_len);
	if (!name)
		return no_memory(m);
	if (!h.filename) {
		if (m->fields == m->lim->max_fields)
			return fail(m, 413, "too many multipart fields");
		m->fields++;
		m->name = name;
		buf_reset(&m->text);
		m->sink = SINK_TEXT;
		return 0;
	}
	struct portal_upload *up = portal_alloc(m->a, sizeof *up);
	if (!up)
		return no_memory(m);
	up->field = name;
	up->filename = portal_strndup(m->a, h.filename->value, h.filename->value_len);
	up->content_type = h.has_type ? portal_strndup(m->a, h.type, h.type_len) : NULL;
	if (!up->filename || (h.has_type && !up->content_type))
		return no_memory(m);
	m->up = up;
	m->sink = SINK_FILE;
	return 0;
}

/* ---- the stream ---- */

/* Reads the next chunk behind the unprocessed bytes. Only called with bytes left
 * to read and room in the window. */
static int fill(struct mp *m)
{
	size_t keep = m->end - m->start;

	memmove(m->win, m->win + m->start, keep);
	m->start = 0;
	m->end = keep;

	size_t want = WINDOW - m->end;
	if (want > CHUNK)
		want = CHUNK;
	if (want > m->remaining)
		want = m->remaining;
	if (want == 0)
		return fail(m, 500, "multipart window full");
	long got = m->read(m->read_ctx, m->win + m->end, want);
	if (got < 0)
		return fail(m, 400, "could not read the request body");
	if (got == 0)
		return fail(m, 400, "request body shorter than its Content-Length");
	if ((unsigned long)got > want)
		return fail(m, 500, "body reader returned more than asked");
	m->end += (size_t)got;
	m->remaining -= (size_t)got;
	return 0;
}

static int truncated(struct mp *m)
{
	return fail(m, 400, "multipart body ends before its closing boundary");
}

/* Preamble or content: everything up to the next delimiter. */
static int scan(struct mp *m)
{
	const char *base = m->win + m->start;
	size_t avail = m->end - m->start;
	const char *hit = memmem(base, avail, m->delim, m->delim_len);
	int rc;

	if (hit) {
		size_t n = (size_t)(hit - base);
		rc = emit(m, base, n);
		if (!rc && m->state == MP_BODY)
			rc = part_end(m);
		m->start += n + m->delim_len;
		m->state = MP_DELIM_END;
		return rc;
	}
	/* The last delim_len - 1 bytes may be the start of a delimiter that the next
	 * chunk completes: they wait for it. */
	size_t keep = avail < m->delim_len - 1 ? avail : m->delim_len - 1;
	rc = emit(m, base, avail - keep);
	m->start += avail - keep;
	if (rc)
		return rc;
	return m->remaining ? fill(m) : truncated(m);
}

static int part_start(struct mp *m)
{
	if (m->parts == m->lim->max_parts)
		return fail(m, 413, "too many multipart parts");
	m->parts++;
	buf_reset(&m->head);
	m->state = MP_HEADERS;
	return 0;
}

static int header_byte(struct mp *m, char c)
{
	struct buf *h = &m->head;

	if (h->len == m->lim->max_header)
		return fail(m, 413, "multipart part header too long");
	if (buf_append(h, &c, 1))
		return fail(m, 500, "out of memory");
	if (h->len == 2 && memcmp(h->data, "\r\n", 2) == 0)
		return part_begin(m, h->data, 0);
	if (h->len >= 4 && memcmp(h->data + h->len - 4, "\r\n\r\n", 4) == 0)
		return part_begin(m, h->data, h->len - 2);
	return 0;
}

/* The states between a delimiter and a part's content, one byte at a time. */
static int step(struct mp *m)
{
	if (m->start == m->end)
		return m->remaining ? fill(m) : truncated(m);

	char c = m->win[m->start++];
	switch (m->state) {
	case MP_DELIM_END:
		if (c == '-') {
			m->state = MP_DASH;
			return 0;
		}
		m->state = MP_PADDING;
		break;
	case MP_DASH:
		if (c != '-')
			return fail(m, 400, "malformed multipart boundary line");
		m->state = MP_EPILOGUE;
		return 0;
	case MP_LF:
		if (c != '\n')
			return fail(m, 400, "malformed multipart boundary line");
		return part_start(m);
	case MP_HEADERS: return header_byte(m, c);
	default: break;
	}
	/* MP_PADDING: blanks may follow a boundary before its CRLF. */
	if (is_blank(c))
		return 0;
	if (c == '\r') {
		m->state = MP_LF;
		return 0;
	}
	return fail(m, 400, "malformed multipart boundary line");
}

/* After the closing delimiter: read to the end of the body, so that a short body
 * is still noticed, and ignore it. */
static int epilogue(struct mp *m)
{
	m->start = m->end;
	if (m->remaining)
		return fill(m);
	m->state = MP_DONE;
	return 0;
}

static int run(struct mp *m)
{
	int rc = 0;

	while (!rc && m->state != MP_DONE) {
		if (m->state == MP_PREAMBLE || m->state == MP_BODY)
			rc = scan(m);
		else if (m->state == MP_EPILOGUE)
			rc = epilogue(m);
		else
			rc = step(m);
	}
	return rc;
}

/* On failure nothing stays on disk: the files are removed now rather than when
 * the arena goes. */
static void discard_files(struct mp *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	if (m->up)
		upload_remove(m->up);
	for (struct portal_upload *up = m->first; up; up = up->next)
		upload_remove(up);
	if (m->up)
		m->up->path = NULL;
	for (struct portal_upload *up = m->first; up; up = up->next)
		up->path = NULL;
}

int multipart_parse(struct portal_arena *a, const char *content_type, body_read_fn read_fn,
                    void *read_ctx, size_t content_length, const char *tmp_dir,
                    const struct parse_limits *lim, struct portal_value *obj,
                    struct portal_upload **uploads, const char **why)
{
	struct mp m = {
	    .a = a,
	    .lim = lim,
	    .tmp_dir = tmp_dir,
	    .obj = obj,
	    .read = read_fn,
	    .read_ctx = read_ctx,
	    .remaining = content_length,
	    .fd = -1,
	};
	int rc = read_boundary(&m, content_type);

	if (!rc && (!obj || obj->type != PV_OBJECT || !read_fn || !tmp_dir || !uploads))
		rc = fail(&m, 500, "multipart parser called without its arguments");
	if (!rc && !(m.win = malloc(WINDOW)))
		rc = fail(&m, 500, "out of memory");
	if (!rc) {
		/* A CRLF before the body lets the first boundary, which has none before
		 * it when there is no preamble, match the same delimiter as the rest. */
		memcpy(m.win, "\r\n", 2);
		m.end = 2;
		rc = run(&m);
	}
	if (rc) {
		discard_files(&m);
		if (why)
			*why = m.why;
	} else if (m.first) {
		struct portal_upload **tail = uploads;
		while (*tail)
			tail = &(*tail)->next;
		*tail = m.first;
	}
	free(m.win);
	buf_free(&m.head);
	buf_free(&m.text);
	return rc;
}
