/**
 * Units of measure with one grammar each, read the same way by the command line, config files,
 * {@code SUPERVISOR_*} variables and the library: {@link supervisor.units.Durations} and
 * {@link supervisor.units.Sizes}. It sits below both {@code supervisor.cli.config} and
 * {@code supervisor.limits}, and imports neither.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.units;
