/**
 * The supervisor's own messages: to the {@link java.lang.System.Logger} named {@code supervisor}
 * in a library, as one-line {@code supervisor: } messages on stderr on the command line.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice. To direct the messages, configure the {@code supervisor}
 * logger of your logging backend.
 */
package supervisor.log;
