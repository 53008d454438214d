/**
 * What a task or pool worker is kept from: {@link supervisor.sandbox.Sandbox} and
 * {@link supervisor.sandbox.TaskUser}, the API. How it is made (util-linux's unshare and setpriv
 * and enter.pl) is supervisor.confine's, internal.
 */
package supervisor.sandbox;
