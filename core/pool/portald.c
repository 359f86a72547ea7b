/* portald: the FastCGI pool. Usage:
 *   portald -c FILE      run the pool in the foreground
 *   portald -t -c FILE   check the configuration and plugins, then exit */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pool/pool.h"

static int usage(void)
{
	fprintf(stderr, "usage: portald [-t] -c CONFIG\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *config = "var/portal.conf";
	int check = 0, opt;
	while ((opt = getopt(argc, argv, "tc:")) != -1) {
		if (opt == 't')
			check = 1;
		else if (opt == 'c')
			config = optarg;
		else
			return usage();
	}
	if (optind != argc)
		return usage();
	return check ? pool_check(config) : pool_run(config);
}
