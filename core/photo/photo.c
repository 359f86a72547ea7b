/* Photos (portal/photo.h): the worker's side. The decoding runs in
 * bin/portal-photo beside the running program, started once per upload with
 * the upload as its standard input, limited in memory, CPU time, files and
 * wall time, so that neither a decoder's fault nor its memory reaches the
 * worker: the worker itself links no image library. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "photo/protocol.h"
#include "portal/photo.h"
#include "portal/portal.h"

#define PROGRAM "portal-photo"
#define MEMORY_LIMIT ((rlim_t)1 << 30) /* address space: libvips maps its modules too */
#define CPU_SECONDS 20
#define WALL_MS 30000
/* What the photo and its thumbnail may take of the request's arena (32 MiB by
 * default): a JPEG of photo_max_side takes a few MiB; more is refused (422). */
#define MAX_OUTPUT ((size_t)24 << 20)

/* bin/portal-photo is installed beside portald (and portalctl). */
static char *program_path(struct portal_req *req)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return portal_sprintf(req->arena, "%s/" PROGRAM, self);
}

static enum photo_kind kind_of_upload(int fd)
{
	unsigned char head[PHOTO_SNIFF_BYTES];
	ssize_t n = pread(fd, head, sizeof head, 0);
	return n > 0 ? photo_kind_of(head, (size_t)n) : PHOTO_NONE;
}

static void limit(int resource, rlim_t value)
{
	struct rlimit rl = {value, value};
	setrlimit(resource, &rl);
}

/* In the child between fork and exec: only calls that are safe there. */
static void run_program(const char *path, char *const argv[], int in, int out)
{
	/* Moved above the standard ones first: one of them may be 0, 1 or 2. */
	int fds[3] = {in, out, open("/dev/null", O_RDWR | O_CLOEXEC)};
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 || (fds[i] = fcntl(fds[i], F_DUPFD, 10)) < 0)
			_exit(PHOTO_EXIT_INTERNAL);
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(PHOTO_EXIT_INTERNAL);
	/* Nothing of the worker's: its socket, its database connection. */
	close_range(3, ~0u, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer's shadow needs terabytes of addresses */
	limit(RLIMIT_AS, MEMORY_LIMIT);
#endif
	limit(RLIMIT_CPU, CPU_SECONDS);
	limit(RLIMIT_FSIZE, 0);
	limit(RLIMIT_CORE, 0);
	limit(RLIMIT_NOFILE, 64);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* No run-time code generation (orc writes it to a file, which it may not). */
	char *const envp[] = {(char *)"VIPS_BLOCK_UNTRUSTED=1", (char *)"VIPS_NOVECTOR=1",
#ifdef __SANITIZE_ADDRESS__ /* libvips and glib keep what they cache until exit */
	                      (char *)"ASAN_OPTIONS=detect_leaks=0",
#endif
	                      NULL};
	execve(path, argv, envp);
	_exit(127);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly len bytes before the deadline: 0, or -1 (end, error, time). */
static int read_exact(int fd, void *buf, size_t len, long long deadline)
{
	unsigned char *p = buf;
	while (len) {
		long long left = deadline - now_ms();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return -1;
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One record of the program's output into the arena: 0, -1 when there is
 * none (or a malformed one), 500 when the arena is full. */
static int read_record(struct portal_req *req, int fd, long long deadline, size_t *budget,
                       struct portal_photo *photo)
{
	unsigned char head[PHOTO_RECORD_HEADER];
	struct photo_record r;
	if (read_exact(fd, head, sizeof head, deadline) || photo_record_read(head, &r) ||
	    !r.length || r.length > *budget || !r.width || !r.height)
		return -1;
	unsigned char *data = portal_alloc(req->arena, r.length);
	if (!data)
		return 500;
	if (read_exact(fd, data, r.length, deadline))
		return -1;
	*budget -= r.length;
	*photo = (struct portal_photo){
	    .data = data,
	    .len = r.length,
	    .content_type = r.format == PHOTO_OUT_PNG ? "image/png" : "image/jpeg",
	    .width = r.width,
	    .height = r.height,
	};
	return 0;
}

/* Waits for the program's end until the deadline, then stops it: the status
 * of its end, and whether it was stopped. */
static int wait_program(pid_t pid, long long deadline, bool *killed)
{
	int wstatus = 0;
	for (;;) {
		pid_t done = waitpid(pid, &wstatus, WNOHANG);
		if (done == pid || (done < 0 && errno != EINTR))
			return wstatus;
		if (now_ms() >= deadline)
			break;
		struct timespec pause = {0, 5 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	*killed = kill(pid, SIGKILL) == 0;
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	return wstatus;
}

/* The status for how the program ended; why is logged. */
static int status_of(int wstatus, bool killed, bool complete)
{
	if (killed) {
		portal_log("photo: " PROGRAM " took too long and was stopped");
		return 422;
	}
	if (WIFSIGNALED(wstatus)) {
		/* A decoder that crashed or ran out of its limits on this file. */
		portal_log("photo: " PROGRAM " ended by signal %d", WTERMSIG(wstatus));
		return 422;
	}
	switch (WEXITSTATUS(wstatus)) {
	case PHOTO_EXIT_OK:
		if (complete)
			return 0;
		portal_log("photo: " PROGRAM " answered malformed output");
		return 500;
	case PHOTO_EXIT_UNSUPPORTED: return 415;
	case PHOTO_EXIT_CORRUPT:
	case PHOTO_EXIT_TOO_LARGE: return 422;
	default:
		portal_log("photo: " PROGRAM " failed with exit code %d", WEXITSTATUS(wstatus));
		return 500;
	}
}

int portal_photo_clean(struct portal_req *req, const struct portal_upload *up,
                       struct portal_photo *photo, struct portal_photo *thumb)
{
	int in = open(up->path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		portal_log("photo: cannot open an upload: %s", strerror(errno));
		return 500;
	}
	/* Not an image of ours: refused without starting anything. */
	if (kind_of_upload(in) == PHOTO_NONE) {
		close(in);
		return 415;
	}
	char *path = program_path(req);
	char thumb_side[16];
	snprintf(thumb_side, sizeof thumb_side, "%u", PORTAL_PHOTO_THUMB_SIDE);
	char *const argv[] = {(char *)PROGRAM, (char *)portal_config(req, "photo_max_side"),
	                      thumb_side, NULL};
	int pipefd[2];
	if (!path || pipe2(pipefd, O_CLOEXEC)) {
		close(in);
		portal_log("photo: cannot start " PROGRAM ": %s", strerror(errno));
		return 500;
	}
	pid_t pid = fork();
	if (pid == 0)
		run_program(path, argv, in, pipefd[1]);
	close(pipefd[1]);
	close(in);
	if (pid < 0) {
		close(pipefd[0]);
		portal_log("photo: cannot fork: %s", strerror(errno));
		return 500;
	}
	long long deadline = now_ms() + WALL_MS;
	size_t budget = MAX_OUTPUT;
	int got = read_record(req, pipefd[0], deadline, &budget, photo);
	if (!got)
		got = read_record(req, pipefd[0], deadline, &budget, thumb);
	/* A program still writing after what it was asked for gets SIGPIPE. */
	close(pipefd[0]);
	bool killed = false;
	int wstatus = wait_program(pid, deadline, &killed);
	if (got == 500) {
		portal_log("photo: the request's memory is full");
		return 500;
	}
	return status_of(wstatus, killed, got == 0);
}
