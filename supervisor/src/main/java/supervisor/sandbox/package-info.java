/**
 * The sandbox of a task or worker: {@link supervisor.sandbox.Sandbox} (what it is kept from, the
 * API) and {@link supervisor.sandbox.Confinement} (what the machine allows, and the command
 * prefix that makes it: util-linux's unshare and setpriv, and enter.pl).
 */
package supervisor.sandbox;
