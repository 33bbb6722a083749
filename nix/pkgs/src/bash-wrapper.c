/* bin/bash of the demo package set. Busybox has no `bash` applet, so this static
 * program runs busybox's `sh` (ash) with the same arguments; scripts whose shebang
 * is .../bin/bash therefore really run. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BUSYBOX_PATH
#error "BUSYBOX_PATH must be defined by the builder"
#endif
#ifndef BASH_VERSION
#error "BASH_VERSION must be defined by the builder"
#endif

int main(int argc, char **argv) {
  static char *no_args[] = {"sh", NULL};
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("GNU bash, version %s (demo build: BusyBox ash from %s)\n", BASH_VERSION, BUSYBOX_PATH);
    return 0;
  }
  if (argc < 1) {
    argv = no_args;
  } else {
    /* Busybox picks the applet from argv[0]; keep the leading '-' of login shells. */
    argv[0] = argv[0][0] == '-' ? "-sh" : "sh";
  }
  execv(BUSYBOX_PATH, argv);
  fprintf(stderr, "bash (demo build): cannot run %s: %s\n", BUSYBOX_PATH, strerror(errno));
  return 127;
}
