/*
 * daemon -- quantd's main: configuration, plugins, instances, the core loop,
 * the net thread, the control socket and signals.
 *
 * Exit status: 0 after SIGINT/SIGTERM (instances stopped in reverse
 * dependency order); 1 runtime failure (cannot create the loop, bind the
 * control socket, ...); 2 bad usage or bad configuration (every problem
 * printed as FILE:LINE:COL: PATH: message).
 */
#ifndef QD_DAEMON_H
#define QD_DAEMON_H

#define QD_EXIT_OK 0
#define QD_EXIT_FAILURE 1
#define QD_EXIT_CONFIG 2

int daemon_main(int argc, char **argv);

#endif
