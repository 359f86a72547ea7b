/* The master, in the manner of php-fpm: it loads and checks, migrates, opens the
 * socket, forks the workers and then only watches them. It respawns the dead
 * (with back-off when they die right at start), recycles after max_requests
 * (the worker exits by itself), kills one stuck past request_timeout, reloads on
 * SIGHUP by starting a new generation, and stops on SIGTERM. */
#include "pool/pool.h"

#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config.h"
#include "http/crypto.h"
#include "pool/jobs.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "plugin/migrate.h"
#include "features/routes.h"
#include "plugin/plugin.h"
#include "portal/portal.h"
#include "pool/scoreboard.h"
#include "pool/worker.h"

#define MAX_WORKERS 256
#define NSLOTS (2 * (MAX_WORKERS + 1)) /* two generations overlap during a reload */
#define QUICK_DEATH_MS 1000
#define MAX_BACKOFF_MS 10000

struct generation {
	int number;
	struct config *cfg;
	struct plugin_set *plugins;
	int workers; /* request workers wanted */
};

struct pool {
	const char *config_path;
	int listen_fd;
	struct slot *slots;
	struct generation current;
	struct generation old; /* the previous generation while it drains */
	int failures;          /* consecutive quick deaths, for back-off */
	long long next_spawn_ms;
};

static int load_generation(const char *path, struct generation *g, char *err, size_t errlen)
{
	if (!(g->cfg = config_load(path, err, errlen)))
		return -1;
	if (!(g->plugins = plugins_load(g->cfg, &core_definition, err, errlen))) {
		config_free(g->cfg);
		g->cfg = NULL;
		return -1;
	}
	g->workers = (int)config_int(g->cfg, "workers");
	if (g->workers > MAX_WORKERS)
		g->workers = MAX_WORKERS;
	return 0;
}

/* A test clock moves every time of the deployment: say so loudly, at each
 * start and reload, so that nobody runs one in production unawares. */
static void warn_test_clock(const struct config *cfg)
{
	const char *file = config_get(cfg, "test_clock");
	if (file && *file)
		portal_log("WARNING: TEST CLOCK ON: test_clock = %s moves every time of this"
		           " portal (jobs, sessions, NOW()) by the seconds in that file; for tests"
		           " only, never in production",
		           file);
}

static void free_generation(struct generation *g)
{
	plugins_free(g->plugins);
	config_free(g->cfg);
	g->plugins = NULL;
	g->cfg = NULL;
}

/* The FastCGI socket: a unix socket only nginx can open (mode 0660, group
 * socket_group). */
static int open_socket(const struct config *cfg, char *err, size_t errlen)
{
	const char *path = config_get(cfg, "listen");
	const char *group = config_get(cfg, "socket_group");
	unlink(path);
	mode_t old = umask(0117);
	int fd = FCGX_OpenSocket(path, 512);
	umask(old);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s", path);
		return -1;
	}
	if (group && *group) {
		struct group *gr = getgrnam(group);
		if (!gr || chown(path, (uid_t)-1, gr->gr_gid)) {
			snprintf(err, errlen, "cannot give %s to group %s", path, group);
			return -1;
		}
	}
	return fd;
}

static struct slot *free_slot(struct pool *p)
{
	for (int i = 0; i < NSLOTS; i++)
		if (p->slots[i].kind == SLOT_FREE)
			return &p->slots[i];
	return NULL;
}

static int count_slots(const struct pool *p, int generation, int kind)
{
	int n = 0;
	for (int i = 0; i < NSLOTS; i++)
		if (p->slots[i].kind == kind && p->slots[i].generation == generation)
			n++;
	return n;
}

static void spawn(struct pool *p, int kind)
{
	struct slot *s = free_slot(p);
	if (!s)
		return;
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->generation = p->current.number;
	s->started_ms = now_ms();
	int number = (int)(s - p->slots);
	pid_t pid = fork();
	if (pid < 0) {
		portal_log("fork failed: %s", strerror(errno));
		s->kind = SLOT_FREE;
		return;
	}
	if (pid == 0) {
		if (kind == SLOT_JOBS)
			jobs_main(p->current.cfg, p->current.plugins, s);
		worker_main(p->current.cfg, p->current.plugins, p->listen_fd, s, number);
	}
	s->pid = pid;
}

/* Starts what the current generation lacks, unless backing off. */
static void fill(struct pool *p)
{
	if (now_ms() < p->next_spawn_ms)
		return;
	int g = p->current.number;
	for (int n = count_slots(p, g, SLOT_REQUESTS); n < p->current.workers; n++)
		spawn(p, SLOT_REQUESTS);
	if (count_slots(p, g, SLOT_JOBS) == 0)
		spawn(p, SLOT_JOBS);
}

static struct slot *slot_of(struct pool *p, pid_t pid)
{
	for (int i = 0; i < NSLOTS; i++)
		if (p->slots[i].kind != SLOT_FREE && p->slots[i].pid == pid)
			return &p->slots[i];
	return NULL;
}

/* The scoreboard, for metrics_workers in any process of the pool. */
static struct slot *shared_slots;

static void count_workers(int *busy, int *idle)
{
	for (int i = 0; i < NSLOTS; i++) {
		const struct slot *s = &shared_slots[i];
		if (s->kind != SLOT_REQUESTS || !s->pid)
			continue;
		if (__atomic_load_n(&s->busy_ms, __ATOMIC_RELAXED))
			(*busy)++;
		else
			(*idle)++;
	}
}

static void reap(struct pool *p)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct slot *s = slot_of(p, pid);
		if (!s)
			continue;
		bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		metrics_worker_exited(clean);
		if (!clean) {
			if (WIFSIGNALED(st))
				portal_log("worker %d (pid %d) killed by signal %d%s%s%s",
				           (int)(s - p->slots), (int)pid, WTERMSIG(st),
				           s->busy_ms ? " serving " : "",
				           s->busy_ms ? s->method : "", s->busy_ms ? " " : "");
			else
				portal_log("worker %d (pid %d) exited with status %d",
				           (int)(s - p->slots), (int)pid, WEXITSTATUS(st));
			if (s->busy_ms)
				portal_log("the request was %s %s", s->method, s->path);
		}
		/* Back off only from workers that die at start, serving nothing:
		 * a crash loop must not spin the machine. */
		if (!clean && s->served == 0 && now_ms() - s->started_ms < QUICK_DEATH_MS &&
		    s->generation == p->current.number) {
			p->failures++;
			long long delay = 100LL << (p->failures < 7 ? p->failures : 7);
			if (delay > MAX_BACKOFF_MS)
				delay = MAX_BACKOFF_MS;
			p->next_spawn_ms = now_ms() + delay;
			portal_log("workers die at start; next try in %lld ms", delay);
		} else if (s->served > 0) {
			p->failures = 0;
		}
		s->kind = SLOT_FREE;
		s->pid = 0;
	}
}

static void kill_stuck(struct pool *p)
{
	long long now = now_ms();
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &p->slots[i];
		if (s->kind != SLOT_REQUESTS || !s->pid)
			continue;
		struct generation *g = s->generation == p->current.number ? &p->current : &p->old;
		long timeout = g->cfg ? config_int(g->cfg, "request_timeout") : 30;
		long long busy = __atomic_load_n(&s->busy_ms, __ATOMIC_RELAXED);
		if (busy && now - busy > timeout * 1000LL) {
			portal_log("worker %d (pid %d) exceeded request_timeout of %lds serving %s "
			           "%s; killed",
			           i, (int)s->pid, timeout, s->method, s->path);
			kill(s->pid, SIGKILL);
			s->busy_ms = 0; /* logged once */
		}
	}
}

static void signal_generation(struct pool *p, int generation, int sig)
{
	for (int i = 0; i < NSLOTS; i++)
		if (p->slots[i].kind != SLOT_FREE && p->slots[i].generation == generation)
			kill(p->slots[i].pid, sig);
}

/* The new configuration and plugins are loaded and checked first; if anything
 * is wrong the old generation keeps serving. */
static void reload(struct pool *p)
{
	char err[512];
	struct generation next = {0};
	if (p->old.cfg) {
		portal_log("reload refused: the previous reload is still draining");
		return;
	}
	if (load_generation(p->config_path, &next, err, sizeof err)) {
		portal_log("reload refused, keeping the running workers: %s", err);
		return;
	}
	if (migrate_run(next.cfg, next.plugins, 0, err, sizeof err)) {
		portal_log("reload refused, keeping the running workers: %s", err);
		free_generation(&next);
		return;
	}
	next.number = p->current.number + 1;
	p->old = p->current;
	p->current = next;
	p->failures = 0;
	p->next_spawn_ms = 0;
	fill(p);
	/* Old workers finish the request in hand, then exit. */
	signal_generation(p, p->old.number, SIGTERM);
	portal_log("reloaded: generation %d with plugins \"%s\"", next.number,
	           config_get(next.cfg, "plugins"));
	warn_test_clock(next.cfg);
}

static int alive(const struct pool *p)
{
	int n = 0;
	for (int i = 0; i < NSLOTS; i++)
		n += p->slots[i].kind != SLOT_FREE;
	return n;
}

static void shutdown_pool(struct pool *p, sigset_t *set)
{
	long timeout = config_int(p->current.cfg, "shutdown_timeout");
	portal_log("stopping");
	for (int i = 0; i < NSLOTS; i++)
		if (p->slots[i].kind != SLOT_FREE)
			kill(p->slots[i].pid, SIGTERM);
	long long deadline = now_ms() + timeout * 1000;
	struct timespec tick = {0, 100 * 1000000};
	while (alive(p) && now_ms() < deadline) {
		sigtimedwait(set, NULL, &tick);
		reap(p);
	}
	if (alive(p)) {
		portal_log("workers still running after %lds: killing them", timeout);
		for (int i = 0; i < NSLOTS; i++)
			if (p->slots[i].kind != SLOT_FREE)
				kill(p->slots[i].pid, SIGKILL);
		while (alive(p) && waitpid(-1, NULL, 0) > 0)
			reap(p);
	}
}

/* Once the socket is open the master needs root for nothing: it becomes the
 * configured user, and neither it nor its workers can gain privileges again
 * (no set-uid program, no file capabilities). */
static int drop_privileges(const struct generation *g, char *err, size_t errlen)
{
	const char *name = config_get(g->cfg, "user");
	if (name && *name) {
		struct passwd *pw = getpwnam(name);
		if (!pw) {
			snprintf(err, errlen, "user %s does not exist", name);
			return -1;
		}
		bool root = geteuid() == 0;
		if ((root && (plugin_copies_give(g->plugins->copy_dir, pw->pw_uid, pw->pw_gid) ||
		              setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))) ||
		    (!root && geteuid() != pw->pw_uid)) {
			snprintf(err, errlen, "cannot become user %s%s", name,
			         root ? "" : ": started neither as root nor as that user");
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot forbid new privileges: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int write_pid_file(const struct config *cfg)
{
	const char *path = config_get(cfg, "pid_file");
	if (!path || !*path)
		return 0;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f);
}

int pool_check(const char *config_path)
{
	char err[512];
	struct generation g = {0};
	if (load_generation(config_path, &g, err, sizeof err)) {
		fprintf(stderr, "portald: %s\n", err);
		return 1;
	}
	free_generation(&g);
	return 0;
}

int pool_run(const char *config_path)
{
	char err[512];
	struct pool p = {.config_path = config_path, .listen_fd = -1};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (load_generation(config_path, &p.current, err, sizeof err) ||
	    migrate_run(p.current.cfg, p.current.plugins, 0, err, sizeof err)) {
		fprintf(stderr, "portald: %s\n", err);
		return 1;
	}
	if (crypto_init()) {
		fprintf(stderr, "portald: libsodium failed to initialise\n");
		return 1;
	}
	FCGX_Init();
	if ((p.listen_fd = open_socket(p.current.cfg, err, sizeof err)) < 0 ||
	    !(p.slots = scoreboard_new(NSLOTS)) || metrics_init()) {
		fprintf(stderr, "portald: %s\n", p.listen_fd < 0 ? err : "out of memory");
		return 1;
	}
	shared_slots = p.slots;
	metrics_set_worker_counter(count_workers);
	if (write_pid_file(p.current.cfg))
		portal_log("cannot write pid_file");
	if (drop_privileges(&p.current, err, sizeof err)) {
		fprintf(stderr, "portald: %s\n", err);
		return 1;
	}
	p.current.number = 1;
	portal_log("starting %d workers with plugins \"%s\"", p.current.workers,
	           config_get(p.current.cfg, "plugins"));
	warn_test_clock(p.current.cfg);
	fill(&p);
	struct timespec tick = {0, 200 * 1000000};
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
			break;
		reap(&p);
		if (sig == SIGHUP)
			reload(&p);
		if (p.old.cfg && count_slots(&p, p.old.number, SLOT_REQUESTS) +
		                         count_slots(&p, p.old.number, SLOT_JOBS) ==
		                     0)
			free_generation(&p.old);
		kill_stuck(&p);
		fill(&p);
	}
	shutdown_pool(&p, &set);
	unlink(config_get(p.current.cfg, "listen"));
	const char *pid_file = config_get(p.current.cfg, "pid_file");
	if (pid_file && *pid_file)
		unlink(pid_file);
	free_generation(&p.current);
	free_generation(&p.old);
	portal_log("stopped");
	return 0;
}
