package supervisor.cli;

import java.util.Arrays;
import java.util.List;
import supervisor.cli.config.ConfigException;
import supervisor.cli.report.PoolReport;
import supervisor.cli.report.Report;
import supervisor.cli.report.RunReport;
import supervisor.cli.run.SignalEvents;
import supervisor.cli.timeout.Timeout;
import supervisor.launch.BeforeStart;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.platform.Signal;
import supervisor.process.SupervisedProcess;

/**
 * The command line. Exit statuses are documented in the help of each command and in the README.
 */
public final class Main {
    static final int USAGE = 2;

    private Main() {
    }

    public static void main(String[] argv) {
        Log.useStderr(); // the library's messages become this command's "supervisor: " lines
        Log.trace("main");
        if (argv.length > 0 && argv[0].equals("timeout")) {
            // GNU timeout's command line, statuses and messages: none of the other commands' ways.
            Timeout.prepare();
            SupervisedProcess.prestartGuardian(); // as for run: beside the parsing, off the critical path
            TimeoutCommand.main(Arrays.asList(argv).subList(1, argv.length));
            return;
        }
        if (argv.length > 0 && (argv[0].equals("run") || argv[0].equals("pool"))) {
            // From here on INT, TERM and HUP stop the task or the pool gracefully once it runs,
            // and end any wait before it starts with their line and report, rather than end this
            // JVM with the defaults (silently, no report).
            SignalEvents.install();
        }
        if (argv.length > 0 && argv[0].equals("run")) {
            // Its start (a process spawn, the first of this JVM and so the slowest) overlaps the
            // parsing and the jar check; it does nothing until a task is recorded with it.
            SupervisedProcess.prestartGuardian();
        }
        System.exit(run(Arrays.asList(argv)));
    }

    static int run(List<String> args) {
        Report report = null; // run and pool write one, also for a usage error
        try {
            if (args.isEmpty()) {
                throw new UsageException("missing command (see supervisor --help)");
            }
            String command = args.get(0);
            List<String> rest = args.subList(1, args.size());
            switch (command) {
                case "-h", "--help", "help" -> throw new HelpRequested(Command.mainHelp());
                case "timeout" -> {
                    // Reached only from a caller of run(List) (main takes it before): same rules.
                    Timeout.Outcome o = Timeout.run(rest, TimeoutCommand.HELP, TimeoutCommand.version(), Main.class.getName());
                    return o.signal() != 0 ? 128 + o.signal() : o.status();
                }
                case "-V", "--version" -> {
                    System.out.println("supervisor " + version() + " (" + BuildInfo.COMMIT + ")");
                    return 0;
                }
                case "run" -> {
                    RunReport r = new RunReport(rest);
                    report = r;
                    return RunCommand.run(rest, r);
                }
                case "pool" -> {
                    PoolReport r = new PoolReport(rest);
                    report = r;
                    return PoolCommand.run(rest, r);
                }
                case "config" -> {
                    return ConfigCommand.run(rest);
                }
                case "probe" -> {
                    return ProbeCommand.run(rest);
                }
                default -> throw new UsageException("unknown command '" + command + "' (see supervisor --help)");
            }
        } catch (BeforeStart.Signalled e) {
            // Before the task or the workers started: nothing to stop, nothing was started.
            String name = Signal.name(e.signal());
            Log.warn("got " + name + " " + e.doing() + "; nothing was started");
            if (report != null) {
                Configured.endReport(report, "signal", 128 + e.signal(), null);
            }
            return 128 + e.signal();
        } catch (UsageException | ConfigException e) {
            Log.error(e.getMessage());
            if (report != null) {
                Configured.usageReport(report, e.getMessage());
            }
            return USAGE;
        } catch (RuntimeException | Error e) {
            // A bug: one line with the exception's class, never a stack trace.
            Log.error("internal error: " + Reasons.of(e));
            if (report != null && report.path() != null) {
                report.error("internal error: " + Reasons.of(e));
                report.end(Report.ERROR, 125);
                report.write();
            }
            return 125;
        } catch (HelpRequested e) {
            System.out.print(e.getMessage());
            System.out.flush();
            return 0;
        } finally {
            if (report != null) {
                report.discard(); // the report's temporary file, on a path that wrote no report
            }
        }
    }

    /** The project's version, as the build recorded it (scripts/build-info). */
    static String version() {
        return BuildInfo.VERSION;
    }
}
