/* The benchmark's baseline: the smallest useful libfcgi program, prefork workers
 * answering "hello" on a unix socket. `make bench` compares portald's routes to it.
 * Usage: hello_fcgi SOCKET WORKERS */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void serve(int fd)
{
	FCGX_Request req;
	if (FCGX_InitRequest(&req, fd, 0) != 0)
		exit(1);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_FPrintF(req.out, "Content-Type: text/plain\r\n\r\nhello\n");
		FCGX_Finish_r(&req);
	}
	exit(0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hello_fcgi SOCKET WORKERS\n");
		return 2;
	}
	int workers = atoi(argv[2]);
	if (workers < 1 || workers > 64)
		workers = 1;
	FCGX_Init();
	umask(0117);
	unlink(argv[1]);
	int fd = FCGX_OpenSocket(argv[1], 128);
	if (fd < 0) {
		perror("hello_fcgi: socket");
		return 1;
	}
	signal(SIGTERM, SIG_DFL);
	for (int i = 0; i < workers; i++)
		if (fork() == 0)
			serve(fd);
	/* The master only waits; SIGTERM ends the process group's workers too. */
	while (wait(NULL) > 0)
		;
	return 0;
}
