/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath_md.c - `fastpath-md`, the market-data inspector: one sub-command per entry of the
 * table below (design.md §9).
 *
 * CLI process, cold path: prints, may block and allocate. Each sub-command lives in its own
 * control/fp_ctl_md_<name>.c with `int handler(int argc, char **argv)` (argv[0] is the
 * sub-command's name) and a usage printer; adding one is one line in `cmds[]` and its
 * declaration in fp_ctl_md.h.
 */
#include <stdio.h>
#include <string.h>

#include "fp_ctl_md.h"
#include "fp_version.h"

struct md_cmd {
	const char *name;
	const char *args;    /**< synopsis after the name */
	const char *summary; /**< one line for the command list */
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
};

static const struct md_cmd cmds[] = {
	{"dump", "FILE [--type A,E] [--port N]",
	 "decode a pcap (MoldUDP64) or raw ITCH 5.0 file: one JSON line per message, then a "
	 "summary",
	 fp_ctl_md_dump, fp_ctl_md_dump_usage},
	{"book", "FILE --symbol S [--depth N] [--json]",
	 "replay a file through the book builder and print the final depth of one symbol",
	 fp_ctl_md_book, fp_ctl_md_book_usage},
};

static void usage(FILE *out)
{
	fputs("usage: fastpath-md COMMAND [ARGS...]   (fastpath-md COMMAND --help for details)\n"
	      "Market-data tools of fastpath: NASDAQ TotalView-ITCH 5.0 over MoldUDP64.\n"
	      "commands:\n",
	      out);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %s %s\n      %s\n", cmds[i].name, cmds[i].args, cmds[i].summary);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("fastpath-md %s\n", FP_VERSION_TEXT);
		return 0;
	}
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2)
			for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (strcmp(argv[2], cmds[i].name) == 0) {
					cmds[i].usage(stdout);
					return 0;
				}
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "fastpath-md: unknown command '%s' (see fastpath-md --help)\n", argv[1]);
	return 1;
}
