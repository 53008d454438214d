/**
 * The sandbox made real, internal: {@link supervisor.confine.Confinement} checks what the
 * machine allows and turns a {@link supervisor.sandbox.Sandbox} into the prefix of the task's
 * command (util-linux's unshare and setpriv, and enter.pl, a resource of this package, which
 * says why perl); {@link supervisor.confine.DynamicUsers} holds the dynamic uids.
 */
package supervisor.confine;
