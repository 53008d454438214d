/**
 * The report of a run ({@code --report FILE}): what happened, recorded as it happens, and written
 * once at the end as one JSON document, atomically. The schema is in {@code docs/report.md}; its
 * field names are stable.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.report;
