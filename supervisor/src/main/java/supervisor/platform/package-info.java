/**
 * Everything that touches the operating system below the JDK: system calls through JNA (in
 * {@code LinuxPosix} only), /proc, cgroup files, signals, processes as pid and start time.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.platform;
